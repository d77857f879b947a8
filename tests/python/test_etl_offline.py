"""Offline Wasm transforms through the SDK: etl-bck and etl-listrange (names, templates), exact
destination names (prefix, prepend, ext), dry runs and inspect, pipelines, per-object errors
with and without continue-on-error, and the gateway's refusals."""

import hashlib

import pytest
from aistore.sdk.errors import AISError, ErrBckNotFound

from etl_helpers import etls, flac_bytes, listing, modules_bucket, new_bucket, wav_header  # noqa: F401

WAIT = 120


def fill(bck, names):
    """Puts `name -> content` (content derived from the name); returns {name: content}."""
    data = {n: f"content of {n}\n".encode() * (1 + len(n) % 5) for n in names}
    for name, body in data.items():
        bck.object(name).get_writer().put_content(body)
    return data


def md5hex(data: bytes) -> bytes:
    return hashlib.md5(data).hexdigest().encode()


def wait_ok(client, xid):
    result = client.job(xid).wait(timeout=WAIT, verbose=False)
    assert result.success, f"job {xid}: {result.error}"
    return result


def stats(client, xid):
    """Sums of the job's snapshot stats over all targets."""
    snaps = client.job(xid).get_details().list_snapshots()
    assert snaps, f"job {xid} has no snapshots"
    fields = ("objects", "bytes", "out_objects", "out_bytes", "in_objects", "in_bytes")
    return {f: sum(getattr(s.stats, f) for s in snaps if s.stats) for f in fields}


@pytest.mark.parametrize("num_workers", [0, -1, 4])
def test_bck_prefix_prepend_ext(client, bucket, etls, new_bucket, num_workers):
    upper = etls.image("upper")
    src = fill(bucket, ["a/1.txt", "a/2.TXT", "a/3.tar.txt", "a/noext", "a/4.bin", "b/5.txt", "a.txt"])
    dst = new_bucket(create=False)  # created by the job
    xid = bucket.transform(
        etl_name=upper.name,
        to_bck=dst,
        prefix_filter="a/",
        prepend="up-",
        ext={"txt": ".out", "bin": "dat"},
        num_workers=num_workers,
    )
    wait_ok(client, xid)
    renamed = {
        "up-a/1.out": "a/1.txt",
        "up-a/2.TXT": "a/2.TXT",
        "up-a/3.tar.out": "a/3.tar.txt",
        "up-a/noext": "a/noext",
        "up-a/4.dat": "a/4.bin",
    }
    assert listing(dst) == {new: src[old].upper() for new, old in renamed.items()}
    assert listing(bucket) == src  # the source is untouched
    got = stats(client, xid)
    assert got["objects"] == len(renamed)
    assert got["bytes"] == sum(len(src[old]) for old in renamed.values())
    assert got["out_objects"] == got["in_objects"] and got["out_bytes"] == got["in_bytes"]
    assert not upper.view(job_id=xid).obj_errors


def test_bck_pipeline_and_md5_sizes(client, bucket, etls, new_bucket):
    upper, md5 = etls.image("upper"), etls.code("md5")
    src = fill(bucket, [f"obj-{i:03}.txt" for i in range(40)])
    dst = new_bucket()
    xid = bucket.transform(etl_name=upper.name, to_bck=dst, etl_pipeline=[md5.name])
    wait_ok(client, xid)
    assert listing(dst) == {n: md5hex(d.upper()) for n, d in src.items()}
    got = stats(client, xid)
    assert (got["objects"], got["bytes"]) == (40, 40 * 32)


def test_listrange_names(client, bucket, etls, new_bucket):
    md5 = etls.image("md5")
    src = fill(bucket, ["n/a.txt", "n/b.txt", "n/c.txt", "n/d.bin"])
    dst = new_bucket()
    xid = bucket.objects(obj_names=["n/a.txt", "n/c.txt", "n/d.bin"]).transform(
        to_bck=dst, etl_name=md5.name, prepend="md5/", ext={"txt": "md5"}
    )
    wait_ok(client, xid)
    assert listing(dst) == {
        "md5/n/a.md5": md5hex(src["n/a.txt"]),
        "md5/n/c.md5": md5hex(src["n/c.txt"]),
        "md5/n/d.bin": md5hex(src["n/d.bin"]),
    }


@pytest.mark.parametrize(
    "names, template, picked",
    [
        ([f"x-{i}.txt" for i in range(15)], "x-{0..9}.txt", [f"x-{i}.txt" for i in range(10)]),
        ([f"p-{i:02}.txt" for i in range(12)], "p-{00..10..2}.txt", [f"p-{i:02}.txt" for i in range(0, 11, 2)]),
    ],
    ids=["range", "padded-step"],
)
def test_listrange_template(client, bucket, etls, new_bucket, names, template, picked):
    upper = etls.image("upper")
    src = fill(bucket, names)
    dst = new_bucket()
    xid = bucket.objects(obj_template=template).transform(to_bck=dst, etl_name=upper.name)
    wait_ok(client, xid)
    assert listing(dst) == {n: src[n].upper() for n in picked}


