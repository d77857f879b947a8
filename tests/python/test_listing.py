"""Listing 10,000 objects: paging, prefixes, continuation, list_all_objects, list_objects_iter."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

COUNT = 10_000
DIRS = 10


def name_of(i: int) -> str:
    return f"d{i % DIRS}/obj-{i:05d}"


@pytest.fixture(scope="module")
def big_bucket(cluster):
    bck = cluster.client.bucket(f"ls-{uuid.uuid4().hex[:12]}")
    bck.create()

    def put(i):
        name = name_of(i)
        bck.object(name).get_writer().put_content(name.encode() * (i % 3))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, range(COUNT)))
    yield bck
    bck.delete(missing_ok=True)


ALL = sorted(name_of(i) for i in range(COUNT))


def test_list_all(big_bucket):
    entries = big_bucket.list_all_objects()
    names = [e.name for e in entries]
    assert names == ALL  # complete, no duplicates, lexicographic order
    sizes = {e.name: e.size for e in entries}
    assert sizes[name_of(4)] == len(name_of(4)) * 1
    assert sizes[name_of(5)] == len(name_of(5)) * 2
    assert sizes[name_of(6)] == 0


@pytest.mark.parametrize("page_size", [1, 999, 1000, 4096])
def test_list_all_paged(big_bucket, page_size):
    if page_size == 1:
        # 10,000 one-entry pages is slow; page through the first few only.
        first = big_bucket.list_objects(page_size=1)
        assert len(first.entries) == 1 and first.continuation_token
        second = big_bucket.list_objects(
            page_size=1, uuid=first.uuid, continuation_token=first.continuation_token
        )
        assert [e.name for e in first.entries + second.entries] == ALL[:2]
        return
    names = [e.name for e in big_bucket.list_all_objects(page_size=page_size)]
    assert names == ALL


def test_manual_continuation(big_bucket):
    pages, uuid_, token = [], "", ""
    while True:
        page = big_bucket.list_objects(page_size=3000, uuid=uuid_, continuation_token=token)
        assert len(page.entries) <= 3000
        pages.append([e.name for e in page.entries])
        if not page.continuation_token:
            break
        uuid_, token = page.uuid, page.continuation_token
    assert len(pages) >= 4
    assert all(len(p) == 3000 for p in pages[:3])
    assert [n for p in pages for n in p] == ALL


def test_prefix(big_bucket):
    names = [e.name for e in big_bucket.list_all_objects(prefix="d3/")]
    assert names == [n for n in ALL if n.startswith("d3/")]
    assert len(names) == COUNT // DIRS
    narrow = [e.name for e in big_bucket.list_all_objects(prefix="d3/obj-0001")]
    assert narrow == [n for n in ALL if n.startswith("d3/obj-0001")]
    assert big_bucket.list_all_objects(prefix="nothing-here/") == []


def test_list_objects_iter(big_bucket):
    names = [e.name for e in big_bucket.list_objects_iter(prefix="d7/", page_size=333)]
    assert names == [n for n in ALL if n.startswith("d7/")]


def test_empty_bucket(bucket):
    page = bucket.list_objects()
    assert page.entries == []
    assert page.continuation_token == ""
    assert bucket.list_all_objects() == []
