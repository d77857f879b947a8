//! Multipart uploads as the `aistore` 2.0 SDK drives them (`Object.multipart_upload()`), on
//! the object's HRW target (the gateway redirects each call here, body and all):
//!
//! - `POST /v1/objects/<b>/<o>`, action `mpt-upload` -> 200, body = the upload id;
//! - `PUT  /v1/objects/<b>/<o>?uploadId=<id>&partNumber=<n>`, body = the part (any order,
//!   concurrently; a part sent again replaces it);
//! - `POST /v1/objects/<b>/<o>?uploadId=<id>`, action `mpt-complete`, value
//!   `[{"part-number": n, "etag": ""}, ...]` -> the parts, by number, become the object;
//! - `DELETE /v1/objects/<b>/<o>?uploadId=<id>`, action `mpt-abort` -> the parts are gone.
//!
//! The store keeps the parts ([`lode_store::Store::create_upload`]); a target removes uploads
//! left alone longer than `--upload-max-age` (see [`clean_abandoned`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use super::objects::{blocking, with_body};
use super::{Target, Tg};
use crate::api;
use crate::error::ApiError;

/// `POST` action `mpt-upload`: a new upload of `bucket/object`; answers its id.
pub(super) async fn create(
    tg: &Target,
    bucket: String,
    object: String,
) -> Result<Response, ApiError> {
    let store = Arc::clone(&tg.store);
    let id = blocking(tg, move || store.create_upload(&bucket, &object)).await?;
    Ok(id.into_response())
}

/// `POST ?uploadId=<id>` action `mpt-complete`: the listed parts become the object.
pub(super) async fn complete(
    tg: &Target,
    bucket: String,
    object: String,
    id: String,
    value: &Value,
) -> Result<Response, ApiError> {
    let parts = part_numbers(value)?;
    let store = Arc::clone(&tg.store);
    blocking(tg, move || {
        store.complete_upload(&bucket, &object, &id, &parts)
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// The part numbers of an `mpt-complete` value.
fn part_numbers(value: &Value) -> Result<Vec<u32>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "mpt-complete: the value must be a list of {\"part-number\": n, \"etag\": \"...\"}",
        )
    };
    let parts = value.as_array().ok_or_else(bad)?;
    parts
        .iter()
        .map(|p| {
            p.get("part-number")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// `PUT ...?uploadId=<id>&partNumber=<n>`: one part.
pub(super) async fn put_part(
    tg: &Target,
    bucket: String,
    object: String,
    id: String,
    number: Option<&String>,
    body: Body,
) -> Result<Response, ApiError> {
    let number: u32 = number.and_then(|n| n.parse().ok()).ok_or_else(|| {
        ApiError::bad_request("a part of a multipart upload needs partNumber (1..=10000)")
    })?;
    let store = Arc::clone(&tg.store);
    with_body(tg, body, move |mut chunks| {
        let mut part = store.upload_part(&bucket, &object, &id, number)?;
        while let Some(bytes) = chunks.next()? {
            part.write(&bytes)?;
        }
        part.finish()
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// `DELETE ...?uploadId=<id>` (action `mpt-abort`, or none): the upload's parts removed.
pub(super) async fn abort(
    tg: &Target,
    bucket: String,
    object: String,
    id: String,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let msg = api::action(body)?.unwrap_or_default();
    if !matches!(msg.action.as_str(), "" | "mpt-abort") {
        return Err(ApiError::bad_request(format!(
            "DELETE with uploadId aborts the upload: action {:?} is not mpt-abort",
            msg.action
        )));
    }
    let store = Arc::clone(&tg.store);
    blocking(tg, move || store.abort_upload(&bucket, &object, &id)).await?;
    Ok(StatusCode::OK.into_response())
}

/// Removes the uploads nothing touched for `max_age`, checking every tenth of it (between
/// once a second and once a minute). Runs for the target's life.
pub(super) async fn clean_abandoned(tg: Tg, max_age: Duration) {
    let period = (max_age / 10).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let store = Arc::clone(&tg.store);
        match blocking(&tg, move || store.clean_uploads(max_age)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(uploads = n, ?max_age, "abandoned multipart uploads removed"),
            Err(e) => tracing::warn!(error = %e.message, "cleaning abandoned multipart uploads"),
        }
    }
}