def test_dry_run_writes_nothing(client, bucket, etls, new_bucket):
    upper = etls.image("upper")
    src = fill(bucket, [f"dry/{i}.txt" for i in range(12)])
    dst = new_bucket(create=False)
    xid = bucket.transform(etl_name=upper.name, to_bck=dst, dry_run=True)
    wait_ok(client, xid)
    assert listing(dst) == {}
    got = stats(client, xid)
    assert (got["objects"], got["bytes"]) == (len(src), sum(map(len, src.values())))

    xid = bucket.objects(obj_names=["dry/1.txt", "dry/2.txt"]).transform(
        to_bck=dst, etl_name=upper.name, dry_run=True
    )
    wait_ok(client, xid)
    assert listing(dst) == {}
    assert stats(client, xid)["objects"] == 2

    xid = bucket.inspect(etl_name=upper.name)  # dst = src, dry run
    wait_ok(client, xid)
    assert stats(client, xid)["objects"] == len(src)
    assert listing(bucket) == src


def test_failing_object_with_and_without_coer(client, bucket, etls, new_bucket, tmp_path):
    f2w = etls.image("flac2wav")
    good = {f"s/{i}.flac": flac_bytes(tmp_path, seconds=0.5, name=str(i)) for i in range(3)}
    for name, body in good.items():
        bucket.object(name).get_writer().put_content(body)
    bucket.object("s/bad.flac").get_writer().put_content(b"this is not FLAC" * 8)

    dst = new_bucket()
    xid = bucket.transform(etl_name=f2w.name, to_bck=dst, ext={"flac": "wav"}, cont_on_err=True)
    wait_ok(client, xid)
    out = listing(dst)
    assert set(out) == {n.replace(".flac", ".wav") for n in good}
    for wav in out.values():
        hdr = wav_header(wav)
        assert (hdr["channels"], hdr["rate"]) == (2, 44100)
    errors = f2w.view(job_id=xid).obj_errors or []
    assert [e.obj_name for e in errors] == [f"ais://{bucket.name}/s/bad.flac"], errors
    assert not f2w.view().obj_errors  # inline errors are separate

    xid = bucket.transform(etl_name=f2w.name, to_bck=new_bucket(), ext={"flac": "wav"})
    result = client.job(xid).wait(timeout=WAIT, verbose=False)
    assert not result.success
    assert "bad.flac" in (result.error or ""), result.error
    status = client.job(xid).status()
    assert status.end_time != 0 and (status.aborted or status.err)


def test_listrange_missing_name_is_an_object_error(client, bucket, etls, new_bucket):
    echo = etls.image("echo")
    src = fill(bucket, ["l/a", "l/b"])
    dst = new_bucket()
    names = ["l/a", "l/ghost", "l/b"]
    xid = bucket.objects(obj_names=names).transform(to_bck=dst, etl_name=echo.name, continue_on_error=True)
    wait_ok(client, xid)
    assert listing(dst) == src
    errors = echo.view(job_id=xid).obj_errors or []
    assert [e.obj_name for e in errors] == [f"ais://{bucket.name}/l/ghost"]
    assert "does not exist" in errors[0].msg

    xid = bucket.objects(obj_names=names).transform(to_bck=new_bucket(), etl_name=echo.name)
    assert not client.job(xid).wait(timeout=WAIT, verbose=False).success


def test_gateway_refusals(client, bucket, etls, new_bucket):
    echo = etls.image("echo")
    fill(bucket, ["r/1"])
    dst = new_bucket()
    with pytest.raises(AISError) as err:
        bucket.transform(etl_name="no-such-etl-x", to_bck=dst)
    assert err.value.status_code == 404 and "no-such-etl-x" in err.value.message
    with pytest.raises(AISError) as err:
        bucket.transform(etl_name=echo.name, to_bck=dst, etl_pipeline=["no-such-stage"])
    assert err.value.status_code == 404 and "no-such-stage" in err.value.message
    with pytest.raises(AISError) as err:
        bucket.transform(etl_name=echo.name, to_bck=bucket)  # same bucket without dry run
    assert err.value.status_code == 400
    with pytest.raises(ErrBckNotFound):
        new_bucket(create=False).transform(etl_name=echo.name, to_bck=dst)
    with pytest.raises(AISError) as err:
        bucket.transform(etl_name=echo.name, to_bck=dst, sync=True, prepend="x-")
    assert err.value.status_code == 400
    echo.stop()
    with pytest.raises(AISError) as err:
        bucket.transform(etl_name=echo.name, to_bck=dst)
    assert err.value.status_code == 400 and echo.name in err.value.message
    assert listing(dst) == {}
