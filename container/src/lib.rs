//! Containerized ETL transformers for lode, as a library: validate the container init
//! forms ([`ContainerSpec`]), run transformer servers through a pod [`Runner`] — supervised
//! local processes (`process`, [`ProcessPod`]) or Kubernetes pods (`kubernetes`, [`KubePod`]:
//! one per ETL per target, pinned to the target's node, mountpaths mounted read-only; tested
//! only against the `lode-fake-kube` API server) — and talk to them over AIStore's container
//! protocol ([`Communicator`]: hpush, hpull, ws, io).
//!
//! The design decision: a container ETL on one machine is *the same server, unmodified*,
//! that a pod would run (the `aistore[etl]` SDK's FastAPI / Flask / HTTP servers, NVIDIA's
//! transformers), so the runner adapts the pod to the machine rather than the reverse:
//! a free loopback port substituted for the spec's port 8000 (see `ports.rs`), the image
//! replaced by a local command ([`LocalImage`]), the `runtime_python` image by a cached
//! virtualenv ([`ensure_venv`]).
//!
//! It is not the ETL registry, not the HTTP API and not the target's `/v1/etl/_object/...`
//! endpoint: `lode-etl` and `lode-node` build those on top. Of the Kubernetes API it uses only
//! Pods (create, get, list by label, delete, log).
//!
//! ```no_run
//! use lode_container::*;
//! # async fn demo(cfg: RunnerConfig, fqn: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
//! let spec = ContainerSpec::parse(br#"{"name": "md5-etl", "communication": "hpush://",
//!     "runtime": {"image": "aistorage/transformer_md5:latest",
//!                 "command": ["uvicorn", "server:app", "--port", "8000"]}}"#)?;
//! let launch = Launch::plan(&spec, "md5-etl", &cfg).await?;
//! let opts = PodOptions {
//!     target_url: "http://127.0.0.1:51081/v1/etl/_object/md5-etl/secret".into(),
//!     peers: vec![],
//!     direct_put: spec.direct_put,
//!     init_timeout: std::time::Duration::from_secs(45),
//! };
//! let pod = ProcessPod::start(&launch, &opts).await?; // killed (whole group) on drop
//! let comm_opts = CommOptions { obj_timeout: std::time::Duration::from_secs(10), ws_connections: 2 };
//! let comm = Communicator::connect(spec.comm, &pod.url(), &comm_opts).await?;
//! match comm.transform("ais/@#/bck/obj.bin", Some(fqn), None, "", None).await? {
//!     Outcome::Bytes(md5) => println!("{}", String::from_utf8_lossy(&md5)),
//!     Outcome::DeliveredByContainer(len) => println!("direct put {len} bytes"),
//! }
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod comm;
mod comm_type;
mod error;
mod initcode;
#[cfg(feature = "kubernetes")]
mod kube;
mod launch;
mod logring;
mod netns;
mod podspec;
mod ports;
mod process;
mod process_orphans;
mod runner;
mod spec;
mod venv;

pub use comm::{
    hpull_redirect_url, path_escape, CommOptions, Communicator, Outcome, OutputStream, Streamed,
};
pub use comm_type::CommType;
pub use error::{CommError, RunError, SpecError};
pub use initcode::{Argument, InitCode};
#[cfg(feature = "kubernetes")]
pub use kube::{Kube, KubeConfig, KubePod};
pub use launch::{Launch, LocalImage, RunnerConfig};
pub use podspec::PodSpec;
pub use process::{PodOptions, ProcessPod};
pub use process_orphans::kill_orphan_processes;
pub use runner::{Pod, Runner};
pub use spec::{ContainerSpec, Workload, DEFAULT_PORT, RUNTIME_PYTHON_IMAGE};
pub use venv::{ensure_venv, python_interpreter, SDK_REQUIREMENT};
