//! ETL metadata: every ETL of the cluster with its init message, module and stage. Owned and
//! persisted by the gateway (`etl.json`, versioned like the Smap and BMD), pushed to every
//! target with them; a target runs exactly the ETLs marked to run here.

use std::collections::BTreeMap;

use lode_etl::{InitMsg, ModuleRef};
use serde::{Deserialize, Serialize};

/// Where a node keeps Wasm modules by hash, under its data dir.
pub(crate) const MODULES_DIR: &str = "modules";

/// An ETL's lifecycle stage (AIS's strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Stage {
    /// Targets are loading it.
    Initializing,
    /// Every target runs it.
    Running,
    /// Stopped: targets dropped it; `start` brings it back.
    Aborted,
}

impl Stage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stage::Initializing => "Initializing",
            Stage::Running => "Running",
            Stage::Aborted => "Aborted",
        }
    }

    /// Whether targets should have it loaded.
    pub(crate) fn runs(self) -> bool {
        !matches!(self, Stage::Aborted)
    }
}

/// One ETL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EtlEntry {
    /// The init message in its stored form ([`InitMsg::stored_form`]: no module bytes; the
    /// targets parse it again: one parser).
    pub(crate) init: String,
    /// The Wasm module by hash (the gateway keeps the bytes in [`MODULES_DIR`], targets fetch
    /// them once from [`PATH_MODULE`](crate::api::PATH_MODULE)); `None` for a container ETL.
    #[serde(default)]
    pub(crate) wasm: Option<ModuleRef>,
    /// The per-ETL secret of the target's `/v1/etl/_object/<etl>/<secret>/..` endpoint that
    /// container transformers call; the same on every target, never echoed.
    #[serde(default)]
    pub(crate) secret: String,
    pub(crate) stage: Stage,
    /// Id of the current incarnation, `etl-<random>`; a new one on every start.
    pub(crate) xid: String,
}

impl EtlEntry {
    pub(crate) fn new(init: String, wasm: Option<ModuleRef>, xid: String) -> EtlEntry {
        EtlEntry {
            init,
            wasm,
            secret: new_secret(),
            stage: Stage::Initializing,
            xid,
        }
    }

    pub(crate) fn msg(&self) -> Result<InitMsg, String> {
        InitMsg::parse_stored(self.init.as_bytes()).map_err(|e| e.to_string())
    }
}

/// The ETL metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(crate) struct EtlMd {
    /// Incremented on every change.
    pub(crate) version: u64,
    /// ETLs by name.
    pub(crate) etls: BTreeMap<String, EtlEntry>,
}

/// A new per-ETL secret.
fn new_secret() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}

/// A new ETL incarnation id.
pub(crate) fn new_xid() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    format!("etl-{}", Alphanumeric.sample_string(&mut rand::rng(), 10))
}
