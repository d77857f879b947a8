"""Container ETLs (the `process` runner) through the unmodified SDK: `Etl.init(image=...,
command=[...])` runs the real `aistore[etl]==2.0.0` FastAPI server as each target's transformer.
Echo and md5 over hpush, hpull and ws, inline and offline, with the object's bytes or its FQN;
a transformer error surfaced as an object error; the init refusals.

The transformer's Python comes from a virtualenv with aistore[etl]: the one the container
crate's tests build ($CARGO_TARGET_DIR/tmp/container-venv/<hash>, marked `.lode-ready`), else
one built here under that root.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from aistore.sdk.errors import AISError
from aistore.sdk.etl.etl_config import ETLConfig

import lode_proc
from etl_helpers import remove_etls, unique

WAIT = 120
SDK = "aistore[etl]==2.0.0"

SERVER_PY = r'''
import hashlib, os
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer

class Server(FastAPIServer):
    def transform(self, data, path, etl_args):
        if isinstance(data, str):
            with open(data, "rb") as f:
                data = f.read()
        mode = etl_args or os.environ.get("MODE", "echo")
        if mode == "fail":
            raise ValueError("asked to fail on " + path)
        if mode == "md5":
            return hashlib.md5(data).hexdigest().encode()
        if mode == "pid":
            return str(os.getpid()).encode()
        if mode == "env":
            return (os.environ["AIS_TARGET_URL"] + " " + os.environ["DIRECT_PUT"]).encode()
        return data

app = Server().app
'''


def venv_python() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR") or str(lode_proc.REPO / "target")
    root = Path(target) / "tmp" / "container-venv"
    for ready in sorted(root.glob("*/.lode-ready")):
        python = ready.parent / "bin" / "python"
        if python.is_file():
            return python
    venv = root / "pytest-etl"
    python = venv / "bin" / "python"
    if not (venv / ".lode-ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", SDK], check=True)
        (venv / ".lode-ready").touch()
    return python


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("etl-server")
    (d / "etl_server.py").write_text(SERVER_PY)
    return d


@pytest.fixture(scope="module")
def command(server_dir):
    """The pod command: uvicorn on the spec's port 8000 (the runner substitutes a free port),
    with its access log, which the ETL's log shows."""
    return [
        str(venv_python()), "-m", "uvicorn", "--app-dir", str(server_dir), "etl_server:app",
        "--host", "127.0.0.1", "--port", "8000", "--workers", "1",
        "--ws-ping-interval", "0",
    ]


@pytest.fixture
def containers(client):
    """Initialises container ETLs for one test; stops and deletes them all afterwards."""
    names = []

    def init(comm="hpush", fqn=False, direct_put=None, **kwargs):
        name = unique("ctr")
        names.append(name)
        etl = client.etl(name)
        xid = etl.init(
            image="local/etl-server", command=kwargs.pop("command"), comm_type=comm,
            direct_put=(comm == "ws") if direct_put is None else direct_put, direct_file_access=fqn, init_timeout="60s", **kwargs,
        )
        assert xid.startswith("etl-"), xid
        return etl

    yield init
    remove_etls(client, names)


@pytest.fixture
def bucket_with(client):
    made = []

    def make(objects):
        bck = client.bucket(unique("ctr"))
        bck.create()
        made.append(bck)
        for name, body in objects.items():
            bck.object(name).get_writer().put_content(body)
        return bck

    yield make
    for bck in made:
        bck.delete(missing_ok=True)


OBJECTS = {f"dir/obj-{i}.bin": os.urandom(1000 + 7919 * i) for i in range(6)}
OBJECTS["sp ace?&#.txt"] = b"odd name\n"


@pytest.mark.parametrize("fqn", [False, True], ids=["bytes", "fqn"])
@pytest.mark.parametrize("comm", ["hpush", "hpull", "ws"])
def test_inline_echo_and_md5(containers, bucket_with, command, comm, fqn):
    etl = containers(comm, fqn, command=command)
    bck = bucket_with(OBJECTS)
    for name, body in OBJECTS.items():
        obj = bck.object(name)
        assert obj.get_reader(etl=ETLConfig(etl.name)).read_all() == body, name
        md5 = obj.get_reader(etl=ETLConfig(etl.name, "md5")).read_all()
        assert md5 == hashlib.md5(body).hexdigest().encode(), name
    details = etl.view()
    assert details.init_msg.communication == f"{comm}://"


