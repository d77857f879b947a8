"""Nothing silently ignored: a walk over every endpoint of the REST contract (docs/rest-api.md),
on the gateway and, for what clients reach directly, on a target. Each endpoint refuses a query
parameter it does not implement with 400 naming it; each parameter the contract defines for it
is accepted (never answered "not supported"); request headers lode does not implement are
refused naming them."""

import io
import json
import tarfile

import pytest
import requests
from aistore.sdk.blob_download_config import BlobDownloadConfig
from aistore.sdk.errors import AISError

LIST = {"action": "list", "name": "", "value": {"prefix": "", "pagesize": 0, "uuid": "", "props": "",
                                              "continuation_token": "", "flags": "0", "target": ""}}
STOP = {"action": "stop", "name": "", "value": {"ID": "no-such-job"}}
DESTROY = {"action": "destroy-bck", "name": "", "value": None}
COPY = {"action": "copy-bck", "name": "", "value": {"dry_run": True}}

# (method, path, JSON body, {parameter the contract defines: a value}). `{b}` is the test's
# bucket, `{o}` an object in it, `{dst}` a bucket that does not exist yet.
ENDPOINTS = [
    ("GET", "/v1/health", None, {"prr": "true"}),
    ("GET", "/v1/daemon", None, {"what": "smap"}),
    ("GET", "/v1/cluster", {"ID": "x"}, {"what": "status"}),
    ("PUT", "/v1/cluster", STOP, {"frc": "true"}),
    ("GET", "/v1/etl", None, {}),
    ("GET", "/v1/etl/no-such-etl", None, {"uuid": ""}),
    ("GET", "/v1/etl/no-such-etl/logs", None, {}),
    ("GET", "/v1/etl/no-such-etl/health", None, {}),
    ("GET", "/v1/etl/no-such-etl/metrics", None, {}),
    ("POST", "/v1/etl/no-such-etl/stop", None, {}),
    ("DELETE", "/v1/etl/no-such-etl", None, {}),
    ("GET", "/v1/buckets", {"action": "list", "name": "", "value": None}, {"provider": "ais"}),
    ("GET", "/v1/buckets/{b}", LIST, {"provider": "ais"}),
    ("POST", "/v1/buckets/{b}", COPY, {"bck_to": "ais/@#/{dst}/"}),
    ("HEAD", "/v1/buckets/{b}", None, {"presence": "1", "bsumm_remote": "true"}),
    ("DELETE", "/v1/buckets/{dst}", DESTROY, {}),
    ("GET", "/v1/objects/{b}/{o}", None, {"latest-ver": "true", "validate": "true"}),
    ("GET", "/v1/objects/{b}/s.tar", None, {"archpath": "m", "archregx": "", "archmime": "tar"}),
    ("GET", "/v1/objects/{b}/s.tar", None, {"archregx": "m", "archmode": "prefix"}),
    ("HEAD", "/v1/objects/{b}/{o}", None, {"props": "name,size", "silent": "true", "latest-ver": "true"}),
    ("PUT", "/v1/objects/{b}/new", None, {"owt": "0", "latest-ver": "false", "synchronize": "false"}),
    ("PATCH", "/v1/objects/{b}/{o}", {"k": "v"}, {"set-new-custom": "false"}),
    ("DELETE", "/v1/objects/{b}/gone", None, {}),
]

# What a client reaches on a target without the gateway (the SDK's `direct=True`).
TARGET_ENDPOINTS = [
    ("GET", "/v1/health", None, {}),
    ("GET", "/v1/daemon", None, {"what": "smap"}),
    ("GET", "/v1/objects/{b}/{o}", None, {"latest-ver": "true"}),
    ("HEAD", "/v1/objects/{b}/{o}", None, {"props": "name,size"}),
]


def error_text(resp):
    """The error text: the body, or for HEAD the `Hdr-Error` header."""
    return resp.text or resp.headers.get("Hdr-Error", "")


@pytest.fixture
def names(bucket, client):
    obj = bucket.object("obj")
    obj.get_writer().put_content(b"data")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("m")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"m"))
    bucket.object("s.tar").get_writer().put_content(buf.getvalue())
    dst = f"d-{bucket.name}"
    yield {"b": bucket.name, "o": "obj", "dst": dst}
    client.bucket(dst).delete(missing_ok=True)


def call(base, method, path, body, params, names):
    path = path.format(**names)
    params = {k: v.format(**names) for k, v in params.items()}
    data = json.dumps(body) if body is not None else (b"new" if method == "PUT" else None)
    return requests.request(method, base + path, params=params, data=data, timeout=30,
                            headers={"Content-Type": "application/json"})


def target_url(cluster):
    smap = cluster.smap()
    any_target = next(iter(smap.tmap.values()))
    return any_target.public_net.direct_url


@pytest.mark.parametrize("method,path,body,params", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_gateway_refuses_an_unknown_parameter_by_name(cluster, names, method, path, body, params):
    resp = call(cluster.endpoint, method, path, body, {**params, "nonesuch": "1"}, names)
    assert resp.status_code == 400, (resp.status_code, error_text(resp))
    assert "nonesuch" in error_text(resp)


@pytest.mark.parametrize("method,path,body,params", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_gateway_accepts_every_parameter_the_contract_defines(cluster, names, method, path, body, params):
    resp = call(cluster.endpoint, method, path, body, params, names)
    text = error_text(resp)
    assert "not supported" not in text or not any(f'"{p}"' in text for p in params), text
    assert resp.status_code < 500, (resp.status_code, text)


@pytest.mark.parametrize("method,path,body,params", TARGET_ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in TARGET_ENDPOINTS])
def test_target_refuses_an_unknown_parameter_by_name(cluster, names, method, path, body, params):
    resp = call(target_url(cluster), method, path, body, {**params, "nonesuch": "1"}, names)
    assert resp.status_code == 400, (resp.status_code, error_text(resp))
    assert "nonesuch" in error_text(resp)


@pytest.mark.parametrize("header", ["Ais-Blob-Download", "Ais-Blob-Chunk", "Ais-Blob-Workers", "Ais-Inv-Name"])
def test_an_unimplemented_request_header_is_refused_by_name(cluster, names, header):
    url = f"{cluster.endpoint}/v1/objects/{names['b']}/{names['o']}"
    resp = requests.get(url, headers={header: "1"}, timeout=30)
    assert resp.status_code == 400 and header.lower() in resp.text, resp.text


def test_blob_download_through_the_sdk_is_refused(bucket, names):
    with pytest.raises(AISError) as err:
        bucket.object("obj").get_reader(blob_download_config=BlobDownloadConfig(chunk_size="1MiB")).read_all()
    assert err.value.status_code == 400 and "blob download" in str(err.value)


def test_an_unknown_path_is_404_naming_it_and_reverse_is_400(cluster):
    resp = requests.get(f"{cluster.endpoint}/v1/nowhere", timeout=30)
    assert resp.status_code == 404 and "/v1/nowhere" in resp.text, resp.text
    resp = requests.get(f"{cluster.endpoint}/v1/reverse/daemon?what=node_status", timeout=30)
    assert resp.status_code == 400 and "reverse" in resp.text, resp.text
