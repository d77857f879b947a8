"""Wasm ETL through the unmodified SDK: init (image and init code), inline reads with and without
args, fused pipelines, transformed copy, and what the SDK's FQN input mode changes (nothing)."""

import hashlib

import pytest
import requests
from aistore.sdk.errors import AISError
from aistore.sdk.etl.etl_config import ETLConfig

from etl_helpers import etls, flac_bytes, module_path, modules_bucket, new_bucket, wav_header  # noqa: F401

TEXT = b"Hello, lode! The quick brown fox jumps over the lazy dog. 0123456789\n" * 50


def put(bck, name, data):
    bck.object(name).get_writer().put_content(data)
    return bck.object(name)


def read(obj, etl, args=None):
    return obj.get_reader(etl=ETLConfig(etl, args)).read_all()


def test_init_from_image_lists_running_and_echoes(client, bucket, etls):
    etl = etls.image("echo")
    running = {e.id: e for e in client.cluster().list_etls()}
    assert running[etl.name].stage == "Running"
    assert running[etl.name].xaction_id.startswith("etl-")
    obj = put(bucket, "dir/a.txt", TEXT)
    assert read(obj, etl.name) == TEXT
    assert read(obj, etl.name, args="ignored by echo") == TEXT
    # An object that does not exist is the usual 404, not a transform error.
    with pytest.raises(AISError) as err:
        read(bucket.object("dir/missing.txt"), etl.name)
    assert err.value.status_code == 404


def test_init_env_reaches_the_module(bucket, etls):
    # Etl.init(**env) puts the variables in runtime.env; the module reads them through WASI.
    etl = etls.image("faults", GREETING="hello from the init message")
    obj = put(bucket, "env.txt", b"ignored")
    assert read(obj, etl.name, args="env:GREETING") == b"hello from the init message"
    # Nothing of the target's own environment leaks into the sandbox.
    assert read(obj, etl.name, args="env:PATH") == b""


def test_init_code_md5_matches_hashlib(client, bucket, etls):
    etl = etls.code("md5")
    for size in (0, 1, 4096, (1 << 20) + 3):
        data = bytes((i * 31 + size) % 251 for i in range(size))
        obj = put(bucket, f"md5/{size}.bin", data)
        assert read(obj, etl.name) == hashlib.md5(data).hexdigest().encode()
        assert read(obj, etl.name, args={"any": "args"}) == hashlib.md5(data).hexdigest().encode()


def test_upper_and_rot13_c_args(bucket, etls):
    upper = etls.image("upper")
    rot13 = etls.code("rot13_c")
    obj = put(bucket, "text.txt", TEXT)
    assert read(obj, upper.name) == TEXT.upper()
    rot = bytes(
        (c - 97 + 13) % 26 + 97 if 97 <= c <= 122 else (c - 65 + 13) % 26 + 65 if 65 <= c <= 90 else c
        for c in TEXT
    )
    assert read(obj, rot13.name) == rot
    assert read(obj, rot13.name, args="upper") == rot.upper()


@pytest.mark.parametrize(
    "args, channels, rate",
    [(None, 2, 44100), ({"AR": 22050, "AC": 1}, 1, 22050), ('{"AR":8000,"AC":2}', 2, 8000)],
)
def test_flac2wav_header(bucket, etls, tmp_path, args, channels, rate):
    etl = etls.image("flac2wav")
    obj = put(bucket, "speech/1-2-0003.flac", flac_bytes(tmp_path, seconds=1.0))
    hdr = wav_header(read(obj, etl.name, args=args))
    assert (hdr["format"], hdr["bits"]) == (1, 16)
    assert (hdr["channels"], hdr["rate"]) == (channels, rate)
    expected = rate * channels * 2  # one second of 16-bit PCM
    assert abs(hdr["data_len"] - expected) <= expected // 50, hdr


def test_direct_file_access_reads_the_same(bucket, etls):
    etl = etls.image("md5", direct_file_access=True)
    assert etl.view().init_msg.runtime.env[-1].name == "ETL_DIRECT_FQN"
    obj = put(bucket, "fqn/obj.bin", TEXT * 7)
    assert read(obj, etl.name) == hashlib.md5(TEXT * 7).hexdigest().encode()


def test_pipelines(bucket, etls):
    upper, md5, echo, rot13 = etls.image("upper"), etls.image("md5"), etls.image("echo"), etls.code("rot13_c")
    obj = put(bucket, "pipe.txt", TEXT)
    assert read(obj, upper >> md5) == hashlib.md5(TEXT.upper()).hexdigest().encode()
    assert read(obj, echo >> upper >> md5) == hashlib.md5(TEXT.upper()).hexdigest().encode()
    assert read(obj, rot13 >> rot13) == TEXT
    # An Etl object with no pipeline sends etl_pipeline= (empty): just that ETL.
    assert read(obj, upper) == TEXT.upper()
    # Args go to the first stage only: faults echoes "upper", rot13 does not see it.
    faults = etls.image("faults")
    rot = read(obj, rot13)
    assert read(obj, faults >> rot13, args="upper") == rot
    assert read(obj, rot13 >> faults, args="upper") == rot.upper()
    # A stage that does not exist fails the read (never a 5xx, never partial output).
    ghost = etls.client.etl("no-such-etl-stage")
    with pytest.raises(AISError) as err:
        read(obj, upper >> ghost)
    assert err.value.status_code in (400, 404), err.value.message
    assert "no-such-etl-stage" in err.value.message


def test_copy_one_object_transformed(client, bucket, etls, new_bucket):
    upper = etls.image("upper")
    dst = new_bucket()
    src = put(bucket, "copy/src.txt", TEXT)
    src.copy(dst.object("copied/dst.txt"), etl=ETLConfig(upper.name))
    assert dst.object("copied/dst.txt").get_reader().read_all() == TEXT.upper()
    assert [e.name for e in dst.list_all_objects()] == ["copied/dst.txt"]


def test_view_echoes_init_messages(etls, modules_bucket):
    by_image = etls.image("echo", obj_timeout="30s")
    msg = by_image.view().init_msg
    assert msg.name == by_image.name
    assert msg.communication == "hpush://"
    assert msg.obj_timeout == "30s"
    assert msg.runtime.image == f"ais://{modules_bucket.name}/echo.wasm"

    by_code = etls.code("upper", obj_timeout="5s")
    msg = by_code.view().init_msg
    assert msg.name == by_code.name
    assert msg.runtime == "wasm32"
    assert msg.code == module_path("upper").read_bytes()  # the SDK base64-decodes it
    assert msg.obj_timeout == "5s"
    assert not by_code.view().obj_errors


def test_health_and_metrics(cluster, bucket, etls):
    etl = etls.image("echo")
    obj = put(bucket, "m.txt", TEXT)
    assert read(obj, etl.name) == TEXT
    targets = set(cluster.smap().tmap)
    health = requests.get(f"{cluster.endpoint}/v1/etl/{etl.name}/health", timeout=30)
    assert health.status_code == 200, health.text
    assert {h["target_id"]: h["health_status"] for h in health.json()} == {t: "Running" for t in targets}
    metrics = requests.get(f"{cluster.endpoint}/v1/etl/{etl.name}/metrics", timeout=30)
    assert metrics.status_code == 200, metrics.text
    rows = metrics.json()
    assert [r["target_id"] for r in rows] == sorted(targets)
    assert sum(r["objects"] for r in rows) >= 1
    assert sum(r["bytes_in"] for r in rows) >= len(TEXT)
