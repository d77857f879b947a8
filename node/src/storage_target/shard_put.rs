//! PUT of one member into a shard (`archpath` on PUT, AIS's "append to archive"): the member
//! added at the end of an existing tar shard, or a new shard holding just that member; either
//! way a new version of the shard, published by one atomic replace (a reader sees the old shard
//! or the new one, never half of it).
//!
//! The `Ais-Pine` header carries AIS's flags: none = the request's member becomes the whole
//! shard (created or replaced); 1 = append, the shard must exist (404 otherwise); 2 = append if
//! the shard exists, else create it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use lode_store::{ObjectWriter, StoreError};

use super::archive::{self, Format, Shard};
use super::objects::{with_body, BodyChunks};
use super::Target;
use crate::api::QueryMap;
use crate::error::ApiError;

/// AIS `apc.HdrPutApndArchFlags`.
const FLAGS_HEADER: &str = "ais-pine";
/// Append; the shard must exist (AIS `apc.ArchAppend`).
const APPEND: u64 = 1;
/// Append if the shard exists, else create it (AIS `apc.ArchAppendIfExist`).
const APPEND_IF_EXISTS: u64 = 2;

/// `PUT /v1/objects/<b>/<shard>?archpath=<member>[&archmime=<format>]`.
pub(super) async fn put_member(
    tg: &Target,
    bucket: String,
    object: String,
    q: &QueryMap,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let uname = format!("ais://{bucket}/{object}");
    let refuse = |why: String| ApiError::bad_request(format!("failed to archive {uname}: {why}"));
    let member = member_name(&object, q.get("archpath").map_or("", String::as_str))
        .ok_or_else(|| refuse("archpath names no member".into()))?;
    let format = match q.get("archmime").filter(|m| !m.is_empty()) {
        Some(mime) => Format::from_mime(mime).ok_or_else(|| {
            refuse(format!(
                "archmime {mime:?} is not a shard format lode writes ({})",
                archive::EXTENSIONS
            ))
        })?,
        None => Format::of(&object).ok_or_else(|| {
            refuse(format!(
                "not a shard lode writes ({}); name the format with archmime",
                archive::EXTENSIONS
            ))
        })?,
    };
    let flags = match headers.get(FLAGS_HEADER).map(|v| v.to_str()) {
        None => 0,
        Some(Ok(s)) => match s.trim().parse::<u64>() {
            Ok(f @ (0 | APPEND | APPEND_IF_EXISTS)) => f,
            _ => return Err(refuse(format!("invalid flags {s:?} in {FLAGS_HEADER}"))),
        },
        Some(Err(_)) => return Err(refuse(format!("invalid flags in {FLAGS_HEADER}"))),
    };
    let size = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| refuse("missing \"Content-Length\" in the request".into()))?;
    let (store, node, shards) = (
        Arc::clone(&tg.store),
        tg.name.clone(),
        Arc::clone(&tg.shard_puts),
    );
    let done = with_body(tg, body, move |chunks| {
        // One shard rewrite at a time on this target: two appends must not both start from the
        // same old shard (the second would drop the first's member).
        let _one = shards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let existing = match store.open_object(&bucket, &object) {
            Ok((file, meta)) => Some((super::mapped::map(&file, meta.size)?, meta.custom)),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut data = BodyReader::new(chunks);
        let mut w = store.writer(&bucket, &object)?;
        let written = match (&existing, flags) {
            (None, APPEND) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "{node}: failed to archive {uname}: the shard does not exist (append needs it)"
                ),
            )),
            (Some((bytes, _)), APPEND | APPEND_IF_EXISTS) => {
                let shard = Shard {
                    bytes,
                    format,
                    uname: &uname,
                };
                shard
                    .append(&member, size, &mut data, Sink(&mut w))
                    .map_err(|e| e.into_api(&node))
            }
            _ => archive::create(format, &member, size, &mut data, Sink(&mut w))
                .map_err(|e| e.into_api(&node)),
        };
        if let Err(e) = written {
            return Ok(Err(e)); // the writer's drop removes its temp file
        }
        data.rest_is_empty()?;
        let custom = existing
            .map(|(_, custom)| custom)
            .unwrap_or_else(BTreeMap::new);
        store.commit(w, custom).map(|_| Ok(()))
    })
    .await?;
    done.map(|()| StatusCode::OK.into_response())
}

/// The member's name inside the shard: `archpath`, relative to the shard when it starts with
/// the shard's own name (as AIS allows), without a leading `/`; `None` when empty.
fn member_name(object: &str, archpath: &str) -> Option<String> {
    let rel = archpath
        .strip_prefix(object)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(archpath);
    let rel = rel.trim_start_matches('/');
    (!rel.is_empty()).then(|| rel.to_owned())
}

/// An [`ObjectWriter`] as an `io::Write`.
struct Sink<'a>(&'a mut ObjectWriter);

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A request body as an `io::Read` on a blocking thread.
struct BodyReader {
    chunks: BodyChunks,
    current: Bytes,
}

impl BodyReader {
    fn new(chunks: BodyChunks) -> BodyReader {
        BodyReader {
            chunks,
            current: Bytes::new(),
        }
    }

    /// Fails if the body holds more than the member took (more than its `Content-Length`).
    fn rest_is_empty(&mut self) -> Result<(), StoreError> {
        let mut byte = [0u8; 1];
        match self.read(&mut byte) {
            Ok(0) => Ok(()),
            Ok(_) => Err(StoreError::BadUpload(
                "the body is longer than its Content-Length".into(),
            )),
            Err(e) => Err(StoreError::Io {
                context: "receive the member".into(),
                source: e,
            }),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.next().map_err(std::io::Error::other)? {
                Some(bytes) => self.current = bytes,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::member_name;

    #[test]
    fn member_names_are_relative_to_the_shard() {
        assert_eq!(member_name("s.tar", "a/b.jpg").as_deref(), Some("a/b.jpg"));
        assert_eq!(
            member_name("s.tar", "s.tar/a.jpg").as_deref(),
            Some("a.jpg")
        );
        assert_eq!(member_name("s.tar", "/a.jpg").as_deref(), Some("a.jpg"));
        assert_eq!(member_name("s.tar", "s.tarx").as_deref(), Some("s.tarx"));
        assert_eq!(member_name("s.tar", "/").as_deref(), None);
        assert_eq!(member_name("s.tar", "").as_deref(), None);
    }
}
