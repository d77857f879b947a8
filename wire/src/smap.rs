//! The cluster map (AIS `Smap`), in the JSON shape the SDK reads from `GET /v1/daemon?what=smap`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Node flags the SDK's HRW skips: maintenance (4) and decommission (8).
pub const FLAGS_EXCLUDED: u64 = 4 | 8;

/// One network endpoint of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NetInfo {
    /// Host or IP.
    pub node_ip_addr: String,
    /// Port, as a JSON string (AIS sends a string; the SDK requires one).
    pub daemon_port: String,
    /// `http://host:port`: what clients use.
    pub direct_url: String,
}

/// A node in the cluster map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snode {
    /// Daemon id.
    pub daemon_id: String,
    /// `proxy` or `target`.
    pub daemon_type: String,
    /// Client-facing endpoint.
    pub public_net: NetInfo,
    /// Control-plane endpoint (same as public on one machine).
    pub intra_control_net: NetInfo,
    /// Data-plane endpoint (same as public on one machine).
    pub intra_data_net: NetInfo,
    /// Bitmask; 4 = maintenance, 8 = decommission.
    #[serde(default)]
    pub flags: u64,
    /// `xxhash64(daemon_id, 1103515245)`, the node's HRW digest.
    pub id_digest: u64,
}

impl Snode {
    /// A node reachable at `http://host:port`.
    pub fn new(id: &str, daemon_type: &str, host: &str, port: u16) -> Snode {
        let net = NetInfo {
            node_ip_addr: host.to_owned(),
            daemon_port: port.to_string(),
            direct_url: format!("http://{host}:{port}"),
        };
        Snode {
            daemon_id: id.to_owned(),
            daemon_type: daemon_type.to_owned(),
            public_net: net.clone(),
            intra_control_net: net.clone(),
            intra_data_net: net,
            flags: 0,
            id_digest: crate::hrw::digest(id.as_bytes()),
        }
    }

    /// The URL clients and peers use.
    pub fn url(&self) -> &str {
        &self.public_net.direct_url
    }
}

/// The cluster map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Smap {
    /// Gateways by id.
    pub pmap: BTreeMap<String, Snode>,
    /// Targets by id.
    pub tmap: BTreeMap<String, Snode>,
    /// The primary gateway.
    pub proxy_si: Snode,
    /// Cluster uuid.
    pub uuid: String,
    /// When the cluster was created (RFC 1123).
    #[serde(default)]
    pub creation_time: String,
    /// Incremented on every change; a JSON string like AIS's.
    #[serde(with = "u64_string")]
    pub version: u64,
}

impl Smap {
    /// Every target as `(daemon id, URL)`, in id order.
    pub fn target_urls(&self) -> Vec<(String, String)> {
        let tmap = self.tmap.values();
        tmap.map(|t| (t.daemon_id.clone(), t.url().to_owned()))
            .collect()
    }

    /// The HRW target of an object, skipping nodes in maintenance or being decommissioned.
    pub fn owner(&self, bucket: &str, object: &str) -> Option<&Snode> {
        let digest = crate::hrw::digest(crate::uname(bucket, object).as_bytes());
        let nodes: Vec<&Snode> = self
            .tmap
            .values()
            .filter(|n| n.flags & FLAGS_EXCLUDED == 0)
            .collect();
        crate::hrw::pick(digest, nodes.iter().map(|n| n.id_digest)).map(|i| nodes[i])
    }
}

/// Serde `with` module for Go int64 fields AIS sends as JSON strings: written as a string,
/// read from a string or a number.
pub mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v` as a JSON string.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Reads a JSON string or number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            N(u64),
            S(String),
        }
        match Any::deserialize(d)? {
            Any::N(n) => Ok(n),
            Any::S(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrw_owner_matches_the_ais_vector_and_json_shape() {
        let p = Snode::new("p1", "proxy", "127.0.0.1", 8080);
        let mut smap = Smap {
            pmap: BTreeMap::from([("p1".into(), p.clone())]),
            tmap: BTreeMap::new(),
            proxy_si: p,
            uuid: "u".into(),
            creation_time: String::new(),
            version: 3,
        };
        for (i, id) in ["t1", "t2"].iter().enumerate() {
            smap.tmap.insert(
                (*id).into(),
                Snode::new(id, "target", "127.0.0.1", 8081 + i as u16),
            );
        }
        assert_eq!(
            smap.owner("bck", "obj").map(|n| n.daemon_id.as_str()),
            Some("t2")
        );
        assert_eq!(smap.tmap["t1"].id_digest, 14_214_570_646_889_990_061);
        smap.tmap.get_mut("t2").unwrap().flags = 4;
        assert_eq!(
            smap.owner("bck", "obj").map(|n| n.daemon_id.as_str()),
            Some("t1")
        );
        let json = serde_json::to_value(&smap).unwrap();
        assert_eq!(json["version"], "3");
        assert_eq!(json["tmap"]["t1"]["public_net"]["daemon_port"], "8081");
        let back: Smap = serde_json::from_value(json).unwrap();
        assert_eq!(back, smap);
    }
}
