//! What a daemon needs to start.

use std::path::PathBuf;

use crate::EtlConfig;

/// Configuration of the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Daemon id (AIS proxy id), e.g. `p1`. A persisted cluster map keeps the first one used.
    pub id: String,
    /// Address to listen on and to advertise (loopback by default).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Where the cluster map, bucket and ETL metadata live.
    pub data_dir: PathBuf,
    /// Compiled Wasm module cache (validation compiles every module); `None` means
    /// `<data_dir>/wasm-cache`.
    pub module_cache: Option<PathBuf>,
}

impl GatewayConfig {
    pub(crate) fn module_cache_dir(&self) -> PathBuf {
        self.module_cache
            .clone()
            .unwrap_or_else(|| self.data_dir.join("wasm-cache"))
    }
}

/// Configuration of a storage target.
#[derive(Debug, Clone)]
pub struct TargetConfig {
    /// Daemon id, e.g. `t1`; it decides object placement, so keep it across restarts.
    pub id: String,
    /// Address to listen on and to advertise.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Gateway URL, e.g. `http://127.0.0.1:8080`.
    pub gateway_url: String,
    /// Target state (identity) lives here; also the default mountpath's parent.
    pub data_dir: PathBuf,
    /// Mountpath directories; empty means one mountpath, `<data_dir>/mp`.
    pub mountpaths: Vec<PathBuf>,
    /// fsync every PUT (data, metadata, directories).
    pub fsync: bool,
    /// Multipart uploads nothing touched for this long are removed.
    pub upload_max_age: std::time::Duration,
    /// Worker threads per Wasm ETL (and a container ETL's objects in flight); 0 = one per
    /// core (also what `lode up` gives each of its targets; see `lode up --etl-workers`).
    pub etl_workers: usize,
    /// Compiled Wasm module cache (may be shared by the nodes of one machine); `None` means
    /// `<data_dir>/wasm-cache`.
    pub module_cache: Option<PathBuf>,
    /// Container ETLs (the `process` runner): Python virtualenvs for `init_class` and init
    /// code are cached in `<etl_dir>/venv` (may be shared by the nodes of one machine: builds
    /// are locked); `None` means `<data_dir>/etl`. Per-ETL working directories go under
    /// `<data_dir>/etl-work`.
    pub etl_dir: Option<PathBuf>,
    /// Which pod runner starts container ETLs, and its settings (the configuration file's
    /// `etl:` section).
    pub etl: EtlConfig,
}

impl TargetConfig {
    pub(crate) fn module_cache_dir(&self) -> PathBuf {
        self.module_cache
            .clone()
            .unwrap_or_else(|| self.data_dir.join("wasm-cache"))
    }

    /// The mountpaths actually used.
    pub(crate) fn effective_mountpaths(&self) -> Vec<PathBuf> {
        if self.mountpaths.is_empty() {
            vec![self.data_dir.join("mp")]
        } else {
            self.mountpaths.clone()
        }
    }
}
