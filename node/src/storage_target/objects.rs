//! Target object endpoints: PUT (streamed into the store), HEAD, PATCH (custom metadata),
//! DELETE, and what they share
//! with GET (request checks, redirect of misdirected direct calls, object headers).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, OriginalUri, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use lode_store::{Durability, ObjectMeta, StoreError};

use super::{Target, Tg};
use crate::api::{self, QueryMap};
use crate::error::ApiError;

/// Validate a request for an object and decide who serves it: `Ok(None)` = this target,
/// `Ok(Some(response))` = a redirect to the HRW owner (only for calls that did not come through
/// the gateway: those carry `pid` and are trusted).
pub(super) async fn route(
    tg: &Target,
    method: &Method,
    bucket: &str,
    object: &str,
    q: &QueryMap,
    uri: &Uri,
) -> Result<Option<Response>, ApiError> {
    api::check_provider(q)?;
    let meta = tg.meta_with_bucket(bucket).await?;
    api::check_object_name(object)?;
    if q.contains_key("pid") {
        return Ok(None);
    }
    match meta.smap.owner(bucket, object) {
        Some(owner) if owner.daemon_id != tg.id => {
            let location = format!("{}{}", owner.url(), uri);
            let status = if method == Method::GET {
                StatusCode::MOVED_PERMANENTLY
            } else {
                StatusCode::TEMPORARY_REDIRECT
            };
            let value = HeaderValue::from_str(&location)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            let mut resp = (status, [(header::LOCATION, value)]).into_response();
            if crate::gateway::has_body(method) {
                // The body was not read: a pooled client must not reuse this connection.
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(Some(resp))
        }
        _ => Ok(None),
    }
}

/// An object request this target serves: checked and not misdirected (see [`route`]).
/// Otherwise the extraction answers the request itself, with the error or the redirect.
pub(super) struct Routed {
    pub(super) bucket: String,
    pub(super) object: String,
    pub(super) q: QueryMap,
}

impl FromRequestParts<Tg> for Routed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, tg: &Tg) -> Result<Self, Response> {
        let Path((bucket, object)) = Path::<(String, String)>::from_request_parts(parts, tg)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(q) = Query::<QueryMap>::from_request_parts(parts, tg)
            .await
            .map_err(IntoResponse::into_response)?;
        let OriginalUri(uri) = OriginalUri::from_request_parts(parts, tg)
            .await
            .map_err(IntoResponse::into_response)?;
        match route(tg, &parts.method, &bucket, &object, &q, &uri).await {
            Ok(None) => Ok(Routed { bucket, object, q }),
            Ok(Some(redirect)) => Err(redirect),
            Err(err) => Err(err.into_response()),
        }
    }
}

/// The `Ais-*` headers of an object (AIS `cmn.ToHeader`), plus `Content-Length`.
pub(super) fn object_headers(
    tg: &Target,
    bucket: &str,
    object: &str,
    meta: &ObjectMeta,
) -> HeaderMap {
    let mut h = HeaderMap::new();
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(HeaderName::from_static(k), v);
        }
    };
    set("content-length", meta.size.to_string());
    set("ais-checksum-type", "xxhash".into());
    set("ais-checksum-value", meta.checksum_hex());
    set("ais-atime", meta.atime_ns.to_string());
    set("ais-version", meta.version.to_string());
    set("ais-present", "true".into());
    set("ais-bucket-name", bucket.to_owned());
    set("ais-bucket-provider", "ais".into());
    set(
        "ais-location",
        format!("{}:mp[{}]", tg.name, tg.store.mountpath_of(meta).display()),
    );
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(meta.mtime_ns);
    set("last-modified", httpdate::fmt_http_date(mtime));
    for (k, v) in &meta.custom {
        if let Ok(v) = HeaderValue::from_str(&format!("{k}={v}")) {
            h.append(HeaderName::from_static("ais-custom-md"), v);
        }
    }
    if let Ok(v) = HeaderValue::from_bytes(object.as_bytes()) {
        h.insert(HeaderName::from_static("ais-name"), v);
    }
    h
}

/// Run a blocking store call.
pub(super) async fn blocking<T: Send + 'static>(
    tg: &Target,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("{}: store task: {e}", tg.name)))?
        .map_err(|e| ApiError::from_store(&tg.name, e))
}

/// `HEAD /v1/objects/<b>/<o>`: the object's properties in headers.
pub(super) async fn head_object(
    State(tg): State<Tg>,
    Routed { bucket, object, q }: Routed,
) -> Result<Response, ApiError> {
    // `props` selects what to show; every header is always sent. `silent` drops the body of a
    // 404, which a HEAD has none of.
    api::only_params(&q, "HEAD object", &["props", "silent", "latest-ver"])?;
    let store = Arc::clone(&tg.store);
    let (b, o) = (bucket.clone(), object.clone());
    let meta = blocking(&tg, move || store.head(&b, &o)).await?;
    Ok((StatusCode::OK, object_headers(&tg, &bucket, &object, &meta)).into_response())
}

