"""Shards: one member of a tar, tar.gz / tgz or zip object read with `archpath`, byte for byte;
what lode does not read yet is refused with 400 naming it."""

import io
import tarfile
import zipfile

import pytest
from aistore.sdk.archive_config import ArchiveConfig, ArchiveMode
from aistore.sdk.errors import AISError

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
    "s.zip": zip_bytes,
}


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


def test_selecting_members_by_pattern_is_refused_naming_the_parameter(bucket):
    bucket.object("s.tar").get_writer().put_content(tar_bytes("w"))
    cfg = ArchiveConfig(regex=".jpg", mode=ArchiveMode.SUFFIX)
    with pytest.raises(AISError) as err:
        bucket.object("s.tar").get_reader(archive_config=cfg).read_all()
    assert err.value.status_code == 400
    assert "archregx" in str(err.value)
