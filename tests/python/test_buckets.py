"""Bucket create / list / destroy through the SDK, with the exceptions it classifies."""

import uuid

import pytest
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
