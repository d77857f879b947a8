//! Target object GET: whole object, one byte range, one member of a shard (`archpath`, also
//! through an inline ETL) or the members a pattern selects (`archregx` / `archmode`, as a tar),
//! served from the memory-mapped file.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::archive::{self, Format, Matcher, Shard};
use super::objects::{blocking, object_headers, Routed};
use super::Tg;
use crate::api;
use crate::error::ApiError;

/// Query parameters a target's object GET implements (`latest-ver` is trivially true of an
/// `ais://` bucket).
const GET_PARAMS: &[&str] = &[
    "etl_name",
    "etl_args",
    "etl_pipeline",
    "validate",
    "latest-ver",
    "archpath",
    "archregx",
    "archmode",
    "archmime",
];

/// `GET /v1/objects/<b>/<o>[?validate=true]`, honouring a single `Range`.
pub(super) async fn get_object(
    State(tg): State<Tg>,
    Routed { bucket, object, q }: Routed,
    req_headers: HeaderMap,
) -> Result<Response, ApiError> {
    api::only_params(&q, "GET object", GET_PARAMS)?;
    let nonempty = |p: &str| q.get(p).filter(|v| !v.is_empty());
    let member = nonempty("archpath");
    let selection = (nonempty("archregx").is_some() || nonempty("archmode").is_some())
        .then(|| {
            let param = |p: &str| q.get(p).map(String::as_str).unwrap_or_default();
            Matcher::parse(param("archregx"), param("archmode")).map_err(|e| e.into_api(&tg.name))
        })
        .transpose()?;
    let etl = nonempty("etl_name");
    if member.is_none() && selection.is_none() && nonempty("archmime").is_some() {
        return Err(ApiError::bad_request(
            "GET object: archmime (a shard's format) needs archpath or archregx",
        ));
    }
    if member.is_some() || selection.is_some() {
        if req_headers.contains_key(header::RANGE) {
            return Err(ApiError::bad_request(
                "GET object: a Range with archpath or archregx (a byte range of shard members) is not supported",
            ));
        }
        if member.is_some() && selection.is_some() {
            return Err(ApiError::bad_request(
                "GET object: archpath (match one) and archregx/archmode (match many) are mutually exclusive",
            ));
        }
        let format = shard_format(&bucket, &object, nonempty("archmime"))?;
        if let Some(member) = member {
            let data = get_member(&tg, &bucket, &object, format, member.clone()).await?;
            return match etl {
                Some(name) => {
                    super::etl::inline_get(&tg, &bucket, &object, &q, name, Some(data)).await
                }
                None => Ok(member_response(data)),
            };
        }
        if etl.is_some() {
            return Err(ApiError::bad_request(
                "GET object: archregx/archmode with etl_name is not supported (transform one member with archpath)",
            ));
        }
        if let Some(matcher) = selection {
            return select(&tg, bucket, object, format, matcher).await;
        }
    }
    if let Some(name) = q.get("etl_name").filter(|n| !n.is_empty()) {
        return super::etl::inline_get(&tg, &bucket, &object, &q, name, None).await;
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

/// The shard format `archmime` names (400 if it names none); `None`: the object's name or,
/// failing that, its first bytes decide ([`map_shard`]).
fn shard_format(
    bucket: &str,
    object: &str,
    mime: Option<&String>,
) -> Result<Option<Format>, ApiError> {
    let Some(mime) = mime else {
        return Ok(Format::of(object));
    };
    match Format::from_mime(mime) {
        Some(format) => Ok(Some(format)),
        None => Err(ApiError::bad_request(format!(
            "GET object: ais://{bucket}/{object}: archmime {mime:?} is not a shard format lode reads ({})",
            archive::EXTENSIONS
        ))),
    }
}

/// `archpath`: one member of a shard (404 when it has no such member).
async fn get_member(
    tg: &Tg,
    bucket: &str,
    object: &str,
    format: Option<Format>,
    member: String,
) -> Result<Bytes, ApiError> {
    // One trip to the blocking pool: open, map, find (and decompress) the member.
    let (store, node) = (Arc::clone(&tg.store), tg.name.clone());
    let (bucket, object) = (bucket.to_owned(), object.to_owned());
    tokio::task::spawn_blocking(move || {
        let (bytes, format) = map_shard(&store, &node, &bucket, &object, format)?;
        let uname = format!("ais://{bucket}/{object}");
        let shard = Shard {
            bytes: &bytes,
            format,
            uname: &uname,
        };
        shard.member(&member).map_err(|e| e.into_api(&node))
    })
    .await
    .map_err(|e| ApiError::internal(format!("{}: shard task: {e}", tg.name)))?
}

/// The shard's bytes, mapped, and its format: `format`, or else what its first bytes are.
fn map_shard(
    store: &lode_store::Store,
    node: &str,
    bucket: &str,
    object: &str,
    format: Option<Format>,
) -> Result<(Bytes, Format), ApiError> {
    let bytes = store
        .open_object(bucket, object)
        .and_then(|(file, meta)| super::mapped::map(&file, meta.size))
        .map_err(|e| ApiError::from_store(node, e))?;
    match format.or_else(|| Format::sniff(&bytes)) {
        Some(format) => Ok((bytes, format)),
        None => Err(ApiError::bad_request(format!(
            "{node}: GET object: archpath/archregx on ais://{bucket}/{object}: not a shard lode reads \
             (neither its name, {}, nor its first bytes say so; name the format with archmime)",
            archive::EXTENSIONS
        ))),
    }
}

fn member_response(data: Bytes) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&data.len().to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    (StatusCode::OK, headers, Body::from(data)).into_response()
}

/// `archregx` / `archmode`: the selected members streamed as one tar (`application/x-tar`),
/// written on a blocking thread as the shard is walked. No match is 404 before anything is
/// sent; an error after the first member cuts the answer short.
async fn select(
    tg: &Tg,
    bucket: String,
    object: String,
    format: Option<Format>,
    matcher: Matcher,
) -> Result<Response, ApiError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
    let (began_tx, began) = tokio::sync::oneshot::channel::<Result<(), ApiError>>();
    let (store, node) = (Arc::clone(&tg.store), tg.name.clone());
    tokio::task::spawn_blocking(move || {
        let slot = std::cell::Cell::new(Some(began_tx));
        let walked =
            map_shard(&store, &node, &bucket, &object, format).and_then(|(bytes, format)| {
                let uname = format!("ais://{bucket}/{object}");
                let shard = Shard {
                    bytes: &bytes,
                    format,
                    uname: &uname,
                };
                let out = std::io::BufWriter::with_capacity(64 << 10, ChunkSink(tx.clone()));
                let began = || {
                    if let Some(began) = slot.take() {
                        let _ = began.send(Ok(()));
                    }
                };
                shard
                    .select(&matcher, out, began)
                    .map_err(|e| e.into_api(&node))
            });
        if let Err(e) = walked {
            match slot.take() {
                Some(began) => drop(began.send(Err(e))),
                None => drop(tx.blocking_send(Err(std::io::Error::other(e.message)))),
            }
        }
    });
    match began.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(ApiError::internal(format!("{}: shard task ended", tg.name))),
    }
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let headers = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    )];
    Ok((StatusCode::OK, headers, Body::from_stream(body)).into_response())
}

/// Bytes written on a blocking thread, handed to an async response body.
struct ChunkSink(tokio::sync::mpsc::Sender<std::io::Result<Bytes>>);

impl std::io::Write for ChunkSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
            })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
