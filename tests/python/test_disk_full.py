"""Fault: a mountpath that fills (a 4 MiB tmpfs as a target's only mountpath).

Injected: PUTs of 256 KiB objects until the filesystem is full. Verified: the PUT that does not
fit answers 507 naming the mountpath (not a 500 the SDK would retry for a minute and a half);
every object acknowledged before it is listed and reads back whole, nothing else is listed
(no torn or zero-length object); reads keep working; once an object is deleted, PUTs succeed
again. Needs root to mount the tmpfs; skipped otherwise.

This test runs its own gateway and target (`lode node`), killed by pid.
"""

import os
import subprocess
import uuid

import pytest
from aistore.sdk.errors import AISError

import lode_proc

SIZE = 256 << 10
TMPFS = "4m"


@pytest.fixture
def full_target(tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS}", "lode-disk-full", str(mp)],
        capture_output=True, text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    port = lode_proc.free_port_block(2)
    endpoint = f"http://127.0.0.1:{port}"
    bin_ = lode_proc.lode_bin()
    procs = [
        lode_proc.Proc([bin_, "node", "gateway", "--id", "p1", "--port", port,
                        "--data", tmp_path / "p1"], tmp_path / "p1.log"),
        lode_proc.Proc([bin_, "node", "target", "--id", "t1", "--port", port + 1,
                        "--data", tmp_path / "t1", "--mountpath", mp, "--gateway", endpoint],
                       tmp_path / "t1.log"),
    ]
    try:
        lode_proc.wait_ready(endpoint, 1, procs)
        yield endpoint, mp
    finally:
        for p in procs:
            p.stop()
        subprocess.run(["umount", "-l", str(mp)], check=False)


def body(i: int) -> bytes:
    return (i.to_bytes(4, "little") + os.urandom(60)) * (SIZE // 64)


def test_a_full_mountpath_answers_507_naming_it_and_keeps_every_stored_object_whole(full_target):
    endpoint, mp = full_target
    client = lode_proc.client(endpoint, network_attempts=1)
    bucket = client.bucket(f"full-{uuid.uuid4().hex[:8]}")
    bucket.create()
    stored = {}
    for i in range(64):  # 16 MiB into 4 MiB: it must fill long before the end
        name = f"obj-{i:03}"
        data = body(i)
        try:
            bucket.object(name).get_writer().put_content(data)
        except AISError as err:
            assert err.status_code == 507, err
            assert str(mp) in str(err) and "out of space" in str(err), err
            break
        stored[name] = data
    else:
        pytest.fail("64 x 256 KiB fit into a 4 MiB tmpfs")
    assert stored, "not even one object fit"

    listed = {e.name: e.size for e in bucket.list_all_objects()}
    assert listed == {name: SIZE for name in stored}, listed
    for name, data in stored.items():
        assert bucket.object(name).get_reader().read_all() == data, name

    # Space freed: the same PUT succeeds.
    first = next(iter(stored))
    bucket.object(first).delete()
    again = body(999)
    bucket.object("after-delete").get_writer().put_content(again)
    assert bucket.object("after-delete").get_reader().read_all() == again
