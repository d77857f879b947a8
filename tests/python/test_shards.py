"""Shards (tar, tar.gz / tgz, tar.lz4, zip), byte for byte through the unmodified SDK: one member
with `archpath` (also through an inline ETL), the members a pattern selects (`archregx` +
`archmode`, answered as a tar), the member list (`list_archive`, the `arch_dir` flag), and a
member PUT into a shard (REST `archpath` on PUT, AIS's append-to-archive); what lode refuses is
400 naming it."""

import io
import tarfile
import zipfile

import lz4.frame
import pytest
import requests
from aistore.sdk.archive_config import ArchiveConfig, ArchiveMode
from aistore.sdk.errors import AISError
from aistore.sdk.etl.etl_config import ETLConfig
from aistore.sdk.list_object_flag import ListObjectFlag

from etl_helpers import etls, modules_bucket  # noqa: F401

MEMBERS = {
    "0001.cls": b"7",
    "0001.jpg": bytes(range(256)) * 40,
    "dir/0002.txt": b"second sample\n" * 100,
}


def tar_bytes(mode):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in MEMBERS.items():
            z.writestr(name, data)
    return buf.getvalue()


SHARDS = {
    "s.tar": lambda: tar_bytes("w"),
    "s.tar.gz": lambda: tar_bytes("w:gz"),
    "s.tgz": lambda: tar_bytes("w:gz"),
    "s.tar.lz4": lambda: lz4.frame.compress(tar_bytes("w")),
    "s.zip": zip_bytes,
}


def tar_members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def member(bucket, shard, path):
    cfg = ArchiveConfig(archpath=path)
    return bucket.object(shard).get_reader(archive_config=cfg).read_all()


@pytest.mark.parametrize("shard", sorted(SHARDS))
def test_every_member_of_every_format_reads_exactly(bucket, shard):
    whole = SHARDS[shard]()
    bucket.object(shard).get_writer().put_content(whole)
    for name, data in MEMBERS.items():
        assert member(bucket, shard, name) == data, (shard, name)
    assert bucket.object(shard).get_reader().read_all() == whole, "the shard itself"


def refusal(bucket, shard, data, path):
    """PUTs `data` as `shard`, reads member `path`; returns (status, error text)."""
    bucket.object(shard).get_writer().put_content(data)
    with pytest.raises(AISError) as err:
        member(bucket, shard, path)
    return err.value.status_code, str(err.value)


@pytest.mark.parametrize("shard", sorted(SHARDS))
def test_a_missing_member_is_404_naming_it(bucket, shard):
    status, text = refusal(bucket, shard, SHARDS[shard](), "no/such.jpg")
    assert status == 404 and "no/such.jpg" in text, text


def test_a_corrupt_shard_is_400_naming_its_format(bucket):
    status, text = refusal(bucket, "bad.zip", b"not a zip at all " * 10, "a")
    assert status == 400 and "zip" in text, text


def test_archpath_on_an_object_that_is_not_a_shard_is_400(bucket):
    status, text = refusal(bucket, "plain.bin", b"x" * 100, "a")
    assert status == 400 and ".tar" in text, text


@pytest.mark.parametrize("shard", sorted(SHARDS))
def test_members_selected_by_pattern_come_back_as_a_tar(bucket, shard):
    bucket.object(shard).get_writer().put_content(SHARDS[shard]())
    obj = bucket.object(shard)

    def select(regex, mode):
        cfg = ArchiveConfig(regex=regex, mode=mode)
        return tar_members(obj.get_reader(archive_config=cfg).read_all())

    jpgs = {k: v for k, v in MEMBERS.items() if k.endswith(".jpg")}
    assert select(".jpg", ArchiveMode.SUFFIX) == jpgs
    assert select("0001", ArchiveMode.WDSKEY) == {k: v for k, v in MEMBERS.items() if k.startswith("0001.")}
    assert select("dir/", ArchiveMode.PREFIX) == {"dir/0002.txt": MEMBERS["dir/0002.txt"]}
    assert select("02.t", ArchiveMode.SUBSTR) == {"dir/0002.txt": MEMBERS["dir/0002.txt"]}
    assert select(r"^\d+\.(cls|jpg)$", ArchiveMode.REGEXP) == {k: MEMBERS[k] for k in ("0001.cls", "0001.jpg")}


