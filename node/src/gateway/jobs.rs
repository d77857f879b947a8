//! Gateway side of offline ETL jobs (`docs/rest-api.md` §7, §8): validate and start `etl-bck` /
//! `etl-listrange` on every target, aggregate status and snapshots, abort. A target that
//! stops answering ends the job failed, never successful with objects missing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};

use super::fanout::CallError;
use super::{Gateway, Gw};
use crate::api::{self, ActionMsg, QueryMap};
use crate::bmd::BucketProps;
use crate::error::ApiError;
use crate::etlmd::Stage;
use crate::xact::{expand_template, JobSpec, Snap, ABORTED, MAX_TEMPLATE, PATH_XACTIONS};

/// A job as the gateway tracks it.
#[derive(Clone)]
struct GwJob {
    spec: JobSpec,
    targets: Vec<(String, String)>,
    /// Set once the job is over: (end ns, err, aborted).
    done: Option<(u64, String, bool)>,
}

/// The jobs this gateway started, by xid.
#[derive(Default)]
pub(super) struct GwJobs(Mutex<HashMap<String, GwJob>>);

impl GwJobs {
    fn get(&self, xid: &str) -> Option<GwJob> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(xid)
            .cloned()
    }
    fn finish(&self, xid: &str, end: u64, err: String, aborted: bool) {
        if let Some(j) = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(xid)
        {
            j.done.get_or_insert((end, err, aborted));
        }
    }
    fn ids(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

fn now_ns() -> u64 {
    lode_store::now_ns()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a job of `kind` takes `key` in its action value (AIS `apc.TCBMsg`, `apc.TCOMsg`,
/// `apc.ListRange`); any other key is refused, never ignored.
fn takes_key(kind: &str, key: &str) -> bool {
    const COPY: &[&str] = &[
        "prefix",
        "prepend",
        "ext",
        "dry_run",
        "force",
        "latest-ver",
        "synchronize",
        "coer",
        "num-workers",
    ];
    const ETL: &[&str] = &["id", "request_timeout", "pipeline"];
    const LIST: &[&str] = &["objnames", "template", "tobck"];
    const DELETE: &[&str] = &["objnames", "template", "coer", "num-workers"];
    let groups: &[&[&str]] = match kind {
        "copy-bck" => &[COPY],
        "etl-bck" => &[COPY, ETL],
        "copy-listrange" => &[COPY, LIST],
        "etl-listrange" => &[COPY, ETL, LIST],
        "delete-listrange" => &[DELETE],
        _ => &[], // move-bck: no value
    };
    groups.iter().any(|g| g.contains(&key))
}

/// `POST /v1/buckets/<src>` with `etl-bck` / `etl-listrange` / `copy-bck` / `copy-listrange` /
/// `move-bck` (a rename: a copy to a new bucket, then the source removed), or `DELETE` with
/// `delete-listrange`: starts the job on every target, answers its id.
pub(super) async fn start(
    gw: &Gw,
    src: &str,
    q: &QueryMap,
    msg: ActionMsg,
) -> Result<Response, ApiError> {
    let kind = msg.action.as_str();
    let v = &msg.value;
    if let Some(obj) = v.as_object() {
        if let Some(key) = obj.keys().find(|k| !takes_key(kind, k)) {
            return Err(ApiError::bad_request(format!(
                "{}: {kind}: unsupported key {key:?} in the action value",
                gw.name
            )));
        }
    }
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    for remote in ["latest-ver", "synchronize"] {
        if b(remote) {
            return Err(ApiError::bad_request(format!(
                "{}: {kind}: {remote} needs a remote backend, and ais:// buckets have none",
                gw.name
            )));
        }
    }
    if kind.ends_with("-listrange") {
        match (v.get("objnames").filter(|n| n.is_array()), s("template")) {
            (Some(_), _) => {}
            (None, t) if !t.is_empty() => {
                expand_template(&t, MAX_TEMPLATE)
                    .map_err(|e| ApiError::bad_request(format!("{}: {kind}: {e}", gw.name)))?;
            }
            (None, _) => {
                return Err(ApiError::bad_request(format!(
                    "{}: {kind} needs the objects: \"objnames\" (a list) or \"template\"",
                    gw.name
                )))
            }
        }
    }
    let transforms = kind.starts_with("etl-");
    let etl = s("id");
    let pipeline = strings(v.get("pipeline").unwrap_or(&Value::Null));
    if transforms && etl.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{}: {kind} needs the ETL's name (\"id\")",
            gw.name
        )));
    }
    let meta = gw.meta();
    let etls = if transforms { Some(&etl) } else { None };
    for name in etls.into_iter().chain(&pipeline) {
        match meta.etl.etls.get(name) {
            None => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("{}: ETL {name} doesn't exist", gw.name),
                ))
            }
            Some(e) if e.stage != Stage::Running => {
                return Err(ApiError::bad_request(format!(
                    "{}: ETL {name} is not running (stage {})",
                    gw.name,
                    e.stage.as_str()
                )))
            }
            Some(_) => {}
        }
    }
    if !meta.bmd.buckets.contains_key(src) {
        return Err(ApiError::bucket_not_found(src));
    }
    let dst = match kind {
        "etl-bck" | "copy-bck" | "move-bck" => {
            let to = q.get("bck_to").cloned().unwrap_or_default();
            to.strip_prefix("ais/@#/")
                .or(to.strip_prefix("ais://"))
                .unwrap_or(&to)
                .trim_end_matches('/')
                .to_owned()
        }
        "delete-listrange" => String::new(),
        _ => v
            .get("tobck")
            .and_then(|t| t.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    };
    let dry_run = b("dry_run");
    let deletes = kind == "delete-listrange";
    let dst = if dst.is_empty() && (dry_run || deletes) {
        src.to_owned()
    } else {
        dst
    };
    api::check_bucket_name(&dst)?;
    if dst == src && !dry_run && !deletes {
        return Err(ApiError::bad_request(format!("{}: source and destination bucket ais://{src} are the same (only a dry run may do that)", gw.name)));
    }
    if kind == "move-bck" && meta.bmd.buckets.contains_key(&dst) {
        return Err(ApiError::bucket_exists(&dst));
    }
    if !dry_run && !meta.bmd.buckets.contains_key(&dst) {
        gw.update(|m| {
            m.bmd
                .buckets
                .entry(dst.clone())
                .or_insert_with(|| BucketProps {
                    bid: rand::random::<u64>() >> 1,
                    created: lode_store::now_ns(),
                });
            Ok(())
        })
        .await?;
    }
    let ext: BTreeMap<String, String> = v
        .get("ext")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let spec = JobSpec {
        xid: Alphanumeric.sample_string(&mut rand::rng(), 10),
        kind: msg.action.clone(),
        src: src.to_owned(),
        dst,
        etl,
        pipeline,
        prefix: s("prefix"),
        prepend: s("prepend"),
        ext,
        dry_run,
        coer: b("coer"),
        num_workers: v.get("num-workers").and_then(Value::as_i64).unwrap_or(0),
        objnames: v.get("objnames").filter(|n| n.is_array()).map(strings),
        template: v
            .get("template")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
    };
    let targets = meta.smap.target_urls();
    let xid = spec.xid.clone();
    gw.jobs.0.lock().unwrap_or_else(|p| p.into_inner()).insert(
        xid.clone(),
        GwJob {
            spec: spec.clone(),
            targets: targets.clone(),
            done: None,
        },
    );
    // Two steps, so that no target receives an output of a job it has not heard of.
    let path = format!("{PATH_XACTIONS}/{xid}");
    let mut results = gw
        .call_targets(&targets, Method::POST, &path, |r| r.json(&spec))
        .await;
    if results.iter().all(|(_, r)| r.is_ok()) {
        let run = format!("{path}/run");
        results = gw.call_targets(&targets, Method::POST, &run, |r| r).await;
    }
    let failure = results.into_iter().find_map(|(_, r)| match r {
        Ok(_) => None,
        Err(CallError::Status(status, text)) => Some((status, text)),
        Err(CallError::Unreachable(why)) => Some((StatusCode::INTERNAL_SERVER_ERROR, why)),
    });
    if let Some((status, text)) = failure {
        abort_all(gw, &xid, &text).await;
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        return Err(ApiError::new(status, message));
    }
    tracing::info!(%xid, kind = %spec.kind, src = %spec.src, dst = %spec.dst, etl = %spec.etl, "job started");
    Ok(xid.into_response())
}

