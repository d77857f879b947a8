//! AIStore's highest-random-weight hashing, bit for bit: the same function picks a target for an
//! object (the cluster map, [`crate::Smap::owner`]) and a mountpath for an object inside a
//! target (lode-store).

use xxhash_rust::xxh64::xxh64;

/// Seed of every HRW digest: Go `cos.MLCG32`.
pub const HRW_SEED: u64 = 1_103_515_245;

/// `xxhash64(bytes, seed = 1103515245)`: the digest of an object uname or of a node id.
pub fn digest(bytes: &[u8]) -> u64 {
    xxh64(bytes, HRW_SEED)
}

/// AIS `xoshiro256.Hash`: the mix applied to `node_digest ^ object_digest` to score a node.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z = (z ^ (z >> 31)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z = (z ^ (z >> 31)).wrapping_mul(5);
    z.rotate_left(7).wrapping_mul(9)
}

/// Index of the candidate with the highest score for `object_digest`, or `None` when empty.
/// Ties (practically impossible) go to the first candidate.
pub fn pick(object_digest: u64, candidates: impl IntoIterator<Item = u64>) -> Option<usize> {
    let mut best: Option<(usize, u64)> = None;
    for (i, node) in candidates.into_iter().enumerate() {
        let score = mix(node ^ object_digest);
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vectors of docs/rest-api.md §3.3.
    #[test]
    fn ais_test_vectors() {
        let obj = digest(b"ais/@#/bck/obj");
        let t1 = digest(b"t1");
        let t2 = digest(b"t2");
        assert_eq!(obj, 7_636_710_260_493_408_699);
        assert_eq!(t1, 14_214_570_646_889_990_061);
        assert_eq!(t2, 17_780_131_176_456_335_389);
        assert_eq!(mix(t1 ^ obj), 1_545_992_387_071_567_402);
        assert_eq!(mix(t2 ^ obj), 6_588_427_082_116_747_545);
        assert_eq!(pick(obj, [t1, t2]), Some(1));
        assert_eq!(pick(obj, [t2, t1]), Some(0));
        assert_eq!(pick(obj, []), None);
    }
}