def test_a_pattern_that_selects_nothing_is_404(bucket):
    bucket.object("s.tar").get_writer().put_content(tar_bytes("w"))
    cfg = ArchiveConfig(regex=".png", mode=ArchiveMode.SUFFIX)
    with pytest.raises(AISError) as err:
        bucket.object("s.tar").get_reader(archive_config=cfg).read_all()
    assert err.value.status_code == 404 and ".png" in str(err.value)


def test_a_bad_regexp_or_mode_is_400_naming_it(cluster, bucket):
    bucket.object("s.tar").get_writer().put_content(tar_bytes("w"))
    with pytest.raises(AISError) as err:
        cfg = ArchiveConfig(regex="(", mode=ArchiveMode.REGEXP)
        bucket.object("s.tar").get_reader(archive_config=cfg).read_all()
    assert err.value.status_code == 400 and "regexp" in str(err.value)
    url = f"{cluster.endpoint}/v1/objects/{bucket.name}/s.tar"
    resp = requests.get(url, params={"archregx": "x", "archmode": "glob"}, timeout=30)
    assert resp.status_code == 400 and "glob" in resp.text, resp.text
    resp = requests.get(url, params={"archpath": "0001.cls", "archmode": "prefix"}, timeout=30)
    assert resp.status_code == 400 and "mutually exclusive" in resp.text, resp.text


@pytest.mark.parametrize("shard", sorted(SHARDS))
def test_list_archive_names_every_member_with_its_size(bucket, shard):
    bucket.object(shard).get_writer().put_content(SHARDS[shard]())
    bucket.object("plain.bin").get_writer().put_content(b"p")
    got = {e.name: e.size for e in bucket.list_archive(shard)}
    assert got == {f"{shard}/{k}": len(v) for k, v in MEMBERS.items()}
    entries = {e.name: e for e in bucket.list_archive(shard, include_archive_obj=True)}
    assert entries[shard].size == len(SHARDS[shard]())
    assert entries[shard].flags & 512, "the shard is flagged an archive"
    assert all(e.flags & 128 for n, e in entries.items() if n != shard), "members are flagged in-archive"
    everything = [e.name for e in bucket.list_all_objects(flags=[ListObjectFlag.ARCH_DIR])]
    assert everything == sorted(everything) and "plain.bin" in everything
    assert f"{shard}/dir/0002.txt" in everything


