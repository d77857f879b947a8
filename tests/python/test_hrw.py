"""The Python HRW used by the placement tests matches the test vectors of docs/rest-api.md §3.3."""

import hrw


def test_reference_vectors():
    obj = hrw.digest("ais/@#/bck/obj")
    assert obj == 7636710260493408699
    assert hrw.digest("t1") == 14214570646889990061
    assert hrw.digest("t2") == 17780131176456335389
    assert hrw.xoshiro256_hash(hrw.digest("t1") ^ obj) == 1545992387071567402
    assert hrw.xoshiro256_hash(hrw.digest("t2") ^ obj) == 6588427082116747545
    assert hrw.owner(["t1", "t2"], "bck", "obj") == "t2"
