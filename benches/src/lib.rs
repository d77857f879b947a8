//! Shared plumbing for the lode benchmarks (the `benches/*.rs` mains), not a product crate.
//!
//! The end-to-end benches start a real `lode up` cluster on 127.0.0.1 ([`Cluster`], stopped on
//! drop), find the binaries and Wasm modules the build left behind ([`lode_bin`], [`wasm_dir`]),
//! start nginx as the static-file yardstick ([`Nginx`]), check HTTP answers ([`expect_ok`], [`drain`]), run bucket jobs to their end ([`run_bucket_job`]) and read WAV outputs ([`parse_wav`]). Errors are plain
//! strings: a bench prints them and exits non-zero.
#![deny(missing_docs)]

mod cluster;
mod http;
mod job;
mod nginx;
mod paths;
mod wav;

pub use cluster::Cluster;
pub use http::{drain, expect_ok};
pub use job::run_bucket_job;
pub use nginx::Nginx;
pub use paths::{lode_bin, repo_root, target_dir, wasm_dir};
pub use wav::{parse_wav, Wav};

/// A bench step's result; the error is the message to print.
pub type Result<T> = std::result::Result<T, String>;
