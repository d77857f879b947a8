"""Container ETLs beyond `init(image=, command=)`, through the cluster: `init_class` (the SDK's
pickled ETLServer class on the `runtime_python` image) and the Python init-code runtime
(`python3.Xv2`), each served by the `aistore[etl]` web-server framework from a per-ETL
virtualenv; the `io://` and `hrev://` communicators (which the SDK no longer offers, so they are
initialised over REST); and pipelines mixing Wasm and container stages, inline and offline.
"""

import base64
import hashlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from aistore.sdk.errors import AISError
from aistore.sdk.etl.etl_config import ETLConfig
from aistore.sdk.etl.webserver.http_multi_threaded_server import HTTPMultiThreadedServer

from etl_helpers import etls, modules_bucket, remove_etls, unique  # noqa: F401
from test_etl_container import MANY, OBJECTS, WAIT, command, server_dir, venv_python  # noqa: F401

TEXT = b"The quick brown fox jumps over the lazy dog.\n" * 50


@pytest.fixture
def named(client):
    """ETL names for one test; stops and deletes them all afterwards."""
    names = []

    def make(prefix):
        names.append(unique(prefix))
        return client.etl(names[-1])

    yield make
    remove_etls(client, names)


@pytest.fixture
def src(client):
    bck = client.bucket(unique("rt-src"))
    bck.create()
    for name, body in {**OBJECTS, **MANY}.items():
        bck.object(name).get_writer().put_content(body)
    yield bck
    bck.delete(missing_ok=True)


@pytest.fixture
def dst(client):
    bck = client.bucket(unique("rt-dst"))
    yield bck
    bck.delete(missing_ok=True)


def init_rest(cluster, msg):
    resp = requests.put(f"{cluster.endpoint}/v1/etl", json=msg, timeout=300)
    assert resp.status_code == 200 and resp.text.startswith("etl-"), resp.text
    return resp.text


def test_init_class_inline_and_offline(named, src, dst, client):
    etl = named("cls")

    @etl.init_class(init_timeout="4m", NUM_WORKERS="1")
    class Md5Server(HTTPMultiThreadedServer):  # pylint: disable=unused-variable
        def transform(self, data, path, etl_args):
            if etl_args == "upper":
                return data.upper()
            return hashlib.md5(data).hexdigest().encode()

    assert etl.view().init_msg.runtime.image.startswith("aistorage/runtime_python:")
    for name, body in OBJECTS.items():
        got = src.object(name).get_reader(etl=ETLConfig(etl.name)).read_all()
        assert got == hashlib.md5(body).hexdigest().encode(), name
    assert src.object("m/000.bin").get_reader(etl=ETLConfig(etl.name, "upper")).read_all() == MANY["m/000.bin"].upper()
    xid = src.transform(etl_name=etl.name, to_bck=dst, prefix_filter="m/", ext={"bin": "md5"})
    result = client.job(xid).wait(timeout=WAIT, verbose=False)
    assert result.success, f"job {xid}: {result.error}"
    for name, body in MANY.items():
        out = dst.object(name[: -len("bin")] + "md5").get_reader().read_all()
        assert out == hashlib.md5(body).hexdigest().encode(), name


MD5_CODE = """
import hashlib

def md5(data):
    if isinstance(data, str):
        with open(data, "rb") as f:
            data = f.read()
    elif not isinstance(data, bytes):
        h = hashlib.md5()
        for chunk in data:
            h.update(chunk)
        return h.hexdigest().encode()
    return hashlib.md5(data).hexdigest().encode()
"""


@pytest.mark.parametrize("argument, chunk_size", [("", 0), ("fqn", 0), ("", 4096)])
def test_init_code_python_runtime(cluster, named, src, argument, chunk_size):
    etl = named("code")
    python = "python{}.{}v2".format(*sys.version_info[:2])
    init_rest(cluster, {
        "name": etl.name, "runtime": python, "communication": "hpush://",
        "code": base64.b64encode(MD5_CODE.encode()).decode(), "funcs": {"transform": "md5"},
        "argument": argument, "chunk_size": chunk_size, "init_timeout": "4m",
        "env": [{"name": "NUM_WORKERS", "value": "1"}],
    })
    for name, body in OBJECTS.items():
        got = src.object(name).get_reader(etl=ETLConfig(etl.name)).read_all()
        assert got == hashlib.md5(body).hexdigest().encode(), (name, argument, chunk_size)


def test_io_comm_one_process_per_object(cluster, named, src, dst, client):
    etl = named("io")
    init_rest(cluster, {
        "name": etl.name, "communication": "io://",
        "runtime": {"image": "local/tr", "command": ["sh", "-c", "tr a-z A-Z"]},
    })
    assert etl.view().init_msg.communication == "io://"
    for name, body in list(OBJECTS.items())[:3]:
        got = src.object(name).get_reader(etl=ETLConfig(etl.name)).read_all()
        assert got == body.upper(), name
    xid = src.transform(etl_name=etl.name, to_bck=dst, prefix_filter="m/", ext={"bin": "up"})
    result = client.job(xid).wait(timeout=WAIT, verbose=False)
    assert result.success, f"job {xid}: {result.error}"
    for name, body in MANY.items():
        assert dst.object(name[: -len("bin")] + "up").get_reader().read_all() == body.upper(), name


