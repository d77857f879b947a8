//! ETL for lode: what an ETL is (its validated [`InitMsg`]), the per-node [`Registry`] of
//! running ETLs, and the backends that run them: the Wasm backend over [`lode_runtime`] (one
//! worker thread per core, the module compiled once and cached on disk, `obj_timeout` as the
//! per-object CPU deadline) and, with the `container` feature (default), the container backend
//! over `lode_container` (one transformer server per node, a local process or a Kubernetes pod,
//! talked to over hpush, hpull, ws or io). Each [`Etl`] keeps counters, a bounded log
//! ring (guest log lines, WASI stderr, transform errors) and the inline object errors.
//! A [`Pipeline`] fuses ETLs stage to stage in memory.
//!
//! This crate knows nothing about HTTP, the cluster or jobs; the node maps [`EtlError`] to
//! statuses and AIStore's texts.
//!
//! ```no_run
//! use lode_etl::{InitMsg, Input, Output, Registry, RegistryConfig};
//! # async fn demo(wasm: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Registry::new(RegistryConfig::default())?;
//! let msg = InitMsg::parse(br#"{"name":"upper-etl","runtime":"wasm32","code":"AGFzbQEAAAA="}"#)?;
//! registry.check(&msg, wasm)?; // the gateway's validation: compile + ABI
//! registry.start(msg, "etl-1", wasm)?;
//! let pipeline = registry.pipeline("upper-etl", &[])?;
//! let done = pipeline.run("bck/a.txt", "", Input::Bytes("abc".into()), Output::Vec).await?;
//! assert_eq!(done.output.as_deref(), Some(&b"ABC"[..]));
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod backend;
#[cfg(feature = "container")]
mod container;
mod error;
mod etl;
mod lifecycle;
mod modules;
mod msg;
pub mod name;
mod pipeline;
mod registry;
mod ring;
mod stats;
pub mod time;
mod wasm;

pub use backend::{Backend, BackendError, BoxFuture, Transformed};
#[cfg(feature = "container")]
pub use container::ContainerContext;
pub use error::EtlError;
pub use etl::Etl;
pub use lifecycle::{EtlState, ModuleFetch, Wanted};
pub use lode_runtime::{Input, Output};
pub use modules::{ModuleRef, ModuleStore};
pub use msg::{
    ArgType, EnvVar, InitMsg, InvalidMsg, ModuleSource, DEFAULT_INIT_TIMEOUT, DEFAULT_OBJ_TIMEOUT,
};
pub use pipeline::Pipeline;
pub use registry::{Registry, RegistryConfig};
pub use ring::{ObjError, LOG_LINES, OBJ_ERRORS};
pub use stats::Stats;

#[cfg(test)]
mod tests;
