//! ETL metadata: every ETL of the cluster with its init message, module and stage. Owned and
//! persisted by the gateway (`etl.json`, versioned like the Smap and BMD), pushed to every
//! target with them; a target runs exactly the ETLs marked to run here.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

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
    /// The init message body as received (targets parse it again: one parser).
    pub(crate) init: String,
    /// The Wasm module, base64 (read from the cluster for `image: ais://b/o`); empty for a
    /// container ETL.
    pub(crate) module: String,
    /// The per-ETL secret of the target's `/v1/etl/_object/<etl>/<secret>/..` endpoint that
    /// container transformers call; the same on every target, never echoed.
    #[serde(default)]
    pub(crate) secret: String,
    pub(crate) stage: Stage,
    /// Id of the current incarnation, `etl-<random>`; a new one on every start.
    pub(crate) xid: String,
}

impl EtlEntry {
    pub(crate) fn new(init: &[u8], module: &[u8], xid: String) -> EtlEntry {
        EtlEntry {
            init: String::from_utf8_lossy(init).into_owned(),
            module: base64::engine::general_purpose::STANDARD.encode(module),
            secret: new_secret(),
            stage: Stage::Initializing,
            xid,
        }
    }

    pub(crate) fn module_bytes(&self) -> Result<Vec<u8>, String> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.module)
            .map_err(|e| format!("corrupt module in ETL metadata: {e}"))
    }

    pub(crate) fn msg(&self) -> Result<lode_etl::InitMsg, String> {
        lode_etl::InitMsg::parse(self.init.as_bytes()).map_err(|e| e.to_string())
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
