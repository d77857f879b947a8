//! Gateway bucket endpoints: create, destroy, HEAD, list buckets, and the bucket actions that
//! start multi-object jobs (transform, copy, delete by list or template).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};

use super::Gw;
use crate::api::{self, QueryMap};
use crate::bmd::BucketProps;
use crate::error::ApiError;

/// `GET /v1/buckets?provider=ais` (body: action `list`): JSON array, `[]` when empty.
pub(super) async fn list_buckets(
    State(gw): State<Gw>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    if let Some(msg) = api::action(&body)? {
        if !msg.action.is_empty() && msg.action != "list" {
            return Err(ApiError::bad_request(format!(
                "unsupported action \"{}\"",
                msg.action
            )));
        }
    }
    if !matches!(
        q.get("provider").map(String::as_str),
        None | Some("") | Some("ais")
    ) {
        return Ok(Json(Vec::new()));
    }
    let meta = gw.meta();
    let list = meta
        .bmd
        .buckets
        .keys()
        .map(|name| json!({"name": name, "provider": "ais", "namespace": {"uuid": "", "name": ""}}))
        .collect();
    Ok(Json(list))
}

/// `POST /v1/buckets/<b>`: bucket actions (`create-bck`).
pub(super) async fn post_action(
    State(gw): State<Gw>,
    Path(bucket): Path<String>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<Response, ApiError> {
    api::check_provider(&q)?;
    let msg = api::action(&body)?.unwrap_or_default();
    match msg.action.as_str() {
        "etl-bck" | "etl-listrange" | "copy-bck" | "copy-listrange" | "move-bck" => {
            super::jobs::start(&gw, &bucket, &q, msg).await
        }
        "prefetch-listrange" => Err(no_remote(&gw.name, &msg.action)),
        "create-bck" => {
            api::check_bucket_name(&bucket)?;
            gw.update(|meta| {
                if meta.bmd.buckets.contains_key(&bucket) {
                    return Err(ApiError::bucket_exists(&bucket));
                }
                let props = BucketProps {
                    bid: rand::random::<u64>() >> 1,
                    created: lode_store::now_ns(),
                };
                meta.bmd.buckets.insert(bucket.clone(), props);
                Ok(())
            })
            .await?;
            tracing::info!(%bucket, "bucket created");
            Ok(StatusCode::OK.into_response())
        }
        other => Err(api::unsupported_bucket_action(&gw.name, other)),
    }
}

/// `PUT /v1/buckets/<b>`: AIS's multi-object `archive` and bucket-property actions, none
/// of which lode implements: 400 naming the action.
pub(super) async fn put_action(
    State(gw): State<Gw>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<Response, ApiError> {
    api::check_provider(&q)?;
    let msg = api::action(&body)?.unwrap_or_default();
    Err(api::unsupported_bucket_action(&gw.name, &msg.action))
}

/// The 400 for an action that only buckets with a remote backend have.
fn no_remote(node: &str, action: &str) -> ApiError {
    ApiError::bad_request(format!(
        "{node}: {action} is for buckets with a remote backend (cloud, remote AIS); ais:// buckets have none"
    ))
}

/// `DELETE /v1/buckets/<b>`: action `destroy-bck` removes the bucket and its data everywhere;
/// `delete-listrange` starts a job deleting listed objects.
pub(super) async fn destroy(
    State(gw): State<Gw>,
    Path(bucket): Path<String>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<Response, ApiError> {
    api::check_provider(&q)?;
    let msg = api::action(&body)?.unwrap_or_default();
    match msg.action.as_str() {
        "" | "destroy-bck" => {}
        "delete-listrange" => return super::jobs::start(&gw, &bucket, &q, msg).await,
        "evict-listrange" | "evict-remote-bck" => return Err(no_remote(&gw.name, &msg.action)),
        other => return Err(api::unsupported_bucket_action(&gw.name, other)),
    }
    gw.update(|meta| match meta.bmd.buckets.remove(&bucket) {
        Some(_) => Ok(()),
        None => Err(ApiError::bucket_not_found(&bucket)),
    })
    .await?;
    tracing::info!(%bucket, "bucket destroyed");
    Ok(StatusCode::OK.into_response())
}

/// `HEAD /v1/buckets/<b>`: 200 with `Ais-Bucket-Props`, or 404; with `presence`,
/// `bsumm_remote` or `uuid`, bucket info (its summary by the 202 protocol).
pub(super) async fn head(
    State(gw): State<Gw>,
    Path(bucket): Path<String>,
    Query(q): Query<QueryMap>,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    head_of(&gw, &bucket, "", &q).await
}

/// `HEAD /v1/buckets/<b>/<prefix>`: bucket info of the names under the prefix.
pub(super) async fn head_prefix(
    State(gw): State<Gw>,
    Path((bucket, prefix)): Path<(String, String)>,
    Query(q): Query<QueryMap>,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    head_of(&gw, &bucket, &prefix, &q).await
}

async fn head_of(
    gw: &Gw,
    bucket: &str,
    prefix: &str,
    q: &QueryMap,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    // Any of these makes the HEAD a bucket info (AIS `api.GetBucketInfo`).
    const INFO: &[&str] = &["presence", "bsumm_remote", "uuid"];
    api::only_params(q, "HEAD bucket", INFO)?;
    let meta = gw.meta();
    let props = meta
        .bmd
        .buckets
        .get(bucket)
        .ok_or_else(|| ApiError::bucket_not_found(bucket))?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&props.to_header_json(bucket)) {
        headers.insert("Ais-Bucket-Props", v);
    }
    if INFO.iter().any(|k| q.contains_key(*k)) || !prefix.is_empty() {
        return super::summary::info(gw, bucket, prefix, q, headers).await;
    }
    Ok((StatusCode::OK, headers))
}