def test_arch_dir_pages_through_a_shard_and_a_prefix_inside_it(bucket):
    many = {f"m{i:03}.bin": bytes([i]) * i for i in range(1, 40)}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in many.items():
            info = tarfile.TarInfo(f"d/{name}" if name < "m020" else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bucket.object("big.tar").get_writer().put_content(buf.getvalue())
    paged = [e.name for e in bucket.list_all_objects(flags=[ListObjectFlag.ARCH_DIR], page_size=7)]
    assert len(paged) == 1 + len(many) and len(set(paged)) == len(paged), paged
    inside = [e.name for e in bucket.list_all_objects(prefix="big.tar/d/", flags=[ListObjectFlag.ARCH_DIR])]
    assert inside == [f"big.tar/d/m{i:03}.bin" for i in range(1, 20)]


def test_listing_returns_the_properties_asked_for(bucket):
    bucket.object("a").get_writer().put_content(b"12345")
    (full,) = bucket.list_objects(props="name,size,version,custom,location").entries
    assert (full.name, full.size, full.version) == ("a", 5, "1")
    assert full.location and not full.checksum and not full.atime
    (default,) = bucket.list_objects().entries
    assert default.checksum and default.atime and not default.version
    (names,) = bucket.list_objects(props="name").entries
    assert (names.name, names.size, names.checksum) == ("a", 0, "")
    with pytest.raises(AISError) as err:
        bucket.list_objects(props="name,etag")
    assert err.value.status_code == 400 and "etag" in str(err.value)
    with pytest.raises(AISError) as err:
        bucket.list_objects(flags=[ListObjectFlag.NO_RECURSION])
    assert err.value.status_code == 400 and "no_recursion" in str(err.value)
    assert bucket.list_objects(flags=[ListObjectFlag.NOT_CACHED]).entries == []
    assert [e.name for e in bucket.list_objects(flags=[ListObjectFlag.CACHED]).entries] == ["a"]


def test_archpath_with_etl_name_transforms_just_the_member(bucket, etls):
    upper = etls.image("upper")
    bucket.object("s.tgz").get_writer().put_content(tar_bytes("w:gz"))
    cfg = ArchiveConfig(archpath="dir/0002.txt")
    got = bucket.object("s.tgz").get_reader(archive_config=cfg, etl=ETLConfig(upper.name)).read_all()
    assert got == MEMBERS["dir/0002.txt"].upper()


def put_member(cluster, bucket, shard, member, data, flags=None, mime=None):
    url = f"{cluster.endpoint}/v1/objects/{bucket.name}/{shard}"
    params = {"archpath": member}
    if mime:
        params["archmime"] = mime
    headers = {} if flags is None else {"Ais-Pine": str(flags)}
    return requests.put(url, params=params, data=data, headers=headers, timeout=30)


def test_a_member_put_into_a_tar_shard_is_appended(cluster, bucket):
    bucket.object("s.tar").get_writer().put_content(tar_bytes("w"))
    resp = put_member(cluster, bucket, "s.tar", "new/0009.txt", b"appended", flags=1)
    assert resp.status_code == 200, resp.text
    whole = bucket.object("s.tar").get_reader().read_all()
    assert tar_members(whole) == {**MEMBERS, "new/0009.txt": b"appended"}
    assert member(bucket, "s.tar", "new/0009.txt") == b"appended"
    assert put_member(cluster, bucket, "s.tar", "s.tar/x", b"rel", flags=2).status_code == 200
    assert member(bucket, "s.tar", "x") == b"rel", "archpath under the shard's own name"


def test_a_member_put_without_flags_makes_a_new_shard_of_each_format(cluster, bucket):
    for shard in ("n.tar", "n.tgz", "n.tar.lz4", "n.zip"):
        resp = put_member(cluster, bucket, shard, "only.bin", b"\x00\x01" * 1000)
        assert resp.status_code == 200, (shard, resp.text)
        assert member(bucket, shard, "only.bin") == b"\x00\x01" * 1000, shard
        assert [e.name for e in bucket.list_archive(shard)] == [f"{shard}/only.bin"]
    resp = put_member(cluster, bucket, "as-mime", "m.txt", b"m", mime="tar")
    assert resp.status_code == 200, resp.text
    got = bucket.object("as-mime").get_reader(archive_config=ArchiveConfig(archpath="m.txt")).read_all()
    assert got == b"m", "a shard without a shard's name is known by its first bytes"


def test_member_put_refusals_name_the_problem_and_change_nothing(cluster, bucket):
    assert put_member(cluster, bucket, "none.tar", "a", b"x", flags=1).status_code == 404
    assert not [e for e in bucket.list_all_objects() if e.name == "none.tar"]
    original = tar_bytes("w:gz")
    bucket.object("s.tgz").get_writer().put_content(original)
    resp = put_member(cluster, bucket, "s.tgz", "a", b"x", flags=1)
    assert resp.status_code == 400 and "only to .tar" in resp.text, resp.text
    assert bucket.object("s.tgz").get_reader().read_all() == original
    resp = put_member(cluster, bucket, "s.tar", "a", b"x", flags=7)
    assert resp.status_code == 400 and "flags" in resp.text, resp.text
    resp = put_member(cluster, bucket, "plain.bin", "a", b"x")
    assert resp.status_code == 400 and "archmime" in resp.text, resp.text
    resp = put_member(cluster, bucket, "s.tar", "a", b"")
    assert resp.status_code == 400 and "Content-Length" in resp.text, resp.text
