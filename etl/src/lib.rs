//! ETL for lode: what an ETL is (its validated init message), and the registry and backends
//! that run it on a target. This crate knows nothing about HTTP; the node maps its errors to
//! statuses and AIStore's texts.

#![deny(missing_docs)]

pub mod duration;
mod msg;
pub mod name;

pub use msg::{
    ArgType, EnvVar, InitMsg, InvalidMsg, ModuleSource, DEFAULT_INIT_TIMEOUT, DEFAULT_OBJ_TIMEOUT,
};
