//! Bucket metadata (AIS BMD): the ais buckets of the cluster, owned by the gateway, copied to
//! every target.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Properties of one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BucketProps {
    /// Unique id of this incarnation of the bucket.
    pub(crate) bid: u64,
    /// Creation time, unix nanoseconds.
    pub(crate) created: u64,
}

/// The bucket metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(crate) struct Bmd {
    /// Cluster uuid (the Smap's).
    pub(crate) uuid: String,
    /// Incremented on every change.
    pub(crate) version: u64,
    /// ais buckets by name.
    pub(crate) buckets: BTreeMap<String, BucketProps>,
}

impl BucketProps {
    /// The JSON AIS sends in `Ais-Bucket-Props`.
    pub(crate) fn to_header_json(&self, name: &str) -> String {
        serde_json::json!({
            "name": name,
            "provider": "ais",
            "namespace": {"uuid": "", "name": ""},
            "bid": self.bid,
            "created": self.created,
            "versioning": {"enabled": true, "validate_warm_get": false},
            "checksum": {"type": "xxhash", "validate_cold_get": false, "validate_warm_get": false},
            "mirror": {"enabled": false, "copies": 1},
        })
        .to_string()
    }
}

/// Smap, BMD and ETL metadata together: what the gateway pushes to targets and answers a join
/// with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClusterMeta {
    pub(crate) smap: lode_wire::Smap,
    pub(crate) bmd: Bmd,
    #[serde(default)]
    pub(crate) etl: crate::etlmd::EtlMd,
}
