"""Wasm ETL lifecycle and failure modes through the SDK: stop / start / delete, logs, the SDK's
ETL exceptions, invalid names, rejected modules (nothing left behind), hostile modules."""

import base64

import pytest
import requests
from aistore.sdk.errors import AISError, ErrETLAlreadyExists, ErrETLNotFound
from aistore.sdk.etl.etl_config import ETLConfig

import wasm_module
from etl_helpers import all_etl_ids, etls, modules_bucket, unique  # noqa: F401

DATA = b"lode keeps serving\n" * 10


def put(bck, name, data=DATA):
    bck.object(name).get_writer().put_content(data)
    return bck.object(name)


def read(obj, etl, args=None):
    return obj.get_reader(etl=ETLConfig(etl, args)).read_all()


def all_logs(etl) -> str:
    return "\n".join(entry.logs for entry in etl.logs())


def test_stop_start_delete(client, bucket, etls):
    etl = etls.image("upper")
    obj = put(bucket, "life.txt")
    assert read(obj, etl.name) == DATA.upper()

    etl.stop()
    assert etl.name not in {e.id for e in client.cluster().list_etls()}
    assert etl.name in {e.id for e in client.cluster().list_etls(stages=["Aborted"])}
    with pytest.raises(AISError) as err:
        read(obj, etl.name)
    assert err.value.status_code == 404, err.value.message
    assert "does not exist" in err.value.message and not isinstance(err.value, ErrETLNotFound)
    assert obj.get_reader().read_all() == DATA  # plain reads unaffected

    etl.start()
    assert etl.name in {e.id for e in client.cluster().list_etls()}
    assert read(obj, etl.name) == DATA.upper()
    with pytest.raises(AISError) as err:
        etl.start()  # only from Aborted
    assert err.value.status_code == 400 and "can't start" in err.value.message

    etl.delete()
    assert etl.name not in all_etl_ids(client)
    with pytest.raises(ErrETLNotFound):
        etl.view()
    with pytest.raises(AISError):
        read(obj, etl.name)


def test_missing_etl_is_err_etl_not_found(client):
    ghost = client.etl(unique("ghost"))
    for op in (ghost.view, ghost.stop, ghost.start, ghost.delete, ghost.logs):
        with pytest.raises(ErrETLNotFound) as err:
            op()
        assert err.value.status_code == 404
        assert f"etl job {ghost.name} does not exist" in err.value.message


def test_init_twice_is_err_etl_already_exists(client, etls, modules_bucket):
    etl = etls.image("echo")
    with pytest.raises(ErrETLAlreadyExists) as err:
        etl.init(image=f"ais://{modules_bucket.name}/echo.wasm")
    assert f"etl job {etl.name} already exists" in err.value.message
    resp = etls.put_code(etl.name, b"\0asm\x01\0\0\0")
    assert resp.status_code == 409 and "already exists" in resp.text, resp.text
    assert etl.view().init_msg.runtime.image.endswith("/echo.wasm")  # the first one stays


@pytest.mark.parametrize("name", ["ab", "Bad_Name", "x" * 33, "-starts-with-dash"])
def test_invalid_names(client, etls, name):
    with pytest.raises(ValueError):
        client.etl(name)
    before = all_etl_ids(client)
    resp = etls.put_code(name, wasm_module.sdk_module())
    assert resp.status_code == 400, resp.text
    assert name in resp.text and "ETL name" in resp.text, resp.text
    assert all_etl_ids(client) == before


def test_hand_made_module_is_accepted(bucket, etls):
    """Control for the rejections below: the encoder's valid module works (empty output)."""
    name = unique("handmade")
    resp = etls.put_code(name, wasm_module.sdk_module())
    assert resp.status_code == 200, resp.text
    assert read(put(bucket, "hm.txt"), name) == b""


