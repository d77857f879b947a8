"""Fault: a target that hangs (SIGSTOP: its sockets accept, nothing answers).

Injected: SIGSTOP of one target of a gateway + 3 targets (`lode node` processes started here,
killed by pid). Verified: a listing answers 503 naming the stopped target within the page
timeout (20 s), not a 500 blaming a target that answered; a copy job whose target stops mid-job
fails naming it, and the SDK can read that job's status (regression: its snapshot of the stopped
target had `glob.id` "", which the SDK could not parse); after SIGCONT both work again.
"""

import contextlib
import os
import signal
import time
import uuid

import requests

import lode_proc
from test_crash import node_cluster  # noqa: F401  (the fixture: its own 3-target cluster)


def filled_bucket(client, count, repeat):
    """A new bucket holding `count` objects `oNNNN`, each its name `repeat` times; and the names."""
    bucket = client.bucket(f"hung-{uuid.uuid4().hex[:8]}")
    bucket.create()
    names = [f"o{i:04}" for i in range(count)]
    for n in names:
        bucket.object(n).get_writer().put_content(n.encode() * repeat)
    return bucket, names


@contextlib.contextmanager
def stopped(proc):
    """`proc` SIGSTOPped for the block, SIGCONTinued after it whatever happens."""
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def test_a_hung_target_is_named_in_the_listing_error_not_the_target_that_answered(node_cluster):
    c = node_cluster
    client = lode_proc.client(c.endpoint, network_attempts=1)
    bucket, names = filled_bucket(client, 60, 1)
    url = f"{c.endpoint}/v1/buckets/{bucket.name}?provider=ais"
    body = {"action": "list", "name": "", "value": {"props": "name"}}
    with stopped(c.procs["t2"]):
        start = time.monotonic()
        resp = requests.get(url, json=body, timeout=60)
        took = time.monotonic() - start
        assert resp.status_code == 503, resp.text
        assert "target t2" in resp.text and "t1" not in resp.text and "t3" not in resp.text, resp.text
        assert took < 30, took
    listed = {e.name for e in bucket.list_all_objects()}
    assert listed == set(names)


def test_a_job_with_a_hung_target_fails_naming_it_instead_of_hanging(node_cluster):
    c = node_cluster
    client = lode_proc.client(c.endpoint, network_attempts=1)
    src, names = filled_bucket(client, 1500, 1000)
    dst = client.bucket(f"hung-dst-{uuid.uuid4().hex[:8]}")
    xid = src.copy(dst)
    with stopped(c.procs["t2"]):
        start = time.monotonic()
        result = client.job(xid).wait(timeout=90, verbose=False)
        assert time.monotonic() - start < 60
        # (1500 objects take the job ~0.5 s; the stop lands within a millisecond of its start.)
        assert not result.success, "the job finished with a stopped target"
        assert "t2" in result.error, result.error
    # Back: a copy of the same bucket now succeeds, every object there.
    again = client.bucket(f"hung-dst2-{uuid.uuid4().hex[:8]}")
    xid = src.copy(again)
    assert client.job(xid).wait(timeout=60, verbose=False).success
    assert {e.name for e in again.list_all_objects()} == set(names)
