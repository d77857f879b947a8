//! Bucket summary (`GET` action `summary-bck`) and bucket info (`HEAD` with `presence`), in
//! AIStore's asynchronous form the SDK polls: the first call answers **202** with a job id
//! (the body for summary, `Ais-Xaction-Id` for info); calls naming it (`uuid`) answer 202
//! until the result is ready, then 200 with it (summary: a JSON array of one `BsummResult`;
//! info: the same object in `Ais-Bucket-Summ`, beside `Ais-Bucket-Props`). A result is
//! handed out once, then forgotten. Each target counts what it stores (from its index).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};

use super::fanout::CallError;
use super::{Gateway, Gw};
use crate::api::QueryMap;
use crate::error::ApiError;
use crate::xact::bck_json;

/// Summaries being computed or not yet handed out, by id: `None` while running.
#[derive(Default)]
pub(super) struct Summaries(Mutex<HashMap<String, Option<Result<Value, String>>>>);

/// Most summaries kept waiting for their client.
const MAX_SUMMARIES: usize = 1000;

impl Summaries {
    /// Starts computing the summary of `bucket` (names under `prefix`); answers its id.
    fn start(&self, gw: &Gw, bucket: &str, prefix: &str) -> Result<String, ApiError> {
        let xid = Alphanumeric.sample_string(&mut rand::rng(), 10);
        {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() >= MAX_SUMMARIES {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "{}: {MAX_SUMMARIES} bucket summaries are waiting for their clients",
                        gw.name
                    ),
                ));
            }
            map.insert(xid.clone(), None);
        }
        let (gw, bucket, prefix, id) = (
            Gw::clone(gw),
            bucket.to_owned(),
            prefix.to_owned(),
            xid.clone(),
        );
        tokio::spawn(async move {
            let result = compute(&gw, &bucket, &prefix).await;
            if let Some(slot) = gw
                .summaries
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_mut(&id)
            {
                *slot = Some(result);
            }
        });
        Ok(xid)
    }

    /// `Ok(None)` while running; the result once (then it is forgotten).
    fn poll(&self, gw: &Gateway, xid: &str) -> Result<Option<Value>, ApiError> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let running = map.get(xid).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{}: bucket summary {xid} does not exist", gw.name),
            )
        })?;
        if running.is_none() {
            return Ok(None);
        }
        match map.remove(xid).flatten() {
            Some(Err(e)) => Err(ApiError::internal(format!(
                "{}: bucket summary {xid}: {e}",
                gw.name
            ))),
            done => Ok(done.and_then(Result::ok)),
        }
    }
}

/// Every target's counts, summed into AIS's `cmn.BsummResult`.
async fn compute(gw: &Gateway, bucket: &str, prefix: &str) -> Result<Value, String> {
    let targets = gw.meta().smap.target_urls();
    let path = format!("/v1/summary/{bucket}");
    let answers = gw
        .call_targets(&targets, Method::GET, &path, |r| {
            r.json(&json!({"prefix": prefix}))
        })
        .await;
    let (mut count, mut size, mut min, mut max, mut disks) = (0u64, 0u64, u64::MAX, 0u64, 0u64);
    for (tid, answer) in answers {
        let v: Value = match answer {
            Ok(body) => serde_json::from_slice(&body).map_err(|e| format!("target {tid}: {e}"))?,
            Err(CallError::Status(_, text)) => return Err(format!("target {tid}: {text}")),
            Err(CallError::Unreachable(why)) => return Err(format!("target {tid}: {why}")),
        };
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        if n("count") > 0 {
            min = min.min(n("min"));
            max = max.max(n("max"));
        }
        count += n("count");
        size += n("size");
        disks += n("disks"); // targets of one machine share a disk: AIS sums them too
    }
    let min = if count == 0 { 0 } else { min };
    let avg = size.checked_div(count).unwrap_or(0);
    let used_pct = size.saturating_mul(100).checked_div(disks).unwrap_or(0);
    let mut result = bck_json(bucket);
    if let Some(obj) = result.as_object_mut() {
        obj.insert(
            "ObjCount".into(),
            json!({"obj_count_present": count.to_string(), "obj_count_remote": "0"}),
        );
        obj.insert(
            "ObjSize".into(),
            json!({"obj_min_size": min, "obj_avg_size": avg, "obj_max_size": max}),
        );
        obj.insert(
            "TotalSize".into(),
            json!({
                "size_on_disk": size.to_string(), "size_all_present_objs": size.to_string(),
                "size_all_remote_objs": "0", "total_disks_size": disks.to_string(),
            }),
        );
        obj.insert("used_pct".into(), json!(used_pct));
        obj.insert("is_present".into(), json!(true));
    }
    Ok(result)
}

/// `GET /v1/buckets/<b>`, action `summary-bck`, value `{uuid, prefix, cached, present,
/// dont_add_remote}`.
pub(super) async fn summary(gw: &Gw, bucket: &str, value: &Value) -> Result<Response, ApiError> {
    const KEYS: &[&str] = &["uuid", "prefix", "cached", "present", "dont_add_remote"];
    if let Some(key) = value
        .as_object()
        .and_then(|o| o.keys().find(|k| !KEYS.contains(&k.as_str())))
    {
        return Err(ApiError::bad_request(format!(
            "{}: summary-bck: unsupported key {key:?} in the action value",
            gw.name
        )));
    }
    let s = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or_default();
    if !gw.meta().bmd.buckets.contains_key(bucket) {
        return Err(ApiError::bucket_not_found(bucket));
    }
    match s("uuid") {
        "" => {
            let xid = gw.summaries.start(gw, bucket, s("prefix"))?;
            Ok((StatusCode::ACCEPTED, xid).into_response())
        }
        xid => match gw.summaries.poll(gw, xid)? {
            None => Ok((StatusCode::ACCEPTED, xid.to_owned()).into_response()),
            Some(result) => Ok(Json(json!([result])).into_response()),
        },
    }
}

/// `HEAD /v1/buckets/<b>[/<prefix>]?presence=..&bsumm_remote=..[&uuid=..]`: the bucket's
/// properties (`headers`, already filled), and its summary by the 202 protocol.
pub(super) async fn info(
    gw: &Gw,
    bucket: &str,
    prefix: &str,
    q: &QueryMap,
    mut headers: HeaderMap,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    let header = |v: &str| HeaderValue::from_str(v).map_err(|e| ApiError::internal(e.to_string()));
    match q.get("uuid").map(String::as_str).unwrap_or_default() {
        "" => {
            let xid = gw.summaries.start(gw, bucket, prefix)?;
            headers.insert("Ais-Xaction-Id", header(&xid)?);
            Ok((StatusCode::ACCEPTED, headers))
        }
        xid => match gw.summaries.poll(gw, xid)? {
            None => Ok((StatusCode::ACCEPTED, headers)),
            Some(result) => {
                headers.insert("Ais-Bucket-Summ", header(&result.to_string())?);
                Ok((StatusCode::OK, headers))
            }
        },
    }
}