@pytest.mark.parametrize(
    "module, words",
    [
        (b"this is not wasm at all", ["webassembly", "wasm", "magic"]),
        (b"\0asm\x01\0\0\0\x01\xff", ["webassembly", "wasm", "section"]),  # truncated
        (wasm_module.sdk_module(extra_import=("lode", "no_such_host_fn")), ["no_such_host_fn"]),
        (wasm_module.sdk_module(extra_import=("env", "mystery_import")), ["mystery_import"]),
        (wasm_module.sdk_module(abi_version=7), ["version"]),
    ],
    ids=["garbage", "truncated", "unknown-lode-import", "unknown-module-import", "abi-version"],
)
def test_bad_modules_rejected_leaving_nothing(client, etls, module, words):
    before = all_etl_ids(client)
    name = unique("badmod")
    resp = etls.put_code(name, module)
    assert resp.status_code == 400, resp.text
    assert any(word.lower() in resp.text.lower() for word in words), resp.text
    assert all_etl_ids(client) == before
    with pytest.raises(ErrETLNotFound):
        client.etl(name).view()
    # Nothing left behind: the name is free again for a good module.
    resp = etls.put_code(name, wasm_module.sdk_module())
    assert resp.status_code == 200, resp.text


def test_bad_module_via_image(client, etls, modules_bucket):
    modules_bucket.object("garbage.wasm").get_writer().put_content(b"not a module")
    before = all_etl_ids(client)
    garbage, missing = client.etl(unique("badimg")), client.etl(unique("noimg"))
    etls.names += [garbage.name, missing.name]
    with pytest.raises(AISError) as err:
        garbage.init(image=f"ais://{modules_bucket.name}/garbage.wasm")
    assert err.value.status_code == 400, err.value.message
    with pytest.raises(AISError) as err:
        missing.init(image=f"ais://{modules_bucket.name}/nope.wasm")
    assert err.value.status_code == 400, err.value.message
    assert f"ais://{modules_bucket.name}/nope.wasm" in err.value.message
    assert "does not exist" in err.value.message
    assert all_etl_ids(client) == before


@pytest.mark.parametrize(
    "args, words",
    [
        ("panic", ["panic requested"]),
        ("fail", ["failure requested"]),
        ("loop", ["deadline", "timeout", "timed out", "interrupt", "time limit"]),
        ("alloc", ["memory", "alloc", "limit"]),
        # Rust's shadow stack lives in linear memory: overflowing it is an out-of-bounds trap.
        ("recurse", ["stack", "out of bounds"]),
    ],
)
def test_hostile_modules_fail_their_object_only(cluster, bucket, etls, args, words):
    faults = etls.code("faults", obj_timeout="2s")
    obj = put(bucket, f"hostile/{args}.txt")
    with pytest.raises(AISError) as err:
        read(obj, faults.name, args=args)
    text = err.value.message
    assert err.value.status_code == 400, text
    assert f"ETL {faults.name}" in text and f"ais://{bucket.name}/hostile/{args}.txt" in text, text
    assert any(w in text.lower() for w in words), text
    # The worker was replaced; the same ETL and the cluster keep serving.
    assert read(obj, faults.name) == DATA
    assert obj.get_reader().read_all() == DATA
    errors = faults.view().obj_errors or []
    assert [(e.obj_name, e.ecode) for e in errors] == [(f"ais://{bucket.name}/hostile/{args}.txt", 400)]
    assert any(w in all_logs(faults).lower() for w in words)


def test_logs_carry_guest_lines_and_errors(cluster, bucket, etls):
    faults = etls.image("faults")
    obj = put(bucket, "logs.txt")
    assert read(obj, faults.name, args="log") == DATA
    with pytest.raises(AISError):
        read(obj, faults.name, args="fail")
    text = all_logs(faults)
    assert "faults: info line" in text and "faults: error line" in text, text
    assert "failure requested" in text, text
    # The raw endpoint, per target: base64 text; only the target that ran it has the lines.
    tids = sorted(cluster.smap().tmap)
    texts = {}
    for tid in tids:
        resp = requests.get(f"{cluster.endpoint}/v1/etl/{faults.name}/logs/{tid}", timeout=30)
        assert resp.status_code == 200, resp.text
        [entry] = resp.json()
        assert entry["target_id"] == tid
        texts[tid] = base64.b64decode(entry["logs"]).decode(errors="replace")
    assert sum("faults: warn line" in t for t in texts.values()) == 1, texts


def test_rot13_c_stderr_reaches_logs(bucket, etls):
    rot13 = etls.code("rot13_c")
    obj = put(bucket, "c/stderr.txt")
    read(obj, rot13.name)
    assert f"{bucket.name}/c/stderr.txt: {len(DATA)} bytes" in all_logs(rot13)