def test_hpull_inline_redirects_to_the_transformer(containers, bucket_with, cluster, command):
    etl = containers("hpull", command=command)
    bck = bucket_with({"a/b c.txt": b"hello"})
    url = f"{cluster.endpoint}/v1/objects/{bck.name}/a/b%20c.txt?provider=ais&etl_name={etl.name}&etl_args=md5"
    to_target = requests.get(url, allow_redirects=False, timeout=10)
    assert to_target.status_code in (301, 307), to_target.text
    to_pod = requests.get(to_target.headers["Location"], allow_redirects=False, timeout=10)
    assert to_pod.status_code == 307, to_pod.text
    location = to_pod.headers["Location"]
    assert "/ais%2F@%23%2F" in location and "etl_fqn=" in location and "etl_args=md5" in location
    got = requests.get(location, timeout=10)
    assert got.status_code == 200 and got.content == hashlib.md5(b"hello").hexdigest().encode()
    # Pipelines cannot start with an hpull ETL inline (headers do not survive a redirect).
    piped = requests.get(to_target.headers["Location"] + f"&etl_pipeline={etl.name}", allow_redirects=False, timeout=10)
    assert piped.status_code == 400, piped.text


MANY = {f"m/{i:03}.bin": f"object {i}\n".encode() * (i + 1) for i in range(24)}


def job_stats(client, xid):
    snaps = client.job(xid).get_details().list_snapshots()
    fields = ("objects", "out_objects", "in_objects", "in_bytes", "out_bytes")
    return {f: sum(getattr(s.stats, f) for s in snaps if s.stats) for f in fields}


def md5_job(client, src, etl, dst):
    """Runs `src` through md5 ETL `etl` into `dst` (`.bin` -> `.md5`), checks every output;
    the job id."""
    xid = src.transform(etl_name=etl.name, to_bck=dst, ext={"bin": "md5"})
    result = client.job(xid).wait(timeout=WAIT, verbose=False)
    assert result.success, f"job {xid}: {result.error}"
    for name, body in MANY.items():
        out = name[: -len("bin")] + "md5"
        got = dst.object(out).get_reader().read_all()
        assert got == hashlib.md5(body).hexdigest().encode(), out
    return xid


@pytest.mark.parametrize(
    "comm, direct_put",
    [("hpush", False), ("hpush", True), ("hpull", False), ("hpull", True), ("ws", True)],
)
def test_offline_md5(containers, bucket_with, client, command, comm, direct_put):
    etl = containers(comm, comm == "hpull", direct_put=direct_put, command=command, MODE="md5")
    src = bucket_with(MANY)
    dst = client.bucket(unique("ctr-dst"))
    try:
        xid = md5_job(client, src, etl, dst)
        stats = job_stats(client, xid)
        assert stats["objects"] == len(MANY), stats
        # 24 outputs over 3 targets: some go to another target, by the container (direct put,
        # received on the destination's _object endpoint) or by the source target.
        assert stats["out_objects"] > 0, stats
        assert stats["in_objects"] == stats["out_objects"], stats
        assert stats["in_bytes"] == stats["out_bytes"] == 32 * stats["out_objects"], stats
        if comm != "ws":
            # The transformer answers 204 where it delivered the output itself.
            logs = "\n".join(entry.logs for entry in etl.logs())
            assert ('" 204' in logs) == direct_put, logs[-2000:]
    finally:
        dst.delete(missing_ok=True)


def test_target_object_endpoint_checks_the_secret(containers, bucket_with, cluster, command):
    etl = containers("hpush", command=command)
    bck = bucket_with({"x/y z.txt": b"payload"})
    reply = bck.object("x/y z.txt").get_reader(etl=ETLConfig(etl.name, "env")).read_all().decode()
    target_url, direct_put = reply.split(" ")
    assert direct_put == "false"
    prefix, secret = target_url.rsplit("/", 1)
    assert prefix.endswith(f"/v1/etl/_object/{etl.name}") and len(secret) >= 16, target_url
    uname = f"ais%2F@%23%2F{bck.name}%2Fx%2Fy%20z.txt"
    # Whichever target the URL names (`lode up` puts them on the ports after the gateway's),
    # the object is served, redirected to its owner.
    gw_port = int(cluster.endpoint.rsplit(":", 1)[1])
    path = "/v1/" + target_url.split("/v1/", 1)[1]
    for k in range(1, 4):
        url = f"http://127.0.0.1:{gw_port + k}{path}/{uname}"
        resp = requests.get(url, timeout=10)
        assert resp.status_code == 200 and resp.content == b"payload", (url, resp.text)
        assert requests.head(url, allow_redirects=True, timeout=10).status_code == 200, url
    bad = requests.get(f"{prefix}/wrong-secret/{uname}", timeout=10)
    assert bad.status_code == 401, bad.text
    assert requests.put(f"{prefix}/wrong-secret/{uname}", data=b"no", timeout=10).status_code == 401
    # The secret is never echoed in the ETL's details.
    assert secret not in requests.get(target_url.split("/v1/")[0] + f"/v1/etl/{etl.name}", timeout=10).text


