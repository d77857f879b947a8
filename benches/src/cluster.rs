//! The benches' `lode up` cluster: lode-testkit's guard over a temp data dir, with the bench
//! knobs from the environment.

use std::ffi::OsString;
use std::path::Path;

use lode_testkit::{free_port_block, Up};

use crate::Result;

/// A `lode up` cluster on free loopback ports, stopped (SIGTERM, then SIGKILL of its process
/// group) on drop.
pub struct Cluster {
    up: Up,
    _root: tempfile::TempDir, // after `up`: removed once the cluster is gone
}

impl Cluster {
    /// Starts `lode up` with one gateway and `targets` targets and waits until it is ready.
    ///
    /// `LODE_BENCH_NO_FSYNC=1` measures without the per-object fsync (AIStore's default does
    /// not fsync each object either); `LODE_BENCH_ETL_WORKERS=N` passes `--etl-workers N`
    /// (default: one per core per target).
    pub fn start(lode: &Path, targets: usize) -> Result<Self> {
        let targets = u16::try_from(targets).map_err(|_| format!("{targets} targets"))?;
        let root = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let mut extra: Vec<OsString> = Vec::new();
        if std::env::var_os("LODE_BENCH_NO_FSYNC").is_some_and(|v| v == "1") {
            extra.push("--no-fsync".into());
        }
        if let Ok(n) = std::env::var("LODE_BENCH_ETL_WORKERS") {
            extra.extend(["--etl-workers".into(), n.into()]);
        }
        let port = free_port_block(targets + 1).map_err(|e| e.to_string())?;
        let data = root.path().join("data");
        let up = Up::start(lode, &data, port, targets, &extra).map_err(|e| e.to_string())?;
        Ok(Self { up, _root: root })
    }

    /// The gateway's URL, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.up.url
    }
}
