//! Where a transform's output goes: the destination object's HRW target. Written locally when
//! that is this target, else sent by direct put straight to the owner over the pooled
//! keep-alive client (never through the gateway).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use super::objects::blocking;
use super::Target;
use crate::error::ApiError;

/// Whether an output went to another target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    Local,
    Remote,
}

/// Stores `data` as `bucket/name` on its HRW target; `xid` marks a job's direct put so the
/// receiver counts it.
pub(super) async fn deliver(
    tg: &Target,
    bucket: &str,
    name: &str,
    data: Bytes,
    xid: Option<&str>,
) -> Result<Sent, ApiError> {
    let meta = tg.meta_with_bucket(bucket).await?;
    let owner = meta
        .smap
        .owner(bucket, name)
        .ok_or_else(|| ApiError::internal(format!("{}: no targets in the cluster map", tg.name)))?;
    if owner.daemon_id == tg.id {
        let store = Arc::clone(&tg.store);
        let (b, n) = (bucket.to_owned(), name.to_owned());
        blocking(tg, move || {
            let mut w = store.writer(&b, &n)?;
            w.write(&data)?;
            store.commit(w, BTreeMap::new())
        })
        .await?;
        return Ok(Sent::Local);
    }
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
    let resp = tg.http.put(&url).body(data).send().await.map_err(|e| {
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
    Ok(Sent::Remote)
}