def test_transformer_error_is_an_object_error(containers, bucket_with, cluster, command):
    etl = containers("hpush", command=command)
    bck = bucket_with({"bad.txt": b"x"})
    with pytest.raises(AISError) as err:
        bck.object("bad.txt").get_reader(etl=ETLConfig(etl.name, "fail")).read_all()
    assert err.value.status_code == 400
    assert "500" in str(err.value), err.value
    errors = requests.get(f"{cluster.endpoint}/v1/etl/{etl.name}", timeout=10).json()["obj_errors"]
    assert any(e["obj_name"] == f"ais://{bck.name}/bad.txt" for e in errors), errors
    # The transformer's own output is in the ETL's log.
    logs = "\n".join(entry.logs for entry in etl.logs())
    assert "asked to fail" in logs, logs


@pytest.mark.parametrize(
    "msg, field",
    [
        ({"communication": "ws://", "runtime": {"image": "x/y", "command": ["a"]}}, "support_direct_put"),
        ({"runtime": {"image": "x/y", "command": "a", "env": [{"value": "v"}]}}, "runtime.env[0].name"),
        ({"runtime": {"image": "", "command": ["a"]}}, "runtime.image"),
        ({"communication": "hpush", "runtime": {"image": "x/y"}}, "communication"),
    ],
)
def test_init_refusals_name_the_field(cluster, msg, field):
    body = {"name": unique("bad"), **msg}
    resp = requests.put(f"{cluster.endpoint}/v1/etl", json=body, timeout=30)
    assert resp.status_code == 400, resp.text
    assert field in resp.text, resp.text
    listed = requests.get(f"{cluster.endpoint}/v1/etl", timeout=10).json() or []
    assert all(e["id"] != body["name"] for e in listed)


def test_image_without_command_fails_cleanly(cluster):
    name = unique("nocmd")
    resp = requests.put(
        f"{cluster.endpoint}/v1/etl", json={"name": name, "runtime": {"image": "local/unmapped"}},
        timeout=60,
    )
    # 400, not 5xx (the SDK would re-send the PUT for ~90 s), and the targets' reason is in the text.
    assert resp.status_code == 400, resp.text
    assert "failed to start" in resp.text and "command" in resp.text, resp.text
    listed = requests.get(f"{cluster.endpoint}/v1/etl", timeout=10).json() or []
    assert all(e["id"] != name for e in listed)


def pids(bck, etl, names):
    """The transformer pids that served `names` (one per target that owns one)."""
    return {int(bck.object(n).get_reader(etl=ETLConfig(etl.name, "pid")).read_all()) for n in names}


