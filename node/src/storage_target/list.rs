//! Target listing: one sorted page of this target's objects after a name, with a prefix; and
//! the counts and sizes of what it stores of a bucket (for the gateway's summary).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use bytes::Bytes;

use super::objects::blocking;
use super::Tg;
use crate::api::{self, ListRequest, QueryMap};
use crate::error::ApiError;
use crate::listing::{BucketList, LsoEnt, ENTRY_IS_CACHED};

/// `GET /v1/buckets/<b>` with action `list`: this target's page (the gateway merges pages).
pub(super) async fn list_page(
    State(tg): State<Tg>,
    Path(bucket): Path<String>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<BucketList, ApiError> {
    let msg = api::bucket_action(&tg.name, &q, &body, "list")?;
    tg.meta_with_bucket(&bucket).await?;
    let req = ListRequest::from_value(&msg.value);
    let store = Arc::clone(&tg.store);
    let (b, prefix, after, limit) = (
        bucket.clone(),
        req.prefix.clone(),
        req.after().to_owned(),
        req.page_size,
    );
    let page = blocking(&tg, move || Ok(store.list(&b, &prefix, &after, limit))).await?;
    let location = |m: &lode_store::ObjectMeta| {
        format!("{}:mp[{}]", tg.name, tg.store.mountpath_of(m).display())
    };
    let entries: Vec<LsoEnt> = page
        .iter()
        .map(|(name, m)| LsoEnt {
            n: name.clone(),
            s: m.size,
            cs: m.checksum_hex(),
            a: httpdate::fmt_http_date(
                std::time::UNIX_EPOCH + std::time::Duration::from_nanos(m.atime_ns),
            ),
            v: m.version.to_string(),
            t: location(m),
            c: 1,
            f: ENTRY_IS_CACHED,
            m: m.custom
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        })
        .collect();
    let token = if entries.len() >= req.page_size {
        entries.last().map(|e| e.n.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(BucketList {
        uuid: req.uuid,
        continuation_token: token,
        flags: 0,
        entries,
    })
}

/// `GET /v1/summary/<b>`, body `{"prefix": ..}` (intra-cluster): what this target stores of
/// the bucket, for the gateway's `summary-bck` and bucket info: `{count, size, min, max,
/// disks}` (`disks`: the bytes of the filesystems under its mountpaths).
pub(super) async fn summary(
    State(tg): State<Tg>,
    Path(bucket): Path<String>,
    axum::Json(msg): axum::Json<serde_json::Value>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    tg.meta_with_bucket(&bucket).await?;
    let prefix = msg["prefix"].as_str().unwrap_or_default().to_owned();
    let store = Arc::clone(&tg.store);
    let (sum, disks) = blocking(&tg, move || {
        Ok((store.summary(&bucket, &prefix), store.disks_size()?))
    })
    .await?;
    Ok(axum::Json(serde_json::json!({
        "count": sum.count, "size": sum.size, "min": sum.min_size, "max": sum.max_size,
        "disks": disks,
    })))
}