/// `POST /v1/objects/<b>/<o>`: object actions: `mpt-upload`, `mpt-complete` (multipart),
/// `rename-obj` (within the bucket; the name in the message's `name`).
pub(super) async fn post_object(
    State(tg): State<Tg>,
    Routed { bucket, object, q }: Routed,
    body: Bytes,
) -> Result<Response, ApiError> {
    api::only_params(&q, "POST object", &["uploadId"])?;
    let msg = api::action(&body)?.unwrap_or_default();
    let upload = q.get("uploadId").cloned();
    match (msg.action.as_str(), upload) {
        ("mpt-upload", None) => super::multipart::create(&tg, bucket, object).await,
        ("mpt-complete", Some(id)) => {
            super::multipart::complete(&tg, bucket, object, id, &msg.value).await
        }
        ("rename-obj", None) => rename(&tg, &bucket, &object, &msg.name).await,
        ("mpt-complete", None) => Err(ApiError::bad_request(
            "mpt-complete needs the uploadId of the upload to complete",
        )),
        (action @ ("mpt-upload" | "rename-obj"), Some(_)) => Err(ApiError::bad_request(format!(
            "{action} takes no uploadId"
        ))),
        (other, _) => Err(ApiError::bad_request(format!(
            "{}: unsupported object action {other:?} (POST object takes mpt-upload, mpt-complete, rename-obj)",
            tg.name
        ))),
    }
}

/// `rename-obj`: `bucket/object` becomes `bucket/to` (on its HRW target, with its custom
/// metadata), then the old name is deleted. Not atomic across targets: a crash in between
/// leaves both names.
async fn rename(tg: &Target, bucket: &str, object: &str, to: &str) -> Result<Response, ApiError> {
    api::check_object_name(to)?;
    if to == object {
        return Err(ApiError::bad_request(format!(
            "rename-obj: ais://{bucket}/{object} already has that name"
        )));
    }
    let store = Arc::clone(&tg.store);
    let (b, o) = (bucket.to_owned(), object.to_owned());
    let (data, custom) = blocking(tg, move || {
        let (file, meta) = store.open_object(&b, &o)?;
        Ok((super::mapped::load(&file, meta.size)?, meta.custom))
    })
    .await?;
    super::deliver::deliver(tg, bucket, to, data, custom).await?;
    let store = Arc::clone(&tg.store);
    let (b, o) = (bucket.to_owned(), object.to_owned());
    blocking(tg, move || store.delete(&b, &o)).await?;
    Ok(StatusCode::OK.into_response())
}