/// Every target's snapshot: `Ok` or the reason it is missing.
async fn snaps(gw: &Gateway, job: &GwJob) -> Vec<(String, Result<Snap, String>)> {
    let path = format!("{PATH_XACTIONS}/{}", job.spec.xid);
    let answers = gw
        .call_targets(&job.targets, Method::GET, &path, |r| r)
        .await;
    let mut out = Vec::with_capacity(answers.len());
    for (tid, answer) in answers {
        let snap = match answer {
            Ok(body) => serde_json::from_slice::<Snap>(&body).ok(),
            Err(_) => None,
        };
        let snap = snap.ok_or_else(|| format!("target {tid} is unreachable"));
        out.push((tid, snap));
    }
    out
}

async fn abort_all(gw: &Gateway, xid: &str, why: &str) {
    let Some(job) = gw.jobs.get(xid) else {
        return;
    };
    gw.jobs.finish(xid, now_ns(), why.to_owned(), true);
    let path = format!("{PATH_XACTIONS}/{xid}");
    gw.call_targets(&job.targets, Method::DELETE, &path, |r| r)
        .await;
}

/// The job's status, `(end ns, err, aborted)`, finalising it when it is over.
async fn status(
    gw: &Gateway,
    xid: &str,
) -> Result<(GwJob, Vec<(String, Result<Snap, String>)>), ApiError> {
    let job = gw.jobs.get(xid).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{}: job {xid} does not exist", gw.name),
        )
    })?;
    let snaps = snaps(gw, &job).await;
    if job.done.is_none() {
        let failure = snaps.iter().find_map(|(_, s)| match s {
            Err(e) => Some(e.clone()),
            Ok(s) if !s.err.is_empty() => Some(s.err.clone()),
            Ok(_) => None,
        });
        if let Some(err) = failure {
            abort_all(gw, xid, &err).await;
        } else if snaps
            .iter()
            .all(|(_, s)| s.as_ref().is_ok_and(|s| s.is_idle))
        {
            // Every output is written: made durable together before the job says done.
            match close(gw, &job).await {
                Ok(()) => gw.jobs.finish(xid, now_ns(), String::new(), false),
                Err(err) => abort_all(gw, xid, &err).await,
            }
        }
    }
    let job = gw.jobs.get(xid).unwrap_or(job);
    Ok((job, snaps))
}

