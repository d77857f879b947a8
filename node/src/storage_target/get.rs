//! Target object GET: whole object, one byte range, or one member of a shard (`archpath`),
//! served from the memory-mapped file.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::archive::{self, Format};
use super::objects::{blocking, object_headers, Routed};
use super::Tg;
use crate::api;
use crate::error::ApiError;

/// Query parameters a target's object GET implements (`latest-ver` is trivially true of an
/// `ais://` bucket; of the archive ones only `archpath` is read, the others are refused below).
const GET_PARAMS: &[&str] = &[
    "etl_name",
    "etl_args",
    "etl_pipeline",
    "validate",
    "latest-ver",
    "archpath",
    "archregx",
    "archmode",
];

/// `GET /v1/objects/<b>/<o>[?validate=true]`, honouring a single `Range`.
pub(super) async fn get_object(
    State(tg): State<Tg>,
    Routed { bucket, object, q }: Routed,
    req_headers: HeaderMap,
) -> Result<Response, ApiError> {
    api::only_params(&q, "GET object", GET_PARAMS)?;
    let nonempty = |p: &str| q.get(p).filter(|v| !v.is_empty());
    if let Some(param) = ["archregx", "archmode"]
        .into_iter()
        .find(|p| nonempty(p).is_some())
    {
        // Refused rather than answered with the whole shard (which a 200 would claim is the match).
        return Err(ApiError::bad_request(format!(
            "GET object: {param} (selecting shard members by pattern) is not supported yet"
        )));
    }
    if let Some(member) = nonempty("archpath") {
        if nonempty("etl_name").is_some() {
            return Err(ApiError::bad_request(
                "GET object: archpath with etl_name (transforming one shard member) is not supported yet",
            ));
        }
        if req_headers.contains_key(header::RANGE) {
            return Err(ApiError::bad_request(
                "GET object: a Range with archpath (a byte range of a shard member) is not supported",
            ));
        }
        return get_member(&tg, bucket, object, member.clone()).await;
    }
    if let Some(name) = q.get("etl_name").filter(|n| !n.is_empty()) {
        return super::etl::inline_get(&tg, &bucket, &object, &q, name).await;
    }
    let validate = q.get("validate").is_some_and(|v| v == "true");
    let store = Arc::clone(&tg.store);
    let (b, o) = (bucket.clone(), object.clone());
    // One trip to the blocking pool: open, check, and the bytes.
    let (data, meta) = blocking(&tg, move || {
        let (mut file, meta) = store.open_object(&b, &o)?;
        if validate {
            lode_store::verify_checksum(&b, &o, &mut file, &meta)?;
        }
        Ok((super::mapped::load(&file, meta.size)?, meta))
    })
    .await?;
    let mut headers = object_headers(&tg, &bucket, &object, &meta);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let range = match req_headers.get(header::RANGE) {
        None => None,
        Some(v) => match parse_range(v.to_str().unwrap_or(""), meta.size) {
            Some(r) => Some(r),
            None => {
                let mut h = HeaderMap::new();
                if let Ok(cr) = HeaderValue::from_str(&format!("bytes */{}", meta.size)) {
                    h.insert(header::CONTENT_RANGE, cr);
                }
                let msg = format!(
                    "{}: range {v:?} not satisfiable for ais://{bucket}/{object} of {} bytes",
                    tg.name, meta.size
                );
                return Ok(
                    (h, ApiError::new(StatusCode::RANGE_NOT_SATISFIABLE, msg)).into_response()
                );
            }
        },
    };
    let (status, start, len) = match range {
        None => (StatusCode::OK, 0, meta.size),
        Some((start, end)) => {
            let cr = format!("bytes {start}-{end}/{}", meta.size);
            if let Ok(v) = HeaderValue::from_str(&cr) {
                headers.insert(header::CONTENT_RANGE, v);
            }
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
    };
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    let (start, end) = (start as usize, (start + len) as usize);
    Ok((status, headers, Body::from(data.slice(start..end))).into_response())
}

/// `archpath`: one member of a tar, tar.gz / tgz or zip shard (404 when it has no such member).
async fn get_member(
    tg: &Tg,
    bucket: String,
    object: String,
    member: String,
) -> Result<Response, ApiError> {
    let Some(format) = Format::of(&object) else {
        return Err(ApiError::bad_request(format!(
            "GET object: archpath on ais://{bucket}/{object}: not a shard lode reads (.tar, .tgz, .tar.gz, .zip)"
        )));
    };
    // One trip to the blocking pool: open, map, find (and decompress) the member.
    let (store, node) = (Arc::clone(&tg.store), tg.name.clone());
    let data = tokio::task::spawn_blocking(move || {
        let shard = store
            .open_object(&bucket, &object)
            .and_then(|(file, meta)| super::mapped::map(&file, meta.size))
            .map_err(|e| ApiError::from_store(&node, e))?;
        let uname = format!("ais://{bucket}/{object}");
        archive::member(&shard, format, &member, &uname).map_err(|e| e.into_api(&node))
    })
    .await
    .map_err(|e| ApiError::internal(format!("{}: shard task: {e}", tg.name)))??;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&data.len().to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    Ok((StatusCode::OK, headers, Body::from(data)).into_response())
}

/// Parse a single `bytes=` range against an object of `size` bytes: inclusive `(start, end)`,
/// or `None` when unsatisfiable or malformed (several ranges included).
fn parse_range(spec: &str, size: u64) -> Option<(u64, u64)> {
    let spec = spec.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        return Some((size.saturating_sub(n), size - 1));
    }
    let start: u64 = a.parse().ok()?;
    let end = if b.is_empty() {
        size - 1
    } else {
        b.parse::<u64>().ok()?.min(size - 1)
    };
    (start < size && start <= end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-4", 10), Some((0, 4)));
        assert_eq!(parse_range("bytes=5-", 10), Some((5, 9)));
        assert_eq!(parse_range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(parse_range("bytes=-30", 10), Some((0, 9)));
        assert_eq!(parse_range("bytes=8-100", 10), Some((8, 9)));
        for bad in [
            "bytes=10-",
            "bytes=5-4",
            "bytes=-0",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=x-1",
        ] {
            assert_eq!(parse_range(bad, 10), None, "{bad}");
        }
        assert_eq!(parse_range("bytes=0-0", 0), None);
    }
}
