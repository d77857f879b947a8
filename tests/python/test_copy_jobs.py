"""Multi-object jobs without a transform, through the unmodified SDK: bucket copy (copy-bck),
copy and delete of lists and templates (copy-listrange, delete-listrange), exact bytes and
checksums, per-object errors, dry runs, and the refusals (same bucket, remote-only actions,
options an ais:// bucket cannot honour)."""

import pytest
import requests
from aistore.sdk.errors import AISError

from etl_helpers import listing, new_bucket  # noqa: F401

WAIT = 120


def fill(bck, names, size=0):
    """Puts `name -> content` (derived from the name; at least `size` bytes); returns the dict."""
    data = {}
    for n in names:
        unit = f"content of {n}\n".encode()
        data[n] = unit * max(1 + len(n) % 5, size // len(unit) + 1)
        bck.object(n).get_writer().put_content(data[n])
    return data


def wait(client, xid):
    return client.job(xid).wait(timeout=WAIT, verbose=False)


def snapshots(client, xid):
    return client.job(xid).get_details().list_snapshots()


def test_bucket_copy_copies_every_object_byte_for_byte(client, bucket, new_bucket):
    names = [f"d/{i:03}.bin" for i in range(60)] + ["top", "d/big.bin"]
    src = fill(bucket, names)
    src["d/big.bin"] = bytes(range(256)) * (12 * 1024)  # 3 MiB: mapped, not read
    bucket.object("d/big.bin").get_writer().put_content(src["d/big.bin"])
    dst = new_bucket(create=False)  # the job creates it
    xid = bucket.copy(dst)
    result = wait(client, xid)
    assert result.success, result.error
    assert listing(dst) == src
    assert listing(bucket) == src
    for name in ("top", "d/big.bin"):
        a, b = bucket.object(name).props, dst.object(name).props
        assert (a.size, a.checksum_value) == (b.size, b.checksum_value)
    snaps = snapshots(client, xid)
    assert sum(s.stats.objects for s in snaps) == len(src)
    assert sum(s.stats.bytes for s in snaps) == sum(map(len, src.values()))
    assert all(s.kind == "copy-bck" and s.is_idle for s in snaps)
    status = client.job(xid).status()
    assert status.end_time != 0 and not status.aborted and not status.err


def test_bucket_copy_prefix_prepend_ext_and_dry_run(client, bucket, new_bucket):
    src = fill(bucket, ["a/1.txt", "a/2.bin", "b/3.txt"])
    dst = new_bucket()
    assert wait(client, bucket.copy(dst, prefix_filter="a/", prepend="c-", ext={"txt": "md"})).success
    assert listing(dst) == {"c-a/1.md": src["a/1.txt"], "c-a/2.bin": src["a/2.bin"]}

    dry = new_bucket()
    xid = bucket.copy(dry, dry_run=True)
    assert wait(client, xid).success
    assert listing(dry) == {}
    assert sum(s.stats.objects for s in snapshots(client, xid)) == 3


def test_bucket_copy_overwrites_and_counts_one_version_more(client, bucket, new_bucket):
    fill(bucket, ["v"])
    dst = new_bucket()
    dst.object("v").get_writer().put_content(b"old")
    assert wait(client, bucket.copy(dst)).success
    assert dst.object("v").get_reader().read_all() == bucket.object("v").get_reader().read_all()


def test_copy_of_a_list_and_a_template(client, bucket, new_bucket):
    src = fill(bucket, [f"s/{i:02}" for i in range(20)])
    dst = new_bucket()
    xids = bucket.objects(obj_names=["s/00", "s/07", "s/19"]).copy(dst, prepend="x/")
    assert len(xids) == 1
    assert wait(client, xids[0]).success
    assert listing(dst) == {f"x/{n}": src[n] for n in ("s/00", "s/07", "s/19")}

    tdst = new_bucket()
    (xid,) = bucket.objects(obj_template="s/{00..19..5}").copy(tdst)
    assert wait(client, xid).success
    assert listing(tdst) == {n: src[n] for n in ("s/00", "s/05", "s/10", "s/15")}


def test_copy_of_a_list_with_a_missing_object(client, bucket, new_bucket):
    src = fill(bucket, ["m/a", "m/b"])
    dst = new_bucket()
    (xid,) = bucket.objects(obj_names=["m/a", "m/ghost", "m/b"]).copy(dst, continue_on_error=True)
    assert wait(client, xid).success
    assert listing(dst) == src

    (xid,) = bucket.objects(obj_names=["m/a", "m/ghost"]).copy(new_bucket())
    result = wait(client, xid)
    assert not result.success
    assert "m/ghost" in (result.error or ""), result.error


def test_delete_of_a_list_and_a_template(client, bucket):
    src = fill(bucket, [f"del/{i}" for i in range(10)] + ["keep"])
    xid = bucket.objects(obj_names=["del/0", "del/1"]).delete()
    assert wait(client, xid).success
    assert set(listing(bucket)) == set(src) - {"del/0", "del/1"}
    xid = bucket.objects(obj_template="del/{2..9}").delete()
    assert wait(client, xid).success
    assert listing(bucket) == {"keep": src["keep"]}


def test_delete_of_a_missing_object_fails_the_job_unless_continue_on_error(client, bucket, cluster):
    fill(bucket, ["x", "y"])
    xid = bucket.objects(obj_names=["x", "ghost"]).delete()
    result = wait(client, xid)
    assert not result.success and "ghost" in (result.error or ""), result.error
    # continue-on-error as the REST API takes it (the SDK's delete() has no such argument).
    msg = {"action": "delete-listrange", "name": "", "value": {"objnames": ["y", "ghost2"], "coer": True}}
    resp = requests.delete(f"{cluster.endpoint}/v1/buckets/{bucket.name}?provider=ais", json=msg, timeout=30)
    assert resp.status_code == 200, resp.text
    assert wait(client, resp.text).success
    assert set(listing(bucket)) == set()


def test_copy_refusals(client, bucket, new_bucket, cluster):
    fill(bucket, ["r"])
    with pytest.raises(AISError) as err:
        bucket.copy(bucket)
    assert err.value.status_code == 400 and "same" in err.value.message
    with pytest.raises(AISError) as err:
        bucket.copy(new_bucket(), sync=True)
    assert err.value.status_code == 400 and "synchronize" in err.value.message
    with pytest.raises(AISError) as err:
        bucket.copy(new_bucket(), latest=True)
    assert err.value.status_code == 400 and "latest-ver" in err.value.message
    base = f"{cluster.endpoint}/v1/buckets/{bucket.name}?provider=ais"
    for method, action in [("post", "prefetch-listrange"), ("delete", "evict-listrange")]:
        msg = {"action": action, "name": "", "value": {"objnames": ["r"]}}
        resp = requests.request(method, base, json=msg, timeout=30)
        assert resp.status_code == 400 and action in resp.text and "remote" in resp.text, resp.text
    msg = {"action": "copy-listrange", "name": "", "value": {"tobck": {"name": "zz"}, "bogus": 1, "objnames": []}}
    resp = requests.post(base, json=msg, timeout=30)
    assert resp.status_code == 400 and "bogus" in resp.text, resp.text
    msg = {"action": "delete-listrange", "name": "", "value": {}}
    resp = requests.delete(base, json=msg, timeout=30)
    assert resp.status_code == 400 and "objnames" in resp.text, resp.text
    msg = {"action": "delete-listrange", "name": "", "value": {"template": "a{3..1}"}}
    resp = requests.delete(base, json=msg, timeout=30)
    assert resp.status_code == 400 and "a{3..1}" in resp.text, resp.text
    assert listing(bucket) == {"r": bucket.object("r").get_reader().read_all()}


def test_bucket_rename_moves_every_object_and_removes_the_source(client, new_bucket):
    src = new_bucket()
    data = fill(src, [f"r/{i}" for i in range(30)] + ["top"])
    old_name = src.name
    new_name = f"{old_name}-renamed"
    xid = src.rename(new_name)  # the SDK renames its Bucket object too
    result = wait(client, xid)
    assert result.success, result.error
    assert src.name == new_name
    assert listing(client.bucket(new_name)) == data
    assert old_name not in {b.name for b in client.cluster().list_buckets()}
    client.bucket(new_name).delete(missing_ok=True)


def test_bucket_rename_refusals(client, bucket, new_bucket):
    fill(bucket, ["x"])
    taken = new_bucket()
    with pytest.raises(AISError) as err:
        bucket.rename(taken.name)
    assert err.value.status_code == 409
    with pytest.raises(AISError) as err:
        client.bucket(bucket.name).rename(bucket.name)
    assert err.value.status_code in (400, 409)
    assert listing(bucket) == {"x": bucket.object("x").get_reader().read_all()}


def test_bucket_put_actions_are_refused_naming_them(bucket, cluster):
    base = f"{cluster.endpoint}/v1/buckets/{bucket.name}?provider=ais"
    msg = {"action": "archive", "name": "", "value": {"archname": "a.tar", "objnames": ["x"]}}
    resp = requests.put(base, json=msg, timeout=30)
    assert resp.status_code == 400 and "archive" in resp.text, resp.text