def wait_gone(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_stop_start_delete_manage_the_transformers(containers, bucket_with, command):
    etl = containers("hpush", command=command)
    bck = bucket_with(MANY)
    first = pids(bck, etl, MANY)
    assert first and len(first) <= 3
    etl.stop()
    assert all(wait_gone(p) for p in first), first
    with pytest.raises(AISError) as err:
        bck.object("m/000.bin").get_reader(etl=ETLConfig(etl.name)).read_all()
    assert err.value.status_code == 404
    etl.start()
    second = pids(bck, etl, MANY)
    assert second and not second & first
    assert bck.object("m/001.bin").get_reader(etl=ETLConfig(etl.name)).read_all() == MANY["m/001.bin"]
    etl.delete()
    assert all(wait_gone(p) for p in second), second


FIXED_PORT_PY = r"""
import hashlib, os, sys
from aistore.sdk.etl.webserver.http_multi_threaded_server import HTTPMultiThreadedServer

class Server(HTTPMultiThreadedServer):
    def transform(self, data, path, etl_args):
        return hashlib.md5(data).hexdigest().encode()

Server().start()  # 0.0.0.0:8000: the port is in the code, not on the command line
"""


def test_a_transformer_on_a_port_fixed_in_its_code_starts_on_every_target(
    containers, bucket_with, client, cluster, server_dir
):
    """Regression: the SDK's HTTPMultiThreadedServer binds port 8000 in its code; under the
    process runner only the first target's copy started ("address in use") and the init failed.
    Each transformer now has its own network namespace, as a pod has."""
    script = server_dir / "fixed_port.py"
    script.write_text(FIXED_PORT_PY)
    command = [str(venv_python()), str(script)]
    etl = containers("hpush", command=command)
    bck = bucket_with(MANY)
    for name, body in MANY.items():
        got = bck.object(name).get_reader(etl=ETLConfig(etl.name)).read_all()
        assert got == hashlib.md5(body).hexdigest().encode(), name
    details = requests.get(f"{cluster.endpoint}/v1/etl/{etl.name}", timeout=10).json()
    networks = [t["network"] for t in details["transformers"]]
    assert networks == ["its own network namespace"] * 3, details
    # Offline with direct put: the transformer in its namespace reaches the other targets.
    putting = containers("hpush", direct_put=True, command=command)
    dst = client.bucket(unique("ctr-dst"))
    try:
        xid = md5_job(client, bck, putting, dst)
        assert job_stats(client, xid)["out_objects"] > 0
    finally:
        dst.delete(missing_ok=True)


STARTS_ONCE_PY = r"""
import os, sys, time
pids = sys.argv[1]
open(os.path.join(pids, str(os.getpid())), "w").close()
mode = sys.argv[2]
if mode == "first-only":
    try:
        os.close(os.open(os.path.join(pids, "first"), os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        sys.exit("only one copy may start")
    os.execv(sys.argv[3], sys.argv[3:])
time.sleep(3600)  # never healthy
"""


@pytest.mark.parametrize("mode", ["first-only", "never-ready"])
def test_a_failed_init_leaves_no_transformer_running(cluster, server_dir, tmp_path, command, mode):
    """Regression: after an init that failed on some targets (or timed out), a transformer
    process was left running."""
    script = server_dir / "starts_once.py"
    script.write_text(STARTS_ONCE_PY)
    name = unique("failing")
    runtime = {"image": "local/etl-server", "command": [str(venv_python()), str(script), str(tmp_path), mode, *command]}
    msg = {"name": name, "communication": "hpush://", "init_timeout": "8s", "runtime": runtime}
    resp = requests.put(f"{cluster.endpoint}/v1/etl", json=msg, timeout=120)
    assert resp.status_code >= 400, resp.text
    listed = requests.get(f"{cluster.endpoint}/v1/etl", timeout=10).json() or []
    assert all(e["id"] != name for e in listed), listed
    started = [int(p.name) for p in tmp_path.iterdir() if p.name.isdigit()]
    assert len(started) >= (3 if mode == "never-ready" else 2), started
    left = [p for p in started if not wait_gone(p, timeout=15)]
    assert not left, f"transformer processes left running: {left}"


def test_init_spec_pod_yaml(client, cluster, bucket_with, command):
    """A Kubernetes Pod spec (the `spec` init message, base64 YAML; JSON is YAML): image,
    command and port from the container, the communication type from the annotation."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "md5", "annotations": {"communication_type": "hpull://", "wait_timeout": "1m"}},
        "spec": {"containers": [{
            "name": "server", "image": "local/etl-server", "command": command,
            "ports": [{"name": "default", "containerPort": 8000}],
            "env": [{"name": "MODE", "value": "md5"}],
            "readinessProbe": {"httpGet": {"path": "/health", "port": "default"}},
        }]},
    }
    name = unique("spec")
    etl = client.etl(name)
    try:
        spec = base64.b64encode(json.dumps(pod).encode()).decode()
        resp = requests.put(f"{cluster.endpoint}/v1/etl", json={"name": name, "spec": spec}, timeout=60)
        assert resp.status_code == 200 and resp.text.startswith("etl-"), resp.text
        assert etl.view().init_msg.communication == "hpull://"
        bck = bucket_with({"s.txt": b"spec"})
        got = bck.object("s.txt").get_reader(etl=ETLConfig(name)).read_all()
        assert got == hashlib.md5(b"spec").hexdigest().encode()
    finally:
        remove_etls(client, [name])
