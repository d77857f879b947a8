"""Fixtures for the aistore SDK suite: one `lode up` cluster (gateway + 3 targets) per session.

Environment: LODE_BIN (default $CARGO_TARGET_DIR/release/lode, else target/release/lode).
"""

import uuid

import pytest

import lode_proc

TARGETS = 3


class Cluster:
    """A running `lode up` cluster: its endpoint, data dir and an SDK client."""

    def __init__(self, proc, endpoint, data):
        self.proc = proc
        self.endpoint = endpoint
        self.data = data
        self.client = lode_proc.client(endpoint)

    def smap(self):
        return self.client.cluster().get_info()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("lode-up")
    # Nested, so that a name escaping the data dir with `..` still lands inside this temp dir.
    data = root / "a" / "b" / "data"
    data.mkdir(parents=True)
    port = lode_proc.free_port_block(TARGETS + 1)
    endpoint = f"http://127.0.0.1:{port}"
    args = [lode_proc.lode_bin(), "up", "--port", port, "--targets", TARGETS, "--data", data]
    proc = lode_proc.Proc(args, tmp_path_factory.mktemp("logs") / "lode-up.log")
    try:
        lode_proc.wait_ready(endpoint, TARGETS, [proc])
        yield Cluster(proc, endpoint, data)
    finally:
        proc.stop()


@pytest.fixture
def client(cluster):
    return cluster.client


@pytest.fixture
def bucket(client):
    """A fresh bucket for one test, destroyed afterwards."""
    bck = client.bucket(f"t-{uuid.uuid4().hex[:12]}")
    bck.create()
    yield bck
    bck.delete(missing_ok=True)
