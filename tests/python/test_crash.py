"""Crash consistency: SIGKILL a target in the middle of a stream of PUTs, restart it with the same
arguments, and check that every acknowledged object is intact, that no object is torn (a GET
gives either 404 or one complete version), and that the cluster serves again.

This test runs its own cluster of `lode node` processes (gateway + 3 targets), so it knows every
pid and can restart exactly the one it killed.
"""

import random
import threading
import time
import uuid

import pytest
import requests
from aistore.sdk.errors import ErrObjNotFound

import hrw
import lode_proc

TARGETS = 3
WRITERS = 6
SIZES = [1 << 10, 64 << 10, 700 << 10, 2 << 20]


def content(name: str, version: int) -> bytes:
    rng = random.Random(f"{name}#{version}")
    return rng.randbytes(SIZES[rng.randrange(len(SIZES))])


class NodeCluster:
    """A gateway and TARGETS targets, each a `lode node` process started here."""

    def __init__(self, root):
        self.root = root
        self.port = lode_proc.free_port_block(TARGETS + 1)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.args = {"gateway": self.node_args("gateway", "p1", self.port)}
        for i in range(1, TARGETS + 1):
            self.args[f"t{i}"] = self.node_args("target", f"t{i}", self.port + i)
        self.procs = {}

    def node_args(self, role, node_id, port):
        args = [lode_proc.lode_bin(), "node", role, "--id", node_id, "--port", port]
        args += ["--data", self.root / "data" / node_id]
        if role == "target":
            args += ["--gateway", self.endpoint]
        return args

    def start(self, node_id):
        log = self.root / "logs" / f"{node_id}.log"
        self.procs[node_id] = lode_proc.Proc(self.args[node_id], log)
        return self.procs[node_id]

    def stop_all(self):
        for p in self.procs.values():
            p.stop()


@pytest.fixture
def node_cluster(tmp_path):
    c = NodeCluster(tmp_path)
    try:
        for node_id in c.args:
            c.start(node_id)
        lode_proc.wait_ready(c.endpoint, TARGETS, list(c.procs.values()))
        yield c
    finally:
        c.stop_all()


def wait_target_serves(url, proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.alive(), proc.log_tail()
        try:
            if requests.get(f"{url}/v1/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not come back:\n{proc.log_tail()}")


def test_sigkill_target_mid_stream(node_cluster):
    c = node_cluster
    client = lode_proc.client(c.endpoint, network_attempts=1)
    bucket = client.bucket(f"crash-{uuid.uuid4().hex[:8]}")
    bucket.create()
    smap = client.cluster().get_info()
    victim = sorted(smap.tmap)[1]
    victim_url = smap.tmap[victim].public_net.direct_url
    tids = list(smap.tmap)

    names = []
    i = 0
    while len(names) < 3000:
        name = f"crash/{i:05d}"
        if hrw.owner(tids, bucket.name, name) == victim:
            names.append(name)
        i += 1
    # Half the names already hold version 0: the stream overwrites them with version 1.
    for name in names[::2][:200]:
        bucket.object(name).get_writer().put_content(content(name, 0))
    preexisting = set(names[::2][:200])

    acked, attempted = set(), set()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(k):
        for name in names[k::WRITERS]:
            if stop.is_set():
                return
            with lock:
                attempted.add(name)
            try:
                bucket.object(name).get_writer().put_content(content(name, 1))
            except Exception:
                continue  # the crash: refused, reset or timed out
            with lock:
                acked.add(name)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    c.procs[victim].kill9()
    killed_after = len(acked)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    assert killed_after >= 100, "the stream never got going"
    assert len(attempted) > len(acked), "nothing was in flight when the target died"
    print(f"crash: {killed_after} acked before the kill, {len(acked)} in all, {len(attempted)} attempted")

    c.start(victim)
    wait_target_serves(victim_url, c.procs[victim])
    lode_proc.wait_ready(c.endpoint, TARGETS, list(c.procs.values()))

    torn = []
    for name in sorted(attempted | preexisting):
        want_new = content(name, 1)
        try:
            got = bucket.object(name).get_reader().read_all()
        except ErrObjNotFound:
            got = None
        if name in acked:
            assert got == want_new, f"{name}: acknowledged but not intact"
        elif name in preexisting:
            if got not in (content(name, 0), want_new):
                torn.append(name)
        elif got not in (None, want_new):
            torn.append(name)
    assert torn == [], f"torn objects: {torn[:10]}"

    # The cluster serves again, the restarted target included.
    for name in names[-20:]:
        data = content(name, 2)
        bucket.object(name).get_writer().put_content(data)
        assert bucket.object(name).get_reader(direct=True).read_all() == data
    listed = {e.name for e in bucket.list_all_objects(prefix="crash/")}
    assert acked <= listed
