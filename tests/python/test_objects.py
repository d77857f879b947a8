"""Object PUT / GET / HEAD / range / delete through the SDK, over sizes and awkward names."""

import os
import random

import msgspec
import pytest
import requests
import xxhash
from aistore.sdk.errors import AISError, ErrObjNotFound

SIZES = [0, 1, 4096, (1 << 20) + 1, 8 << 20]
NAMES = [
    "plain.bin",
    "unicodé-日本語-ß.bin",
    "with space and  two.txt",
    "question?mark=1&x",
    "hash#tag",
    "percent%20literal",
    "deep/a/b/c/d/e.bin",
    "trailing.dot.",
]


def payload(size: int, seed: str) -> bytes:
    """Deterministic random bytes (so a shifted range would not compare equal)."""
    return random.Random(seed).randbytes(size)


def xxhash_hex(data: bytes) -> str:
    return format(xxhash.xxh64_intdigest(data), "016x")


@pytest.mark.parametrize("size", SIZES)
def test_put_get_head_delete(bucket, size):
    for name in NAMES:
        data = payload(size, name)
        obj = bucket.object(name)
        obj.get_writer().put_content(data)
        assert obj.get_reader().read_all() == data, name

        attrs = obj.head()
        assert attrs.size == size
        assert attrs.present
        reader_attrs = obj.get_reader().head()
        assert reader_attrs.checksum_type == "xxhash"
        assert reader_attrs.checksum_value == xxhash_hex(data)

        props = obj.props
        assert props.size == size
        assert props.present
        assert props.checksum_type == "xxhash"
        assert props.checksum_value == xxhash_hex(data)
        assert props.location, "Ais-Location should name the target"

    listed = {e.name: e.size for e in bucket.list_all_objects()}
    assert listed == {n: size for n in NAMES}

    for name in NAMES:
        bucket.object(name).delete()
        with pytest.raises(ErrObjNotFound):
            bucket.object(name).get_reader().read_all()
    assert bucket.list_all_objects() == []


def test_put_file_8mib(bucket, tmp_path):
    data = payload(8 << 20, "file")
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    obj = bucket.object("from-file/big.bin")
    obj.get_writer().put_file(path)
    assert obj.get_reader().read_all() == data
    assert obj.props.checksum_value == xxhash_hex(data)


@pytest.mark.parametrize("size", [4096, (1 << 20) + 1, 8 << 20])
def test_range_reads(bucket, size):
    data = payload(size, "range")
    obj = bucket.object(f"range-{size}")
    obj.get_writer().put_content(data)
    cases = {
        "bytes=0-0": data[0:1],
        "bytes=0-99": data[0:100],
        "bytes=1000-1999": data[1000:2000],
        f"bytes={size - 7}-": data[size - 7 :],
        "bytes=-5": data[-5:],
        f"bytes=10-{size + 100}": data[10:],
    }
    for byte_range, expect in cases.items():
        got = obj.get_reader(byte_range=byte_range).read_all()
        assert got == expect, byte_range


def test_overwrite_replaces(bucket):
    obj = bucket.object("over")
    obj.get_writer().put_content(b"first version, longer")
    obj.get_writer().put_content(b"second")
    assert obj.get_reader().read_all() == b"second"
    assert obj.head().size == 6


def test_file_and_dir_names_coexist(bucket):
    """`a` and `a/b` (and `a/b/c`) are independent objects in one bucket."""
    contents = {"a": b"I am a", "a/b": b"I am a/b", "a/b/c": b"I am a/b/c", "a/bc": b"bc"}
    for name, data in contents.items():
        bucket.object(name).get_writer().put_content(data)
    for name, data in contents.items():
        assert bucket.object(name).get_reader().read_all() == data
    assert sorted(e.name for e in bucket.list_all_objects()) == sorted(contents)
    bucket.object("a/b").delete()
    assert bucket.object("a").get_reader().read_all() == b"I am a"
    assert bucket.object("a/b/c").get_reader().read_all() == b"I am a/b/c"
    with pytest.raises(ErrObjNotFound):
        bucket.object("a/b").get_reader().read_all()


def test_missing_object(bucket):
    obj = bucket.object("never/written")
    with pytest.raises(ErrObjNotFound) as err:
        obj.get_reader().read_all()
    assert err.value.status_code == 404
    with pytest.raises(AISError) as err:
        obj.head()
    assert err.value.status_code == 404
    with pytest.raises(AISError) as err:
        obj.delete()
    assert err.value.status_code == 404