/// Ends a job whose every target is idle: its outputs made durable, then, for a bucket
/// rename (`move-bck`, a copy), the source removed.
async fn close(gw: &Gateway, job: &GwJob) -> Result<(), String> {
    sync_all(gw, job).await?;
    if job.spec.kind == "move-bck" {
        let src = &job.spec.src;
        gw.update(|m| {
            m.bmd.buckets.remove(src);
            Ok(())
        })
        .await
        .map_err(|e| format!("bucket ais://{src} copied, but not removed: {}", e.message))?;
        tracing::info!(%src, dst = %job.spec.dst, "bucket renamed");
    }
    Ok(())
}

/// The closing barrier: every target syncs its outputs of the job (written without an fsync
/// each); the first that cannot is the job's error.
async fn sync_all(gw: &Gateway, job: &GwJob) -> Result<(), String> {
    let path = format!("{PATH_XACTIONS}/{}/sync", job.spec.xid);
    let answers = gw
        .call_targets(&job.targets, Method::POST, &path, |r| r)
        .await;
    for (tid, answer) in answers {
        match answer {
            Ok(_) => {}
            Err(CallError::Status(_, text)) => {
                return Err(format!(
                    "target {tid}: sync of the job's outputs failed: {text}"
                ))
            }
            Err(CallError::Unreachable(why)) => {
                return Err(format!(
                    "target {tid}: sync of the job's outputs failed: {why}"
                ))
            }
        }
    }
    Ok(())
}

fn status_json(job: &GwJob) -> Value {
    let (end, err, aborted) = job.done.clone().unwrap_or_default();
    json!({"kind": job.spec.kind, "uuid": job.spec.xid, "err": err, "end_time": end, "aborted": aborted, "is_idle": job.done.is_some()})
}

