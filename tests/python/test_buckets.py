"""Bucket create / list / destroy through the SDK, with the exceptions it classifies."""

import json
import uuid

import pytest
import requests
from aistore.sdk.errors import AISError, ErrBckAlreadyExists, ErrBckNotFound


def fresh_name():
    return f"b-{uuid.uuid4().hex[:12]}"


def listed(client):
    return {b.name for b in client.cluster().list_buckets()}


def test_create_list_destroy(client):
    bck = client.bucket(fresh_name())
    bck.create()
    try:
        assert bck.name in listed(client)
        assert bck.head() is not None
    finally:
        bck.delete()
    assert bck.name not in listed(client)


def test_create_twice(client):
    bck = client.bucket(fresh_name())
    bck.create()
    try:
        with pytest.raises(ErrBckAlreadyExists):
            bck.create()
        bck.create(exist_ok=True)
        assert bck.name in listed(client)
    finally:
        bck.delete()


def test_destroy_missing(client):
    bck = client.bucket(fresh_name())
    with pytest.raises(ErrBckNotFound) as err:
        bck.delete()
    assert err.value.status_code == 404
    bck.delete(missing_ok=True)


def test_destroy_removes_objects(client):
    bck = client.bucket(fresh_name())
    bck.create()
    bck.object("x").get_writer().put_content(b"abc")
    bck.delete()
    bck.create()
    try:
        assert bck.list_all_objects() == []
    finally:
        bck.delete()


def test_head_missing_bucket(client):
    with pytest.raises(AISError) as err:
        client.bucket(fresh_name()).head()
    assert err.value.status_code == 404


def test_list_buckets_is_a_list(client):
    names = [fresh_name() for _ in range(3)]
    for n in names:
        client.bucket(n).create()
    try:
        assert set(names) <= listed(client)
    finally:
        for n in names:
            client.bucket(n).delete()
    assert not set(names) & listed(client)


def test_objects_in_missing_bucket(client):
    bck = client.bucket(fresh_name())
    with pytest.raises(ErrBckNotFound):
        bck.object("o").get_writer().put_content(b"x")
    with pytest.raises(ErrBckNotFound):
        bck.list_all_objects()


def test_summary_and_info_count_objects_and_sizes(client, bucket):
    sizes = {"s/a": 10, "s/b": 300, "s/c": 5000, "t/d": 7}
    for name, size in sizes.items():
        bucket.object(name).get_writer().put_content(b"z" * size)
    summ = bucket.summary()
    assert summ["name"] == bucket.name and summ["provider"] == "ais"
    assert summ["ObjCount"]["obj_count_present"] == "4"
    assert summ["TotalSize"]["size_all_present_objs"] == str(sum(sizes.values()))
    assert (summ["ObjSize"]["obj_min_size"], summ["ObjSize"]["obj_max_size"]) == (7, 5000)
    assert int(summ["TotalSize"]["total_disks_size"]) > 0
    only_s = bucket.summary(prefix="s/")
    assert only_s["ObjCount"]["obj_count_present"] == "3"

    props, info = bucket.info()
    assert json.loads(props)["provider"] == "ais"
    assert info["ObjCount"]["obj_count_present"] == "4"
    _, info = bucket.info(prefix="t/")
    assert info["ObjCount"]["obj_count_present"] == "1"
    assert info["TotalSize"]["size_all_present_objs"] == "7"


def test_summary_refusals(client, bucket, cluster):
    url = f"{cluster.endpoint}/v1/buckets/{bucket.name}?provider=ais"
    msg = {"action": "summary-bck", "name": "", "value": {"uuid": "nosuchjob00"}}
    resp = requests.get(url, json=msg, timeout=30)
    assert resp.status_code == 404, resp.text
    msg = {"action": "summary-bck", "name": "", "value": {"bogus": 1}}
    resp = requests.get(url, json=msg, timeout=30)
    assert resp.status_code == 400 and "bogus" in resp.text
    with pytest.raises(ErrBckNotFound):
        client.bucket("no-such-bucket-summ").summary()
    resp = requests.head(f"{url}&nonsense=1", timeout=30)
    assert resp.status_code == 400
