"""Regressions: SDK calls that answered 200 with wrong data (append, archive reads, object copy)
or silently ignored a parameter. Each is named after its symptom."""

import io
import tarfile

import pytest
import requests
from aistore.sdk.archive_config import ArchiveConfig
from aistore.sdk.errors import AISError


def test_append_then_flush_keeps_every_part_instead_of_only_the_last(bucket):
    writer = bucket.object("log.txt").get_writer()
    handle = writer.append_content(b"first,")
    assert handle, "the first append answers a handle"
    handle = writer.append_content(b"second,", handle=handle)
    writer.append_content(b"third", handle=handle, flush=True)
    assert bucket.object("log.txt").get_reader().read_all() == b"first,second,third"


def test_appended_object_is_invisible_until_flushed(bucket):
    writer = bucket.object("pending").get_writer()
    handle = writer.append_content(b"part")
    with pytest.raises(AISError) as err:
        bucket.object("pending").get_reader().read_all()
    assert err.value.status_code == 404
    writer.append_content(b"", handle=handle, flush=True)
    assert bucket.object("pending").get_reader().read_all() == b"part"


def test_append_to_an_existing_object_keeps_its_bytes(bucket):
    obj = bucket.object("grow")
    obj.get_writer().put_content(b"old|")
    writer = obj.get_writer()
    handle = writer.append_content(b"new")
    writer.append_content(b"", handle=handle, flush=True)
    assert obj.get_reader().read_all() == b"old|new"


def test_append_with_a_handle_of_another_object_is_refused(bucket):
    handle = bucket.object("a").get_writer().append_content(b"x")
    with pytest.raises(AISError) as err:
        bucket.object("b").get_writer().append_content(b"y", handle=handle, flush=True)
    assert err.value.status_code == 400
    assert "append handle" in str(err.value)


def test_unknown_append_type_is_refused_not_treated_as_put(cluster, bucket):
    url = f"{cluster.endpoint}/v1/objects/{bucket.name}/x?provider=ais&append_type=sideways"
    resp = requests.put(url, data=b"data", timeout=30)
    assert resp.status_code == 400
    assert "sideways" in resp.text
    assert "x" not in {e.name for e in bucket.list_all_objects()}


def test_unknown_query_parameter_is_refused_with_its_name(cluster, bucket):
    bucket.object("o").get_writer().put_content(b"data")
    for method in ("GET", "PUT", "HEAD", "DELETE"):
        url = f"{cluster.endpoint}/v1/objects/{bucket.name}/o?provider=ais&frobnicate=1"
        resp = requests.request(method, url, data=b"new" if method == "PUT" else None,
            timeout=30, allow_redirects=True,
        )
        assert resp.status_code == 400, method
        if method != "HEAD":
            assert "frobnicate" in resp.text, method
    assert bucket.object("o").get_reader().read_all() == b"data"


def test_archpath_returns_the_member_instead_of_the_whole_shard(bucket):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("0001.jpg", b"one!"), ("0003.jpg", b"three")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bucket.object("shard.tar").get_writer().put_content(buf.getvalue())
    reader = bucket.object("shard.tar").get_reader(
        archive_config=ArchiveConfig(archpath="0003.jpg")
    )
    assert reader.read_all() == b"three"


def test_archpath_of_a_missing_member_is_404_instead_of_the_whole_shard(bucket):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("0001.jpg")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"one!"))
    bucket.object("shard.tar").get_writer().put_content(buf.getvalue())
    reader = bucket.object("shard.tar").get_reader(
        archive_config=ArchiveConfig(archpath="0002.jpg")
    )
    with pytest.raises(AISError) as err:
        reader.read_all()
    assert err.value.status_code == 404
    assert "0002.jpg" in str(err.value)


def test_object_copy_without_etl_copies_instead_of_doing_nothing(bucket, client):
    data = b"payload " * 1000
    bucket.object("src").get_writer().put_content(data)
    bucket.object("src").copy(bucket.object("dst"))
    assert bucket.object("dst").get_reader().read_all() == data
    assert bucket.object("src").get_reader().read_all() == data
    other = client.bucket(bucket.name + "-to")
    other.create()
    try:
        for i in range(8):  # several names, so some land on another target
            bucket.object("src").copy(other.object(f"c{i}"))
            assert other.object(f"c{i}").get_reader().read_all() == data
    finally:
        other.delete(missing_ok=True)


def test_object_copy_onto_itself_is_refused(bucket):
    bucket.object("self").get_writer().put_content(b"keep me")
    with pytest.raises(AISError) as err:
        bucket.object("self").copy(bucket.object("self"))
    assert err.value.status_code == 400
    assert bucket.object("self").get_reader().read_all() == b"keep me"
