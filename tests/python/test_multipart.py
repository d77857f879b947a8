"""Multipart uploads through the unmodified SDK (`Object.multipart_upload()`): parts in any order
and in parallel become the object at completion, byte for byte and with its checksum; nothing
is visible before; abort leaves nothing; bad ids, numbers and missing parts are refused."""

import concurrent.futures
import hashlib
import time

import pytest
import requests
from aistore.sdk.errors import AISError

import lode_proc

PART = 1 << 20


def body(n: int, size: int = PART) -> bytes:
    return hashlib.sha256(str(n).encode()).digest() * (size // 32) + bytes([n % 256]) * (size % 32)


def test_parts_in_any_order_and_in_parallel_become_the_object(bucket):
    obj = bucket.object("mpt/big.bin")
    mpu = obj.multipart_upload().create()
    assert mpu.upload_id
    parts = {n: body(n, PART + n) for n in range(1, 9)}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: mpu.add_part(n).put_content(parts[n]), [5, 1, 8, 3, 2, 7, 4, 6]))
    assert [e.name for e in bucket.list_all_objects(prefix="mpt/")] == []  # not listed yet
    with pytest.raises(AISError):
        obj.head()
    mpu.complete()
    want = b"".join(parts[n] for n in sorted(parts))
    assert obj.get_reader().read_all() == want
    assert obj.head().size == len(want)
    assert [e.name for e in bucket.list_all_objects(prefix="mpt/")] == ["mpt/big.bin"]


def test_a_part_sent_again_replaces_the_first(bucket):
    obj = bucket.object("again")
    mpu = obj.multipart_upload().create()
    mpu.add_part(1).put_content(b"first try")
    mpu.add_part(2).put_content(b"-two")
    mpu.parts = [1, 2]
    mpu.add_part(1).put_content(b"one")
    mpu.parts = [1, 2]
    mpu.complete()
    assert obj.get_reader().read_all() == b"one-two"


def test_abort_leaves_nothing_and_spends_the_id(bucket):
    obj = bucket.object("aborted")
    mpu = obj.multipart_upload().create()
    mpu.add_part(1).put_content(b"x" * 1000)
    mpu.abort()
    with pytest.raises(AISError):
        obj.head()
    with pytest.raises(AISError) as err:
        mpu.add_part(2).put_content(b"late")
    assert err.value.status_code == 404 and mpu.upload_id in err.value.message
    with pytest.raises(AISError) as err:
        mpu.complete()
    assert err.value.status_code == 404


def test_an_existing_object_is_replaced_only_at_completion(bucket):
    obj = bucket.object("replace")
    obj.get_writer().put_content(b"old")
    mpu = obj.multipart_upload().create()
    mpu.add_part(1).put_content(b"new")
    assert obj.get_reader().read_all() == b"old"
    mpu.complete()
    assert obj.get_reader().read_all() == b"new"


def test_refusals(bucket, cluster):
    obj = bucket.object("refused")
    mpu = obj.multipart_upload().create()
    mpu.add_part(1).put_content(b"one")
    mpu.parts = [1, 2]  # part 2 was never sent
    with pytest.raises(AISError) as err:
        mpu.complete()
    assert err.value.status_code == 400 and "part 2" in err.value.message
    mpu.parts = [1]
    mpu.complete()  # the failed completion changed nothing
    assert obj.get_reader().read_all() == b"one"

    url = f"{cluster.endpoint}/v1/objects/{bucket.name}/refused?provider=ais"
    other = bucket.object("other").multipart_upload().create()
    # An id is bound to its object.
    resp = requests.put(f"{url}&uploadId={other.upload_id}&partNumber=1", data=b"x", timeout=30)
    assert resp.status_code == 404, resp.text
    for number in ["0", "10001", "x"]:
        resp = requests.put(
            f"{cluster.endpoint}/v1/objects/{bucket.name}/other?provider=ais&uploadId={other.upload_id}&partNumber={number}",
            data=b"x",
            timeout=30,
        )
        assert resp.status_code == 400, (number, resp.text)
    resp = requests.put(f"{url}&partNumber=1", data=b"x", timeout=30)
    assert resp.status_code == 400 and "uploadId" in resp.text
    resp = requests.post(url, json={"action": "promote", "name": "/tmp/x", "value": None}, timeout=30)
    assert resp.status_code == 400 and "promote" in resp.text
    resp = requests.post(f"{url}&uploadId={other.upload_id}", json={"action": "mpt-complete", "value": {}}, timeout=30)
    assert resp.status_code == 400 and "part-number" in resp.text
    other.abort()


def test_abandoned_uploads_are_removed_after_upload_max_age(tmp_path):
    port = lode_proc.free_port_block(2)
    endpoint = f"http://127.0.0.1:{port}"
    args = [lode_proc.lode_bin(), "up", "--port", port, "--targets", 1, "--data", tmp_path / "data"]
    proc = lode_proc.Proc(args + ["--upload-max-age", "1s"], tmp_path / "up.log")
    try:
        lode_proc.wait_ready(endpoint, 1, [proc])
        bck = lode_proc.client(endpoint).bucket("mpt-age")
        bck.create()
        mpu = bck.object("o").multipart_upload().create()
        mpu.add_part(1).put_content(b"soon gone")
        parts = tmp_path / "data"
        assert any(p.name == "1" for p in parts.rglob("*") if "%mpt" in str(p))
        deadline = time.monotonic() + 10
        while any("%mpt" in str(p) and p.is_file() for p in parts.rglob("*")):
            assert time.monotonic() < deadline, "the abandoned upload was not removed"
            time.sleep(0.2)
        with pytest.raises(AISError) as err:
            mpu.complete()
        assert err.value.status_code == 404
    finally:
        proc.stop()
