"""HRW object placement, computed independently from the contract (docs/rest-api.md §3.3).

Used to check that the cluster puts each object on the target AIS would, so that the SDK's
``get_reader(direct=True)`` (which computes HRW itself) finds it.
"""

import xxhash

MLCG32 = 1103515245
MASK = (1 << 64) - 1


def digest(text: str) -> int:
    """xxhash64 with AIS's seed, over UTF-8 bytes."""
    return xxhash.xxh64_intdigest(text.encode(), seed=MLCG32)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro256_hash(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z = ((z ^ (z >> 31)) + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z = ((z ^ (z >> 31)) * 5) & MASK
    return (_rotl(z, 7) * 9) & MASK


def uname(bucket: str, obj: str) -> str:
    return f"ais/@#/{bucket}/{obj}"


def owner(target_ids, bucket: str, obj: str) -> str:
    """The id of the target that owns ais://bucket/obj among ``target_ids``."""
    d = digest(uname(bucket, obj))
    return max(target_ids, key=lambda tid: xoshiro256_hash(digest(tid) ^ d))
