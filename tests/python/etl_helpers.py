"""Fixtures and helpers for the Wasm ETL suite (test_etl*.py).

Modules come from $LODE_WASM_DIR (default $CARGO_TARGET_DIR/wasm, else <repo>/target/wasm), built
by scripts/build-wasm.sh. Every test gets unique ETL and bucket names; whatever it initialised is
stopped and deleted afterwards. lode's additions to the API (init code with `"runtime":"wasm32"`,
logs/health/metrics payloads) are driven with `requests`; everything else goes through the
unmodified SDK.
"""

import base64
import os
import shutil
import subprocess
import uuid
import wave
from pathlib import Path

import pytest
import requests
from aistore.sdk.errors import AISError, ErrBckNotFound

import lode_proc

MODULES = ["echo", "md5", "upper", "flac2wav", "faults", "rot13_c"]


def wasm_dir() -> Path:
    if os.environ.get("LODE_WASM_DIR"):
        return Path(os.environ["LODE_WASM_DIR"])
    target = os.environ.get("CARGO_TARGET_DIR") or str(lode_proc.REPO / "target")
    return Path(target) / "wasm"


def module_path(module: str) -> Path:
    path = wasm_dir() / f"{module}.wasm"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/build-wasm.sh", pytrace=False)
    return path


def unique(prefix: str) -> str:
    """A valid, unique ETL or bucket name: `<prefix>-<10 hex>` (prefix: [a-z0-9-])."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code_msg(name: str, module: bytes, **extra) -> dict:
    """lode's init-code message: the module inline, base64."""
    msg = {"name": name, "runtime": "wasm32", "code": base64.b64encode(module).decode()}
    msg.update(extra)
    return msg


class Etls:
    """Initialises ETLs for one test and removes them all at teardown."""

    def __init__(self, client, endpoint: str, modules_bucket):
        self.client = client
        self.endpoint = endpoint
        self.modules_bucket = modules_bucket
        self.names = []

    def image(self, module: str, prefix: str = None, **init_kwargs):
        """`Etl.init(image="ais://<modules>/<module>.wasm")` through the SDK; returns the Etl."""
        name = unique(prefix or module.replace("_", "-"))
        etl = self.client.etl(name)
        self.names.append(name)
        xid = etl.init(image=f"ais://{self.modules_bucket.name}/{module}.wasm", **init_kwargs)
        assert xid.startswith("etl-"), xid
        return etl

    def put_code(self, name: str, module: bytes, **extra) -> requests.Response:
        """Raw `PUT /v1/etl` with init code; returns the response whatever its status."""
        self.names.append(name)
        return requests.put(f"{self.endpoint}/v1/etl", json=code_msg(name, module, **extra), timeout=60)

    def code(self, module: str, prefix: str = None, **extra):
        """Init code from a module file; asserts success; returns the Etl."""
        name = unique(prefix or module.replace("_", "-"))
        resp = self.put_code(name, module_path(module).read_bytes(), **extra)
        assert resp.status_code == 200, resp.text
        assert resp.text.startswith("etl-"), resp.text
        return self.client.etl(name)

    def cleanup(self):
        remove_etls(self.client, self.names)


def remove_etls(client, names):
    """Stops and deletes the ETLs `names`, whatever state they are in (or never got to)."""
    for name in names:
        try:
            etl = client.etl(name)
        except ValueError:  # an invalid name some test tried on purpose
            continue
        for op in (etl.stop, etl.delete):
            try:
                op()
            except AISError:
                pass


@pytest.fixture(scope="module")
def modules_bucket(cluster):
    """One bucket per test module holding every example module, uploaded with `put_file`."""
    bck = cluster.client.bucket(unique("wasm"))
    bck.create()
    for module in MODULES:
        bck.object(f"{module}.wasm").get_writer().put_file(module_path(module))
    yield bck
    bck.delete(missing_ok=True)


@pytest.fixture
def etls(cluster, modules_bucket):
    made = Etls(cluster.client, cluster.endpoint, modules_bucket)
    yield made
    made.cleanup()


@pytest.fixture
def new_bucket(client):
    """Makes buckets (created, or only named with create=False); destroys them all afterwards."""
    made = []

    def make(create: bool = True):
        bck = client.bucket(unique("etl"))
        if create:
            bck.create()
        made.append(bck)
        return bck

    yield make
    for bck in made:
        bck.delete(missing_ok=True)


def listing(bck) -> dict:
    """{name: bytes} of every object in `bck`; {} when the bucket does not exist."""
    try:
        names = [e.name for e in bck.list_all_objects()]
    except ErrBckNotFound:
        return {}
    return {n: bck.object(n).get_reader().read_all() for n in names}


def all_etl_ids(client) -> set:
    return {e.id for e in client.cluster().list_etls(stages=["Initializing", "Running", "Aborted", "Unknown"])}


def flac_bytes(tmp_path: Path, seconds: float = 1.0, rate: int = 16000, name: str = "tone") -> bytes:
    """A mono 16-bit FLAC of a tone, made with the `flac` tool from a WAV written here."""
    if not shutil.which("flac"):
        pytest.fail("the `flac` tool is missing (apt-get install flac)", pytrace=False)
    wav_path = tmp_path / f"{name}.wav"
    frames = int(seconds * rate)
    with wave.open(str(wav_path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        samples = bytearray()
        for i in range(frames):
            v = int(8000 * (((i * 440 * 2) // rate) % 2 * 2 - 1))  # square wave, 440 Hz
            samples += v.to_bytes(2, "little", signed=True)
        w.writeframes(bytes(samples))
    flac_path = tmp_path / f"{name}.flac"
    subprocess.run(["flac", "-s", "-f", "-o", str(flac_path), str(wav_path)], check=True)
    return flac_path.read_bytes()


def wav_header(data: bytes) -> dict:
    """The fmt fields and data size of a canonical RIFF/WAVE file (chunks walked in order)."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", data[:16]
    pos, fmt, data_len = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            fmt = {
                "format": int.from_bytes(body[0:2], "little"),
                "channels": int.from_bytes(body[2:4], "little"),
                "rate": int.from_bytes(body[4:8], "little"),
                "bits": int.from_bytes(body[14:16], "little"),
            }
        elif cid == b"data":
            data_len = size
            assert pos + 8 + size <= len(data), "data chunk runs past the end"
        pos += 8 + size + (size & 1)
    assert fmt is not None and data_len is not None, "no fmt or data chunk"
    return {**fmt, "data_len": data_len}


def gw(cluster, path: str) -> str:
    return f"{cluster.endpoint}/v1/{path}"
