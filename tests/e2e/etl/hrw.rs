//! HRW placement read off a smap (`docs/rest-api.md` §3.3): the owner of an object among the
//! smap's targets, from their `id_digest`, with `lode_wire::hrw` (whose unit tests pin the
//! reference vectors).

use lode_wire::hrw;
use serde_json::Value;

/// Smap node flags that take a target out of HRW placement (maintenance, decommission).
pub const MAINTENANCE_FLAGS: u64 = 4 | 8;

/// The target that owns `uname` among the smap's targets, from their `id_digest`.
pub fn hrw_owner(smap: &Value, uname: &str) -> String {
    let tmap = smap["tmap"].as_object().expect("smap has a tmap");
    let candidates: Vec<(&String, u64)> = tmap
        .iter()
        .filter(|(_, n)| n["flags"].as_u64().unwrap_or(0) & MAINTENANCE_FLAGS == 0)
        .map(|(id, n)| {
            let id_digest = n["id_digest"]
                .as_u64()
                .unwrap_or_else(|| panic!("{id}: id_digest {}", n["id_digest"]));
            (id, id_digest)
        })
        .collect();
    let owner = hrw::pick(
        hrw::digest(uname.as_bytes()),
        candidates.iter().map(|&(_, d)| d),
    );
    candidates[owner.expect("at least one target")].0.clone()
}
