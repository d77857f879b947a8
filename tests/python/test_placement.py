"""Placement: every object lives on its HRW target only (HRW as in docs/rest-api.md §3.3),
the gateway redirects to that target, and the SDK's direct reads (which compute HRW themselves)
find the object there."""

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import requests

import hrw

OBJECTS = 40


def files_containing(root: Path, data: bytes):
    """Every regular file under `root` whose bytes are exactly `data`."""
    hits = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            try:
                if p.stat().st_size == len(data) and p.read_bytes() == data:
                    hits.append(p)
            except OSError:
                pass
    return hits


def test_hrw_placement_and_direct_reads(cluster, bucket):
    smap = cluster.smap()
    tids = list(smap.tmap)
    assert len(tids) == 3
    for tid, node in smap.tmap.items():
        if node.id_digest:
            assert node.id_digest == hrw.digest(tid), tid
    urls = {tid: node.public_net.direct_url.rstrip("/") for tid, node in smap.tmap.items()}
    owners = set()
    for i in range(OBJECTS):
        name = f"place/{i}/{uuid.uuid4().hex}"
        data = f"placement {name}".encode()
        obj = bucket.object(name)
        obj.get_writer().put_content(data)
        owner = hrw.owner(tids, bucket.name, name)
        owners.add(owner)

        # The gateway sends a GET to the HRW owner.
        resp = requests.get(obj.get_url(), allow_redirects=False, timeout=10)
        assert resp.status_code in (301, 302, 307), resp.status_code
        loc = urlsplit(resp.headers["Location"])
        assert f"{loc.scheme}://{loc.netloc}" == urls[owner], name

        # The SDK's direct read goes to the owner it computes, without the gateway.
        assert obj.get_reader(direct=True).read_all() == data

        # The bytes sit in exactly one file, in the owner's data.
        hits = files_containing(cluster.data, data)
        assert len(hits) == 1, hits
        assert owner in hits[0].relative_to(cluster.data).parts, (owner, hits[0])
    # 40 random names over 3 targets: all are used (probability of a miss ~ 3 * (2/3)^40).
    assert owners == set(tids)
