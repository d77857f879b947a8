"""Fault: a target that hangs (SIGSTOP: its sockets accept, nothing answers).

Injected: SIGSTOP of one target of a gateway + 3 targets (`lode node` processes started here,
killed by pid). Verified: a listing answers 503 naming the stopped target within the page
timeout (20 s), not a 500 blaming a target that answered; after SIGCONT the listing is whole.
"""

import os
import signal
import time
import uuid

import requests

import lode_proc
from test_crash import node_cluster  # noqa: F401  (the fixture: its own 3-target cluster)


def test_a_hung_target_is_named_in_the_listing_error_not_the_target_that_answered(node_cluster):
    c = node_cluster
    client = lode_proc.client(c.endpoint, network_attempts=1)
    bucket = client.bucket(f"hung-{uuid.uuid4().hex[:8]}")
    bucket.create()
    names = [f"o{i:03}" for i in range(60)]
    for n in names:
        bucket.object(n).get_writer().put_content(n.encode())
    url = f"{c.endpoint}/v1/buckets/{bucket.name}?provider=ais"
    body = {"action": "list", "name": "", "value": {"props": "name"}}
    victim = c.procs["t2"]
    os.kill(victim.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        resp = requests.get(url, json=body, timeout=60)
        took = time.monotonic() - start
        assert resp.status_code == 503, resp.text
        assert "target t2" in resp.text and "t1" not in resp.text and "t3" not in resp.text, resp.text
        assert took < 30, took
    finally:
        os.kill(victim.pid, signal.SIGCONT)
    listed = {e.name for e in bucket.list_all_objects()}
    assert listed == set(names)