def test_io_comm_failure_is_an_object_error(cluster, named, src):
    etl = named("io-fail")
    init_rest(cluster, {
        "name": etl.name, "communication": "io://",
        "runtime": {"image": "local/false", "command": ["sh", "-c", "echo broken >&2; exit 3"]},
    })
    with pytest.raises(AISError) as err:
        src.object("m/000.bin").get_reader(etl=ETLConfig(etl.name)).read_all()
    assert err.value.status_code == 400, err.value


def test_hrev_reads_the_object_back(cluster, named, src, dst, client, command):
    etl = named("hrev")
    init_rest(cluster, {
        "name": etl.name, "communication": "hrev://", "support_direct_put": True,
        "runtime": {"image": "local/etl-server", "command": command},
    })
    for name, body in OBJECTS.items():
        assert src.object(name).get_reader(etl=ETLConfig(etl.name)).read_all() == body, name
        got = src.object(name).get_reader(etl=ETLConfig(etl.name, "md5")).read_all()
        assert got == hashlib.md5(body).hexdigest().encode(), name
    # The transformer fetched every object through the target's _object endpoint, never a file.
    logs = "\n".join(entry.logs for entry in etl.logs())
    assert "etl_fqn" not in logs, logs[-2000:]
    xid = src.transform(etl_name=etl.name, to_bck=dst, prefix_filter="m/", ext={"bin": "copy"})
    result = client.job(xid).wait(timeout=WAIT, verbose=False)
    assert result.success, f"job {xid}: {result.error}"
    for name, body in MANY.items():
        assert dst.object(name[: -len("bin")] + "copy").get_reader().read_all() == body, name


@pytest.mark.parametrize("comm", ["hpush", "hpull", "ws"])
def test_mixed_wasm_and_container_pipelines(named, src, client, etls, command, comm):
    """upper (Wasm) >> md5 (container) and md5 (container) >> upper (Wasm), inline and offline."""
    upper = etls.image("upper")
    md5 = named(f"md5-{comm}")
    md5.init(
        image="local/etl-server", command=command, comm_type=comm, direct_put=True,
        init_timeout="60s", MODE="md5",
    )
    for first, then, expect in [
        (upper, md5, lambda b: hashlib.md5(b.upper()).hexdigest().encode()),
        (md5, upper, lambda b: hashlib.md5(b).hexdigest().upper().encode()),
    ]:
        pipe = first >> then
        for name, body in list(OBJECTS.items())[:4]:
            reader = src.object(name).get_reader(etl=ETLConfig(pipe))
            if first is md5 and comm == "hpull":
                # Inline hpull redirects the client to the transformer: nothing to pipe.
                with pytest.raises(AISError) as err:
                    reader.read_all()
                assert err.value.status_code == 400 and "pipeline" in err.value.message
                continue
            assert reader.read_all() == expect(body), (first.name, then.name, name)
        out = client.bucket(unique("rt-pipe"))
        try:
            xid = src.transform(etl_name=first.name, to_bck=out, prefix_filter="m/", ext={"bin": "out"},
                                etl_pipeline=[then.name])
            result = client.job(xid).wait(timeout=WAIT, verbose=False)
            assert result.success, f"job {xid}: {result.error}"
            for name, body in MANY.items():
                got = out.object(name[: -len("bin")] + "out").get_reader().read_all()
                assert got == expect(body), (first.name, then.name, name)
        finally:
            out.delete(missing_ok=True)


def test_slow_transformer_start_reports_initializing(cluster, named, src, command):
    """Targets start container ETLs in the background; the gateway waits (up to init_timeout)
    while their health says Initializing."""
    etl = named("slow")
    slow = ["sh", "-c", "sleep 4; exec " + " ".join(command)]
    seen = set()
    with ThreadPoolExecutor(1) as pool:
        init = pool.submit(init_rest, cluster, {
            "name": etl.name, "communication": "hpush://", "init_timeout": "90s",
            "runtime": {"image": "local/etl-server", "command": slow},
        })
        while not init.done():
            resp = requests.get(f"{cluster.endpoint}/v1/etl/{etl.name}/health", timeout=10)
            if resp.status_code == 200:
                seen.update(t["health_status"] for t in resp.json())
            time.sleep(0.2)
        init.result()
    assert "Initializing" in seen, seen
    assert src.object("m/001.bin").get_reader(etl=ETLConfig(etl.name)).read_all() == MANY["m/001.bin"]


def test_transformer_not_ready_within_init_timeout(cluster, named, command):
    etl = named("late")
    slow = ["sh", "-c", "sleep 60; exec " + " ".join(command)]
    resp = requests.put(f"{cluster.endpoint}/v1/etl", timeout=60, json={
        "name": etl.name, "init_timeout": "2s",
        "runtime": {"image": "local/etl-server", "command": slow},
    })
    assert resp.status_code == 400, resp.text
    assert "failed to start" in resp.text and "2s" in resp.text, resp.text
    listed = requests.get(f"{cluster.endpoint}/v1/etl", timeout=10).json() or []
    assert all(e["id"] != etl.name for e in listed)
