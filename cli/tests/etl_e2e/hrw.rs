//! HRW placement exactly as the reference defines it (ais-rest-api.md §3.3), computed here
//! independently of the node's own code.

use serde_json::{json, Value};

/// Smap node flags that take a target out of HRW placement (maintenance, decommission).
pub const MAINTENANCE_FLAGS: u64 = 4 | 8;
const MLCG32: u64 = 1_103_515_245;

fn xoshiro256_hash(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z = (z ^ (z >> 31)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z = (z ^ (z >> 31)).wrapping_mul(5);
    z.rotate_left(7).wrapping_mul(9)
}

/// The target that owns `uname` among the smap's targets, from their `id_digest`.
pub fn hrw_owner(smap: &Value, uname: &str) -> String {
    let digest = xxhash_rust::xxh64::xxh64(uname.as_bytes(), MLCG32);
    let tmap = smap["tmap"].as_object().expect("smap has a tmap");
    let candidates = tmap
        .iter()
        .filter(|(_, n)| n["flags"].as_u64().unwrap_or(0) & MAINTENANCE_FLAGS == 0);
    let scored = candidates.map(|(id, n)| {
        let id_digest = n["id_digest"]
            .as_u64()
            .unwrap_or_else(|| panic!("{id}: id_digest {}", n["id_digest"]));
        (xoshiro256_hash(id_digest ^ digest), id)
    });
    scored.max().expect("at least one target").1.clone()
}

pub fn check_hrw_vectors() {
    let obj = xxhash_rust::xxh64::xxh64(b"ais/@#/bck/obj", MLCG32);
    let (t1, t2) = (
        xxhash_rust::xxh64::xxh64(b"t1", MLCG32),
        xxhash_rust::xxh64::xxh64(b"t2", MLCG32),
    );
    assert_eq!(
        (obj, t1, t2),
        (
            7_636_710_260_493_408_699,
            14_214_570_646_889_990_061,
            17_780_131_176_456_335_389
        )
    );
    assert_eq!(xoshiro256_hash(t1 ^ obj), 1_545_992_387_071_567_402);
    assert_eq!(xoshiro256_hash(t2 ^ obj), 6_588_427_082_116_747_545);
    let smap = json!({"tmap": {"t1": {"id_digest": t1}, "t2": {"id_digest": t2}}});
    assert_eq!(hrw_owner(&smap, "ais/@#/bck/obj"), "t2");
}
