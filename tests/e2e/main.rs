//! lode's Rust end-to-end tests, one binary: real `lode` processes (`lode up`, `lode node`)
//! on free loopback ports with temp data dirs, driven over HTTP the way the AIS SDK drives
//! them, and stopped by pid when each test's guard drops (also on panic).
//!
//! Run: `cargo test --release -p lode --test e2e` (the ETL tests need the Wasm modules of
//! `scripts/build-wasm.sh`, the `flac` tool and, for `etl_kube`, python3 with PyPI access the
//! first time). The Python SDK tests live next door in `tests/python/`.

mod cluster;
mod common;
mod crash;
mod etl;
mod etl_kube;
mod listing;
mod regression;
mod restart;
