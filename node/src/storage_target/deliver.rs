//! Where a transform's output goes: the destination object's HRW target. Written locally when
//! that is this target, else sent by direct put straight to the owner over the pooled
//! keep-alive client (never through the gateway).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use lode_etl::Output;
use lode_store::{Durability, ObjectWriter};
use lode_wire::Snode;
use tokio::sync::{mpsc, oneshot};

use super::objects::blocking;
use super::Target;
use crate::error::ApiError;

/// A job output this target owns, written on the worker's thread straight into the store's
/// temp file (the runtime hands it the guest's output slices, with no buffer in between),
/// hashed as it goes, and published by [`LocalOutput::commit`]. Dropped uncommitted (the
/// transform failed), the temp file goes with it.
#[derive(Clone)]
pub(super) struct LocalOutput(Arc<Mutex<Option<ObjectWriter>>>);

/// Where a job output goes.
pub(super) enum Destination {
    /// This target owns it.
    Local(LocalOutput),
    /// That target does.
    Remote(Box<Snode>),
}

impl Destination {
    /// The HRW owner of `bucket/name`, with the store's writer ready when it is this target.
    pub(super) async fn of(tg: &Target, bucket: &str, name: &str) -> Result<Destination, ApiError> {
        if let Some(owner) = remote_owner(tg, bucket, name).await? {
            return Ok(Destination::Remote(owner));
        }
        let writer = tg
            .store
            .writer(bucket, name)
            .map_err(|e| ApiError::from_store(&tg.name, e))?;
        let local = LocalOutput(Arc::new(Mutex::new(Some(writer))));
        Ok(Destination::Local(local))
    }
}

impl LocalOutput {
    /// The runtime output that fills it.
    pub(super) fn output(&self) -> Output {
        Output::Sync(Box::new(self.clone()))
    }

    /// Publishes what was written (renamed into place; made durable by the job's closing
    /// sync, not one fsync per object); answers its size.
    pub(super) async fn commit(self, tg: &Target) -> Result<u64, ApiError> {
        let writer = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        let writer = writer
            .ok_or_else(|| ApiError::internal(format!("{}: output committed twice", tg.name)))?;
        let size = writer.size();
        let store = Arc::clone(&tg.store);
        blocking(tg, move || {
            store.commit_with(writer, BTreeMap::new(), Durability::Deferred)
        })
        .await?;
        Ok(size)
    }
}

impl std::io::Write for LocalOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut writer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let writer = writer
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the output was already committed"))?;
        writer.write(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(()) // the commit flushes
    }
}

/// Sends a job output to `owner` by direct put while the transform produces it: the body is
/// what arrives on `chunks` (the runtime's `Output::Chunks`). When the channel closes, `ok`
/// says whether the transform succeeded: only then does the body end cleanly; otherwise it
/// ends with an error, so the receiver discards what it got and nothing half-made appears
/// (and, the put having been abandoned on purpose, this answers `Ok`: the transform's error
/// is the one to report).
pub(super) async fn stream_to(
    tg: &Target,
    owner: &Snode,
    (bucket, name, xid): (&str, &str, &str),
    chunks: mpsc::Receiver<Bytes>,
    ok: oneshot::Receiver<bool>,
) -> Result<(), ApiError> {
    let abandoned = Arc::new(AtomicBool::new(false));
    let state = (chunks, Some(ok), Arc::clone(&abandoned));
    let body = futures_util::stream::unfold(state, |(mut chunks, ok, flag)| async move {
        if let Some(bytes) = chunks.recv().await {
            return Some((Ok(bytes), (chunks, ok, flag)));
        }
        if ok?.await.unwrap_or(false) {
            return None;
        }
        flag.store(true, Ordering::Relaxed);
        let failed = std::io::Error::other("the transform failed: output abandoned");
        Some((Err(failed), (chunks, None, flag)))
    });
    let body = reqwest::Body::wrap_stream(body);
    match direct_put(tg, owner, bucket, name, Some(xid), body).await {
        Err(_) if abandoned.load(Ordering::Relaxed) => Ok(()),
        sent => sent,
    }
}

/// The HRW owner of `bucket/name` when that is another target; `None` when it is this one.
pub(super) async fn remote_owner(
    tg: &Target,
    bucket: &str,
    name: &str,
) -> Result<Option<Box<Snode>>, ApiError> {
    let meta = tg.meta_with_bucket(bucket).await?;
    let owner = owner_of(tg, &meta, bucket, name)?;
    Ok((owner.daemon_id != tg.id).then(|| Box::new(owner.clone())))
}

fn owner_of<'m>(
    tg: &Target,
    meta: &'m crate::bmd::ClusterMeta,
    bucket: &str,
    name: &str,
) -> Result<&'m Snode, ApiError> {
    meta.smap
        .owner(bucket, name)
        .ok_or_else(|| ApiError::internal(format!("{}: no targets in the cluster map", tg.name)))
}

/// Stores `data` as `bucket/name`, with custom metadata `custom`, on its HRW target, durably
/// before it answers (a client's object copy or rename).
pub(super) async fn deliver(
    tg: &Target,
    bucket: &str,
    name: &str,
    data: Bytes,
    custom: BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let meta = tg.meta_with_bucket(bucket).await?;
    let owner = owner_of(tg, &meta, bucket, name)?;
    if owner.daemon_id == tg.id {
        let store = Arc::clone(&tg.store);
        let (b, n) = (bucket.to_owned(), name.to_owned());
        blocking(tg, move || {
            let mut w = store.writer(&b, &n)?;
            w.write(&data)?;
            store.commit(w, custom)
        })
        .await?;
        return Ok(());
    }
    direct_put(tg, owner, bucket, name, None, data.into()).await?;
    if custom.is_empty() {
        return Ok(());
    }
    // The custom metadata follows as the owner's PATCH (replacing: the object is new).
    let url = format!(
        "{}/v1/objects/{bucket}/{}?provider=ais&pid={}&set-new-custom=true",
        owner.url(),
        lode_wire::quote_object_name(name),
        tg.id
    );
    let msg = serde_json::json!({"action": "", "name": "", "value": custom});
    let failed = |e: String| {
        ApiError::internal(format!(
            "{}: custom metadata of ais://{bucket}/{name} to {}: {e}",
            tg.name, owner.daemon_id
        ))
    };
    let resp = tg
        .http
        .patch(&url)
        .json(&msg)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(failed(resp.text().await.unwrap_or_default()));
    }
    Ok(())
}

/// `PUT` of `body` as `bucket/name` straight to its owner; `xid` marks a job's output.
pub(super) async fn direct_put(
    tg: &Target,
    owner: &Snode,
    bucket: &str,
    name: &str,
    xid: Option<&str>,
    body: reqwest::Body,
) -> Result<(), ApiError> {
    let mut url = format!(
        "{}/v1/objects/{bucket}/{}?provider=ais&pid={}",
        owner.url(),
        lode_wire::quote_object_name(name),
        tg.id
    );
    if let Some(xid) = xid {
        url.push_str("&uuid=");
        url.push_str(xid);
    }
    let resp = tg.http.put(&url).body(body).send().await.map_err(|e| {
        ApiError::internal(format!(
            "{}: direct put of ais://{bucket}/{name} to {}: {e}",
            tg.name, owner.daemon_id
        ))
    })?;
    if !resp.status().is_success() {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        return Err(ApiError::new(
            status,
            format!(
                "{}: direct put of ais://{bucket}/{name} to {} failed: {text}",
                tg.name, owner.daemon_id
            ),
        ));
    }
    Ok(())
}
