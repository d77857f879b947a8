//! What a daemon needs to start.

use std::path::PathBuf;

/// Configuration of the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Daemon id (AIS proxy id), e.g. `p1`. A persisted cluster map keeps the first one used.
    pub id: String,
    /// Address to listen on and to advertise (loopback by default).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Where the cluster map and bucket metadata live.
    pub data_dir: PathBuf,
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
}

impl TargetConfig {
    /// The mountpaths actually used.
    pub(crate) fn effective_mountpaths(&self) -> Vec<PathBuf> {
        if self.mountpaths.is_empty() {
            vec![self.data_dir.join("mp")]
        } else {
            self.mountpaths.clone()
        }
    }
}
