//! `lode-node`: the lode daemon. One process runs one role:
//!
//! * the **gateway** (AIS "proxy") keeps the cluster map ([`Smap`]) and the bucket metadata
//!   (BMD), persists both, pushes them to every target on each change, answers bucket calls, and
//!   redirects object calls to the object's HRW target (301 for GET, 307 otherwise) without
//!   reading their bodies; it merges object listings from all targets;
//! * a **target** stores objects in a [`lode_store::Store`], joins the gateway when it starts
//!   (retrying until the gateway answers) and serves object PUT/GET/HEAD/DELETE and listing pages,
//!   also to clients that come straight from the SDK (`direct=True`).
//!
//! The HTTP surface mirrors AIStore's REST API (paths, headers, JSON and msgpack shapes, error
//! texts) closely enough for the unmodified `aistore` Python SDK. This crate does not parse
//! command lines (the `lode` binary does) and does not run transforms.
#![deny(missing_docs)]

mod api;
mod bmd;
mod config;
mod error;
mod etl_config;
mod etlmd;
mod gateway;
mod listing;
mod params;
mod persist;
mod serve;
mod storage_target;
mod xact;

pub use config::{GatewayConfig, TargetConfig};
pub use error::NodeError;
pub use etl_config::{EtlConfig, ImageEntry, KubeSettings, RunnerKind};
pub use gateway::run_gateway;
pub use storage_target::run_target;
