//! Gateway listing: ask every target for its next page after the token, merge by name, cut to
//! the page size. The continuation token is the last name returned ("" = done).

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rand::distr::{Alphanumeric, SampleString};

use super::fanout::CallError;
use super::Gw;
use crate::api::{self, QueryMap};
use crate::error::ApiError;
use crate::listing::{BucketList, ListRequest, LsoEnt};

/// How long one target may take to produce its page (a walk of its in-memory name index from
/// the token: milliseconds for the largest page), after which it counts as not answering.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// `GET /v1/buckets/<b>` with action `list` (or `summary-bck`, answered by the summary
/// protocol).
pub(super) async fn list_objects(
    State(gw): State<Gw>,
    Path(bucket): Path<String>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<Response, ApiError> {
    api::check_provider(&q)?;
    let msg = api::action(&body)?.unwrap_or_default();
    match msg.action.as_str() {
        "summary-bck" => super::summary::summary(&gw, &bucket, &msg.value).await,
        "" | "list" => list(&gw, bucket, &msg.value)
            .await
            .map(IntoResponse::into_response),
        other => Err(api::unsupported_bucket_action(&gw.name, other)),
    }
}

async fn list(gw: &Gw, bucket: String, value: &serde_json::Value) -> Result<BucketList, ApiError> {
    let meta = gw.meta();
    if !meta.bmd.buckets.contains_key(&bucket) {
        return Err(ApiError::bucket_not_found(&bucket));
    }
    let req = ListRequest::parse(value)?;
    let targets: Vec<(String, String)> = meta
        .smap
        .tmap
        .values()
        .filter(|t| req.target.is_empty() || t.daemon_id == req.target)
        .map(|t| (t.daemon_id.clone(), t.url().to_owned()))
        .collect();
    let body = req.to_target_msg().to_string();
    let path = format!("/v1/buckets/{bucket}?provider=ais");
    let answers = gw
        .call_targets(&targets, Method::GET, &path, |r| {
            r.header(header::ACCEPT, "application/msgpack")
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .timeout(PAGE_TIMEOUT)
        })
        .await;
    let mut pages = Vec::with_capacity(answers.len());
    for (tid, answer) in answers {
        let bytes = answer.map_err(|e| match e {
            // A target that does not answer: 503 naming it (the SDK may retry).
            CallError::Unreachable(why) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{}: list {bucket}: {why}", gw.name),
            ),
            e => ApiError::internal(format!("list {bucket} on {tid}: {e}")),
        })?;
        let page = rmp_serde::from_slice::<BucketList>(&bytes)
            .map_err(|e| ApiError::internal(format!("list {bucket} on {tid}: {e}")))?;
        pages.push(page);
    }
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
            m: String::new(),
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
