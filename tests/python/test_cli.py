"""The `lode` client commands (bucket, put, get, ls, object rm, show cluster) against the
session cluster, checked through the SDK."""

import os
import subprocess
import uuid

import pytest

import lode_proc


def lode(cluster, *args, check=True):
    env = dict(os.environ, AIS_ENDPOINT=cluster.endpoint)
    res = subprocess.run(
        [lode_proc.lode_bin(), *map(str, args)], env=env, capture_output=True, timeout=120
    )
    if check and res.returncode != 0:
        raise AssertionError(f"lode {args} failed: {res.stderr.decode(errors='replace')}")
    return res


def test_bucket_commands(cluster, client):
    name = f"cli-{uuid.uuid4().hex[:10]}"
    lode(cluster, "bucket", "create", f"ais://{name}")
    assert name in {b.name for b in client.cluster().list_buckets()}
    again = lode(cluster, "bucket", "create", f"ais://{name}", check=False)
    assert again.returncode != 0
    err = again.stderr.decode().strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0], err
    assert f"ais://{name}" in lode(cluster, "bucket", "ls").stdout.decode().split()
    assert f"ais://{name}" in lode(cluster, "ls").stdout.decode().split()
    lode(cluster, "bucket", "rm", f"ais://{name}")
    assert name not in {b.name for b in client.cluster().list_buckets()}
    missing = lode(cluster, "bucket", "rm", f"ais://{name}", check=False)
    assert missing.returncode != 0 and b"does not exist" in missing.stderr


def test_put_dir_get_ls_rm(cluster, bucket, tmp_path):
    src = tmp_path / "src"
    files = {
        "top.txt": b"top",
        "empty": b"",
        "sub dir/ü.bin": os.urandom(70_000),
        "sub dir/deeper/big.bin": os.urandom(3 << 20),
        "q?#.txt": b"odd name",
    }
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    lode(cluster, "put", src, f"ais://{bucket.name}/pre", "--concurrency", 3)
    for rel, data in files.items():
        assert bucket.object(f"pre/{rel}").get_reader().read_all() == data, rel
    assert len(bucket.list_all_objects()) == len(files)

    table = lode(cluster, "ls", f"ais://{bucket.name}/pre/sub", "--raw").stdout.decode().splitlines()
    assert table[0].split() == ["NAME", "SIZE"]
    rows = {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1]) for line in table[1:]}
    assert rows == {f"pre/{r}": len(d) for r, d in files.items() if r.startswith("sub")}

    out = tmp_path / "out.bin"
    lode(cluster, "get", f"ais://{bucket.name}/pre/sub dir/deeper/big.bin", out)
    assert out.read_bytes() == files["sub dir/deeper/big.bin"]
    stdout = lode(cluster, "get", f"ais://{bucket.name}/pre/q?#.txt", "-").stdout
    assert stdout == b"odd name"

    lode(cluster, "object", "rm", f"ais://{bucket.name}/pre/top.txt")
    assert "pre/top.txt" not in {e.name for e in bucket.list_all_objects()}
    missing = lode(cluster, "get", f"ais://{bucket.name}/pre/top.txt", tmp_path / "x", check=False)
    assert missing.returncode != 0
    assert b"does not exist" in missing.stderr
    assert not (tmp_path / "x").exists()


def test_put_single_file(cluster, bucket, tmp_path):
    path = tmp_path / "one.bin"
    path.write_bytes(b"x" * 12345)
    lode(cluster, "put", path, f"ais://{bucket.name}")
    lode(cluster, "put", path, f"ais://{bucket.name}/renamed/two.bin")
    assert bucket.object("one.bin").get_reader().read_all() == b"x" * 12345
    assert bucket.object("renamed/two.bin").head().size == 12345


@pytest.mark.parametrize("page_size", [0, 7])
def test_ls_pages(cluster, bucket, page_size):
    names = [f"p/{i:03}" for i in range(40)]
    for n in names:
        bucket.object(n).get_writer().put_content(n.encode())
    args = ["ls", f"ais://{bucket.name}", "--raw", "--page-size", page_size]
    lines = lode(cluster, *args).stdout.decode().splitlines()[1:]
    assert [line.split()[0] for line in lines] == names


def test_show_cluster(cluster):
    out = lode(cluster, "show", "cluster").stdout.decode()
    smap = cluster.smap()
    for tid, node in smap.tmap.items():
        assert tid in out and node.public_net.direct_url in out
    assert smap.proxy_si.daemon_id in out
    assert cluster.endpoint in out


def test_errors_are_one_line(cluster):
    res = lode(cluster, "get", "ais://no-such-bucket-xyz/o", "-", check=False)
    assert res.returncode != 0
    lines = res.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "ais://no-such-bucket-xyz" in lines[0], lines
