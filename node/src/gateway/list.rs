//! Gateway listing: ask every target for its next page after the token, merge by name, cut to
//! the page size. The continuation token is the last name returned ("" = done).

use axum::extract::{Path, Query, State};
use axum::http::header;
use bytes::Bytes;
use rand::distr::{Alphanumeric, SampleString};

use super::Gw;
use crate::api::{self, ListRequest, QueryMap};
use crate::error::ApiError;
use crate::listing::{BucketList, LsoEnt};

/// `GET /v1/buckets/<b>` with action `list` (the only GET action on a bucket).
pub(super) async fn list_objects(
    State(gw): State<Gw>,
    Path(bucket): Path<String>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<BucketList, ApiError> {
    let msg = api::bucket_action(&gw.name, &q, &body, "list")?;
    let meta = gw.meta();
    if !meta.bmd.buckets.contains_key(&bucket) {
        return Err(ApiError::bucket_not_found(&bucket));
    }
    let req = ListRequest::from_value(&msg.value);
    let targets: Vec<_> = meta
        .smap
        .tmap
        .values()
        .filter(|t| req.target.is_empty() || t.daemon_id == req.target)
        .collect();
    let body = req.to_target_msg().to_string();
    let bucket = bucket.as_str();
    let pages = targets.iter().map(|t| {
        let url = format!("{}/v1/buckets/{bucket}?provider=ais", t.url());
        let send = gw
            .http
            .get(url)
            .header(header::ACCEPT, "application/msgpack")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send();
        async move {
            let resp = send.await.and_then(|r| r.error_for_status()).map_err(|e| {
                ApiError::internal(format!("list {bucket} on {}: {e}", t.daemon_id))
            })?;
            let bytes = resp.bytes().await.map_err(|e| {
                ApiError::internal(format!("list {bucket} on {}: {e}", t.daemon_id))
            })?;
            rmp_serde::from_slice::<BucketList>(&bytes)
                .map_err(|e| ApiError::internal(format!("list {bucket} on {}: {e}", t.daemon_id)))
        }
    });
    let pages = futures_util::future::try_join_all(pages).await?;
    let any_full = pages.iter().any(|p| p.entries.len() >= req.page_size);
    let (entries, more) = merge(
        pages.into_iter().map(|p| p.entries).collect(),
        req.page_size,
    );
    let token = match entries.last() {
        Some(last) if more || any_full => last.n.clone(),
        _ => String::new(),
    };
    let uuid = if req.uuid.is_empty() {
        Alphanumeric.sample_string(&mut rand::rng(), 10)
    } else {
        req.uuid
    };
    Ok(BucketList {
        uuid,
        continuation_token: token,
        flags: 0,
        entries,
    })
}

/// Merge sorted pages into one sorted page of at most `limit`; `true` if entries were cut off.
fn merge(pages: Vec<Vec<LsoEnt>>, limit: usize) -> (Vec<LsoEnt>, bool) {
    let mut all: Vec<LsoEnt> = pages.into_iter().flatten().collect();
    all.sort_by(|a, b| a.n.cmp(&b.n));
    all.dedup_by(|a, b| a.n == b.n);
    let more = all.len() > limit;
    all.truncate(limit);
    (all, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ent(n: &str) -> LsoEnt {
        LsoEnt {
            n: n.into(),
            s: 0,
            cs: String::new(),
            a: String::new(),
            v: String::new(),
            t: String::new(),
            c: 1,
            f: 0,
        }
    }

    #[test]
    fn merge_sorts_across_targets_and_cuts() {
        let pages = vec![
            vec![ent("a"), ent("d")],
            vec![ent("b"), ent("c"), ent("e")],
            vec![],
        ];
        let (page, more) = merge(pages, 3);
        let names: Vec<&str> = page.iter().map(|e| e.n.as_str()).collect();
        assert_eq!((names, more), (vec!["a", "b", "c"], true));
        let (page, more) = merge(vec![vec![ent("x")]], 3);
        assert_eq!((page.len(), more), (1, false));
    }
}
