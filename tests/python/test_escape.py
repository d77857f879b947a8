"""Object names that would escape a target's data directory (`..` segments, NUL) are refused with
400 and nothing is written anywhere. Sent raw with http.client: requests/urllib3 would normalise
the `..` segments away before they reach the cluster."""

import http.client
import os
import uuid
from urllib.parse import urlsplit

import pytest

BAD_PATHS = [
    "..%2Fescape-{m}",
    "..%2F..%2F..%2Fescape-{m}",
    "a/../../escape-{m}",
    "../../../../escape-{m}",
    "%2E%2E/%2E%2E/escape-{m}",
    "..",
    "a/..",
    "x%00y-{m}",
    "%00",
]


def raw_put(url: str, body: bytes, hops: int = 3):
    """PUT without any path normalisation, following 307/308 by hand; returns the final status."""
    for _ in range(hops):
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            conn.request("PUT", path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status in (307, 308) and resp.getheader("Location"):
                url = resp.getheader("Location")
                continue
            return resp.status
        finally:
            conn.close()
    raise AssertionError(f"too many redirects for {url}")


def tree_contains(root, marker: bytes):
    for dirpath, _, files in os.walk(root):
        for f in files:
            try:
                with open(os.path.join(dirpath, f), "rb") as fh:
                    if marker in fh.read():
                        return os.path.join(dirpath, f)
            except OSError:
                pass
    return None


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_escaping_names_refused(cluster, bucket, bad):
    marker = uuid.uuid4().hex
    path = bad.format(m=marker)
    body = f"escape attempt {marker}".encode()
    url = f"{cluster.endpoint}/v1/objects/{bucket.name}/{path}?provider=ais"
    assert raw_put(url, body) == 400, path
    # Straight to every target too (a target must not trust the gateway to have checked).
    for node in cluster.smap().tmap.values():
        turl = f"{node.public_net.direct_url}/v1/objects/{bucket.name}/{path}?provider=ais"
        assert raw_put(turl, body) == 400, (path, node.daemon_id)
    # The whole temp tree around the data dir (escapes land inside it: see conftest).
    root = cluster.data.parent.parent.parent
    assert tree_contains(root, marker.encode()) is None
    assert bucket.list_all_objects() == []