def test_many_sizes_roundtrip(bucket):
    for size in [2, 3, 511, 512, 513, 65535, 65536, 65537, 262145]:
        data = os.urandom(size)
        obj = bucket.object(f"sz/{size}")
        obj.get_writer().put_content(data)
        assert obj.get_reader().read_all() == data
        assert obj.get_reader(byte_range=f"bytes={size // 2}-").read_all() == data[size // 2 :]


def test_custom_props_merge_replace_and_show_in_head_and_get(bucket, cluster):
    obj = bucket.object("custom/props")
    obj.get_writer().put_content(b"payload")
    before = obj.props
    obj.get_writer().set_custom_props({"label": "cat", "split": "train"})
    obj.get_writer().set_custom_props({"split": "val"})
    assert obj.props.custom_metadata == {"label": "cat", "split": "val"}
    reader = obj.get_reader()
    assert reader.attributes.custom_metadata == {"label": "cat", "split": "val"}
    assert reader.read_all() == b"payload"
    after = obj.props
    assert (after.checksum_value, after.obj_version, after.size) == (
        before.checksum_value,
        before.obj_version,
        before.size,
    )
    obj.get_writer().set_custom_props({"only": "this"}, replace_existing=True)
    assert obj.props.custom_metadata == {"only": "this"}

    url = f"{cluster.endpoint}/v1/objects/{bucket.name}/custom/props?provider=ais"
    for value in [{"a,b": "1"}, {"k": "x,y"}, {"k=": "1"}, {"k": 5}, ["k"]]:
        resp = requests.patch(url, json={"action": "", "name": "", "value": value}, timeout=30)
        assert resp.status_code == 400, (value, resp.text)
    resp = requests.patch(url, json={"action": "rename", "value": {}}, timeout=30)
    assert resp.status_code == 400 and "rename" in resp.text
    resp = requests.patch(f"{url}&set-new-custom=maybe", json={"action": "", "value": {}}, timeout=30)
    assert resp.status_code == 400 and "set-new-custom" in resp.text
    assert obj.props.custom_metadata == {"only": "this"}
    missing = f"{cluster.endpoint}/v1/objects/{bucket.name}/custom/missing?provider=ais"
    resp = requests.patch(missing, json={"action": "", "value": {"a": "b"}}, timeout=30)
    assert resp.status_code == 404, resp.text


def test_custom_props_show_in_listing_entries(bucket, cluster):
    bucket.object("listed").get_writer().put_content(b"x")
    bucket.object("listed").get_writer().set_custom_props({"k1": "v1", "k2": "v2"})
    bucket.object("plain").get_writer().put_content(b"y")
    msg = {"action": "list", "name": "", "value": {"prefix": "", "pagesize": 0, "uuid": "", "props": "name,custom",
                                                   "continuation_token": "", "flags": "0", "target": ""}}
    resp = requests.get(
        f"{cluster.endpoint}/v1/buckets/{bucket.name}?provider=ais",
        json=msg,
        headers={"Accept": "application/msgpack"},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    entries = {e["n"]: e for e in msgspec.msgpack.decode(resp.content)["Entries"]}
    assert entries["listed"]["m"] == "k1=v1,k2=v2"
    assert "m" not in entries["plain"]


def test_object_rename_moves_bytes_and_custom_metadata(bucket, cluster):
    obj = bucket.object("ren/old")
    data = os.urandom(300_000)
    obj.get_writer().put_content(data)
    obj.get_writer().set_custom_props({"tag": "keep"})
    names = [f"ren/new-{i}" for i in range(6)]  # some land on another target
    url = lambda n: f"{cluster.endpoint}/v1/objects/{bucket.name}/{n}?provider=ais"  # noqa: E731
    current = "ren/old"
    for new in names:
        resp = requests.post(url(current), json={"action": "rename-obj", "name": new, "value": None}, timeout=30)
        assert resp.status_code == 200, resp.text
        assert bucket.object(new).get_reader().read_all() == data
        assert bucket.object(new).props.custom_metadata == {"tag": "keep"}
        with pytest.raises(AISError):
            bucket.object(current).head()
        current = new
    resp = requests.post(url(current), json={"action": "rename-obj", "name": current, "value": None}, timeout=30)
    assert resp.status_code == 400
    resp = requests.post(url("ren/missing"), json={"action": "rename-obj", "name": "x", "value": None}, timeout=30)
    assert resp.status_code == 404
    assert [e.name for e in bucket.list_all_objects(prefix="ren/")] == [current]


def test_object_copy_keeps_custom_metadata(bucket):
    src = bucket.object("cp/src")
    src.get_writer().put_content(b"abc")
    src.get_writer().set_custom_props({"k": "v"})
    for i in range(4):
        src.copy(bucket.object(f"cp/dst-{i}"))
        assert bucket.object(f"cp/dst-{i}").props.custom_metadata == {"k": "v"}