/// `PATCH /v1/objects/<b>/<o>[?set-new-custom=true]`, value `{key: value}`: the object's
/// custom metadata merged with (or, with `set-new-custom`, replaced by) the pairs given.
pub(super) async fn patch_object(
    State(tg): State<Tg>,
    Routed { bucket, object, q }: Routed,
    body: Bytes,
) -> Result<Response, ApiError> {
    api::only_params(&q, "PATCH object", &["set-new-custom"])?;
    let replace = match q.get("set-new-custom").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "set-new-custom={other:?}: expected true or false"
            )))
        }
    };
    let msg = api::action(&body)?.unwrap_or_default();
    if !msg.action.is_empty() {
        return Err(ApiError::bad_request(format!(
            "PATCH object sets custom metadata: action {:?} is not supported",
            msg.action
        )));
    }
    let pairs = msg.value.as_object().ok_or_else(|| {
        ApiError::bad_request("PATCH object: the value must be an object of custom metadata")
    })?;
    let mut custom = BTreeMap::new();
    for (k, v) in pairs {
        let v = v.as_str().ok_or_else(|| {
            ApiError::bad_request(format!("custom metadata {k:?}: the value must be a string"))
        })?;
        // Ais-Custom-Md carries them as comma-separated k=v.
        let unsafe_char = |c: char| c.is_control() || c == ',';
        if k.is_empty() || k.contains('=') || k.contains(unsafe_char) || v.contains(unsafe_char) {
            return Err(ApiError::bad_request(format!(
                "custom metadata {k:?}={v:?}: keys must be non-empty without '=', and neither may hold ',' or control characters"
            )));
        }
        custom.insert(k.clone(), v.to_owned());
    }
    let store = Arc::clone(&tg.store);
    blocking(&tg, move || {
        store.set_custom(&bucket, &object, custom, replace)
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// `DELETE /v1/objects/<b>/<o>` (with `uploadId`: abort that multipart upload).
pub(super) async fn delete_object(
    State(tg): State<Tg>,
    Routed { bucket, object, q }: Routed,
    body: Bytes,
) -> Result<Response, ApiError> {
    api::only_params(&q, "DELETE object", &["uploadId"])?;
    if let Some(id) = q.get("uploadId") {
        return super::multipart::abort(&tg, bucket, object, id.clone(), &body).await;
    }
    let store = Arc::clone(&tg.store);
    blocking(&tg, move || store.delete(&bucket, &object)).await?;
    Ok(StatusCode::OK.into_response())
}

/// Query parameters a target's object PUT implements.
const PUT_PARAMS: &[&str] = &[
    "append_type",
    "append_handle",
    "object_to",
    "etl_name",
    "etl_args",
    "etl_pipeline",
    "latest-ver",
    "synchronize",
    "uuid",
    "owt",
    "uploadId",
    "partNumber",
    "archpath",
    "archmime",
];

/// `PUT /v1/objects/<b>/<o>`: stream the body into the store (temp file, hashed as it arrives),
/// publish atomically at the end; a broken body publishes nothing. With `object_to`: copy the
/// object (through an ETL when `etl_name` is given). With `append_type`: an append or its flush.
/// With `archpath`: one member into a shard.
pub(super) async fn put_object(
    State(tg): State<Tg>,
    Routed { bucket, object, q }: Routed,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    api::only_params(&q, "PUT object", PUT_PARAMS)?;
    if q.contains_key("archpath") || q.contains_key("archmime") {
        return super::shard_put::put_member(&tg, bucket, object, &q, &headers, body).await;
    }
    if let Some(to) = q.get("object_to") {
        return super::etl::copy(&tg, &bucket, &object, &q, to).await;
    }
    match (q.get("uploadId"), q.get("partNumber")) {
        (Some(id), number) => {
            let id = id.clone();
            return super::multipart::put_part(&tg, bucket, object, id, number, body).await;
        }
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                "partNumber without uploadId: start a multipart upload first (action mpt-upload)",
            ))
        }
        (None, None) => {}
    }
    let handle = q.get("append_handle").filter(|h| !h.is_empty()).cloned();
    let flush = match (q.get("append_type").map(String::as_str), handle) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                "append_handle without append_type (\"append\" or \"flush\")",
            ))
        }
        (Some("append"), handle) => return append(&tg, bucket, object, handle, body).await,
        (Some("flush"), Some(handle)) => Some(handle),
        (Some("flush"), None) => {
            return Err(ApiError::bad_request(
                "append_type=flush needs the append_handle of an earlier append",
            ))
        }
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "append_type {other:?} is not supported: \"append\" or \"flush\""
            )))
        }
    };
    // A running job's output (a direct put naming it) is made durable by the job's closing
    // sync; anything else before its 200.
    let job = q.get("uuid").filter(|xid| tg.jobs.is_running(xid));
    let durability = match job {
        Some(_) => Durability::Deferred,
        None => Durability::Synced,
    };
    let store = Arc::clone(&tg.store);
    let meta = with_body(&tg, body, move |mut chunks| {
        let mut w = match flush {
            Some(handle) => store.append_writer(&bucket, &object, &handle)?,
            None => store.writer(&bucket, &object)?,
        };
        while let Some(bytes) = chunks.next()? {
            w.write(&bytes)?;
        }
        store.commit_with(w, BTreeMap::new(), durability)
    })
    .await?;
    if let Some(xid) = job {
        tg.jobs.received(xid, meta.size);
    }
    Ok(StatusCode::OK.into_response())
}

/// `append_type=append`: add the body to the work file `handle` names (a new one without a
/// handle) and answer its handle in `Ais-Append-Handle`.
async fn append(
    tg: &Target,
    bucket: String,
    object: String,
    handle: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let store = Arc::clone(&tg.store);
    let handle = with_body(tg, body, move |mut chunks| {
        let mut work = store.append_file(&bucket, &object, handle.as_deref())?;
        while let Some(bytes) = chunks.next()? {
            work.write(&bytes)?;
        }
        Ok(work.handle().to_owned())
    })
    .await?;
    let value = HeaderValue::from_str(&handle).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        [(HeaderName::from_static("ais-append-handle"), value)],
    )
        .into_response())
}

/// A request body as it arrives, for a blocking store task.
pub(super) struct BodyChunks(tokio::sync::mpsc::Receiver<Result<Bytes, String>>);

impl BodyChunks {
    /// The next chunk; `None` at the end; an error if the body broke.
    pub(super) fn next(&mut self) -> Result<Option<Bytes>, StoreError> {
        match self.0.blocking_recv() {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes)),
            Some(Err(reason)) => Err(StoreError::Io {
                context: "receive object body".into(),
                source: std::io::Error::other(reason),
            }),
        }
    }
}

/// Run `consume` on a blocking thread, feeding it `body` as it arrives.
pub(super) async fn with_body<T: Send + 'static>(
    tg: &Target,
    body: Body,
    consume: impl FnOnce(BodyChunks) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(16);
    let task = tokio::task::spawn_blocking(move || consume(BodyChunks(rx)));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let item = chunk.map_err(|e| e.to_string());
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            break; // the consumer stopped (it reports why) or the body broke
        }
    }
    drop(tx);
    task.await
        .map_err(|e| ApiError::internal(format!("{}: write task: {e}", tg.name)))?
        .map_err(|e| ApiError::from_store(&tg.name, e))
}