/// The xid and kind of a query body, keys matched case-insensitively (the SDK sends `ID`).
fn query(body: &Bytes) -> (String, String) {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let get = |k: &str| {
        v.as_object()
            .and_then(|o| o.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    (get("id"), get("kind"))
}

/// `GET /v1/cluster?what=status|qryxstats|status_all|running_all`.
pub(super) async fn cluster_get(
    State(gw): State<Gw>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (xid, kind) = query(&body);
    match q.get("what").map(String::as_str).unwrap_or_default() {
        "status" => {
            if xid.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "{}: job id and kind are both empty",
                    gw.name
                )));
            }
            let (job, _) = status(&gw, &xid).await?;
            if !kind.is_empty() && kind != job.spec.kind {
                return Err(ApiError::bad_request(format!(
                    "{}: kind mismatch: job {xid} is {}, not {kind}",
                    gw.name, job.spec.kind
                )));
            }
            Ok(Json(status_json(&job)).into_response())
        }
        "qryxstats" => {
            let (job, snaps) = status(&gw, &xid).await.map_err(|_| {
                ApiError::new(StatusCode::NOT_FOUND, format!("\"{xid}\" not found"))
            })?;
            let (_, err, aborted) = job.done.clone().unwrap_or_default();
            let mut out = serde_json::Map::new();
            for (tid, snap) in snaps {
                let mut snap = snap.unwrap_or_else(|e| Snap {
                    id: xid.clone(),
                    kind: job.spec.kind.clone(),
                    start_time: lode_etl::time::ZERO_TIME.into(),
                    end_time: lode_etl::time::ZERO_TIME.into(),
                    err: e.clone(),
                    abort_err: e,
                    aborted: true,
                    is_idle: true,
                    ..Snap::default()
                });
                // A target aborted by the gateway knows only that; the job's reason is the
                // gateway's (the first failure).
                if aborted && (!snap.aborted || snap.abort_err == ABORTED) {
                    snap.aborted = true;
                    snap.abort_err.clone_from(&err);
                }
                // Idle means done, outputs durable: the gateway's verdict, not each target's.
                snap.is_idle = job.done.is_some();
                out.insert(tid, json!([snap]));
            }
            Ok(Json(Value::Object(out)).into_response())
        }
        what @ ("status_all" | "running_all") => {
            let mut statuses = Vec::new();
            for id in gw.jobs.ids() {
                if let Ok((job, _)) = status(&gw, &id).await {
                    if kind.is_empty() || kind == job.spec.kind {
                        statuses.push(job);
                    }
                }
            }
            if what == "running_all" {
                let running: Vec<String> = statuses
                    .iter()
                    .filter(|j| j.done.is_none())
                    .map(|j| format!("{}[{}]", j.spec.kind, j.spec.xid))
                    .collect();
                return Ok(Json(running).into_response());
            }
            Ok(Json(statuses.iter().map(status_json).collect::<Vec<_>>()).into_response())
        }
        other => Err(ApiError::bad_request(format!(
            "{}: unsupported what={other}",
            gw.name
        ))),
    }
}

/// `PUT /v1/cluster` with action `stop` (abort a job).
pub(super) async fn cluster_put(State(gw): State<Gw>, body: Bytes) -> Result<StatusCode, ApiError> {
    let msg = api::action(&body)?.unwrap_or_default();
    match msg.action.as_str() {
        "stop" => {
            let (xid, _) = query(&Bytes::from(msg.value.to_string()));
            if gw.jobs.get(&xid).is_none() {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("{}: job {xid} does not exist", gw.name),
                ));
            }
            abort_all(&gw, &xid, ABORTED).await;
            Ok(StatusCode::OK)
        }
        other => Err(ApiError::bad_request(format!(
            "{}: unsupported cluster action \"{other}\"",
            gw.name
        ))),
    }
}

/// Job counts for `/metrics`: (running, finished).
pub(super) fn counts(gw: &Gateway) -> (usize, usize) {
    let jobs = gw.jobs.0.lock().unwrap_or_else(|p| p.into_inner());
    let done = jobs.values().filter(|j| j.done.is_some()).count();
    (jobs.len() - done, done)
}
