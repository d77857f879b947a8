//! Gateway ETL management (`docs/rest-api.md` §5): init (validated here before anything is stored), list,
//! details, stop, start, delete, and the per-target views (logs, health, metrics) gathered
//! from every target.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use base64::Engine as _;
use bytes::Bytes;
use lode_etl::{InitMsg, ModuleRef, ModuleSource, ModuleStore};
use serde_json::{json, Value};

use super::{Gateway, Gw};
use crate::api::QueryMap;
use crate::error::ApiError;
use crate::etlmd::{new_xid, EtlEntry, Stage};

/// How often init and start poll the targets' health while a container ETL comes up.
const HEALTH_POLL: Duration = Duration::from_millis(200);

/// `PUT /v1/etl`: validate the message and the module, then have every target load it.
pub(super) async fn init(State(gw): State<Gw>, body: Bytes) -> Result<String, ApiError> {
    let msg =
        InitMsg::parse(&body).map_err(|e| ApiError::bad_request(format!("{}: {e}", gw.name)))?;
    let (name, init_timeout) = (msg.name.clone(), msg.init_timeout);
    if gw.meta().etl.etls.contains_key(&name) {
        return Err(etl_exists(&gw, &name));
    }
    let wasm = match &msg.module {
        ModuleSource::Inline(bytes) => Some(bytes.clone()),
        ModuleSource::Object { bucket, object } => Some(read_module(&gw, bucket, object).await?),
        // Validated by the parse; the targets start the transformers.
        ModuleSource::Container(_) => None,
    };
    if let Some(wasm) = &wasm {
        let registry = Arc::clone(&gw.etl);
        let wasm = wasm.clone();
        tokio::task::spawn_blocking(move || registry.check(&msg, &wasm))
            .await
            .map_err(|e| ApiError::internal(format!("{}: validation task: {e}", gw.name)))?
            .map_err(|e| ApiError::from_etl(&gw.name, "", e))?;
    }
    let stored = InitMsg::stored_form(&body)
        .map_err(|e| ApiError::bad_request(format!("{}: {e}", gw.name)))?;
    let module = match &wasm {
        Some(wasm) => Some(keep_module(&gw, wasm).await?),
        None => None,
    };
    let xid = new_xid();
    let entry = EtlEntry::new(stored, module, xid.clone());
    gw.update(|meta| {
        if meta.etl.etls.contains_key(&name) {
            return Err(etl_exists(&gw, &name));
        }
        meta.etl.etls.insert(name.clone(), entry);
        Ok(())
    })
    .await?;
    bring_up(&gw, &name, init_timeout).await?;
    tracing::info!(etl = %name, %xid, "ETL initialized");
    Ok(xid)
}

/// After a push that starts `name`: Running when every target has it; otherwise removed again
/// (nothing left behind) and the failure reported.
async fn bring_up(gw: &Gateway, name: &str, init_timeout: Duration) -> Result<(), ApiError> {
    let failed = await_running(gw, name, init_timeout).await;
    if failed.is_empty() {
        return gw
            .update(|meta| set_stage(meta, name, Stage::Running))
            .await;
    }
    gw.update(|meta| {
        meta.etl.etls.remove(name);
        Ok(())
    })
    .await?;
    // A 4xx: the SDK re-sends a PUT answered 5xx for ~90 s, and a start failure (a command that
    // does not run, a module a target refuses) is deterministic.
    Err(ApiError::bad_request(format!(
        "{}: ETL {name} failed to start on {}",
        gw.name,
        failed.join(", ")
    )))
}

/// Polls every target's health of `name` until all say Running (empty answer), one fails, or
/// `timeout` passes (container ETLs start in the background: "Initializing"). Returns each
/// target that is not running, with its status.
async fn await_running(gw: &Gateway, name: &str, timeout: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let health = gw.fanout(&format!("/v1/etl/{name}/health")).await;
        let status = |r: &Result<Value, String>| match r {
            Ok(v) => v[0]["health_status"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned(),
            Err(e) => e.clone(),
        };
        let pending: Vec<(String, String)> = health
            .iter()
            .map(|(tid, r)| (tid.clone(), status(r)))
            .filter(|(_, s)| s != "Running")
            .collect();
        let waiting = !pending.is_empty() && pending.iter().all(|(_, s)| s == "Initializing");
        let expired = tokio::time::Instant::now() >= deadline;
        if !waiting || expired {
            return pending
                .into_iter()
                .map(|(tid, s)| match s.as_str() {
                    "Initializing" if expired => format!("{tid} (not ready within {timeout:?})"),
                    "Initializing" => format!("{tid} (still initializing)"),
                    _ => format!("{tid} ({s})"),
                })
                .collect();
        }
        tokio::time::sleep(HEALTH_POLL).await;
    }
}

fn set_stage(meta: &mut crate::bmd::ClusterMeta, name: &str, stage: Stage) -> Result<(), ApiError> {
    if let Some(e) = meta.etl.etls.get_mut(name) {
        e.stage = stage;
    }
    Ok(())
}

fn etl_exists(gw: &Gateway, name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!("{}: etl job {name} already exists", gw.name),
    )
}

/// Keeps `wasm` in the gateway's module store; the metadata names it by the answer.
async fn keep_module(gw: &Gateway, wasm: &[u8]) -> Result<ModuleRef, ApiError> {
    let store = modules(gw)?.clone();
    let wasm = wasm.to_vec();
    tokio::task::spawn_blocking(move || store.put(&wasm))
        .await
        .map_err(|e| ApiError::internal(format!("{}: module store task: {e}", gw.name)))?
        .map_err(|e| ApiError::internal(format!("{}: cannot keep the module: {e}", gw.name)))
}

fn modules(gw: &Gateway) -> Result<&ModuleStore, ApiError> {
    gw.etl
        .modules()
        .ok_or_else(|| ApiError::internal(format!("{}: no module store", gw.name)))
}

/// `GET /v1/etl/_module/<sha256>` (targets only): the bytes of a module the metadata names.
pub(super) async fn module(
    State(gw): State<Gw>,
    Path(sha256): Path<String>,
) -> Result<Vec<u8>, ApiError> {
    let store = modules(&gw)?.clone();
    let size = gw
        .meta()
        .etl
        .etls
        .values()
        .filter_map(|e| e.wasm.as_ref())
        .find(|m| m.sha256 == sha256)
        .map(|m| m.size);
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{}: no ETL module {sha256}", gw.name),
        )
    };
    let module = ModuleRef {
        sha256: sha256.clone(),
        size: size.ok_or_else(not_found)?,
    };
    tokio::task::spawn_blocking(move || store.get(&module))
        .await
        .map_err(|e| ApiError::internal(format!("{}: module store task: {e}", gw.name)))?
        .ok_or_else(not_found)
}

/// The module of `image: ais://bucket/object`, read from its target.
async fn read_module(gw: &Gateway, bucket: &str, object: &str) -> Result<Vec<u8>, ApiError> {
    let missing = || {
        ApiError::bad_request(format!(
            "{}: image ais://{bucket}/{object}: ais://{bucket}/{object} does not exist",
            gw.name
        ))
    };
    let meta = gw.meta();
    if !meta.bmd.buckets.contains_key(bucket) {
        return Err(missing());
    }
    let owner = meta.smap.owner(bucket, object).ok_or_else(missing)?;
    let url = format!(
        "{}/v1/objects/{bucket}/{object}?provider=ais&pid={}",
        owner.url(),
        gw.id
    );
    let resp = gw.http.get(url).send().await.map_err(|e| {
        ApiError::internal(format!("{}: read ais://{bucket}/{object}: {e}", gw.name))
    })?;
    if resp.status() == StatusCode::NOT_FOUND {
        return Err(missing());
    }
    let resp = resp.error_for_status().map_err(|e| {
        ApiError::bad_request(format!("{}: image ais://{bucket}/{object}: {e}", gw.name))
    })?;
    let bytes = resp.bytes().await.map_err(|e| {
        ApiError::internal(format!("{}: read ais://{bucket}/{object}: {e}", gw.name))
    })?;
    Ok(bytes.to_vec())
}

/// `GET /v1/etl`: every ETL with its stage and counters summed over the targets.
pub(super) async fn list(State(gw): State<Gw>) -> Json<Value> {
    let meta = gw.meta();
    let per_target = gw.fanout("/v1/etl").await;
    let out: Vec<Value> = meta
        .etl
        .etls
        .iter()
        .map(|(name, e)| {
            let (mut objs, mut bin, mut bout) = (0u64, 0u64, 0u64);
            for v in per_target.iter().filter_map(|(_, r)| r.as_ref().ok()).filter_map(Value::as_array).flatten() {
                if v["name"] == name.as_str() && v["xid"] == e.xid.as_str() {
                    objs += v["stats"]["objects"].as_u64().unwrap_or(0);
                    bin += v["stats"]["bytes_in"].as_u64().unwrap_or(0);
                    bout += v["stats"]["bytes_out"].as_u64().unwrap_or(0);
                }
            }
            json!({"id": name, "stage": e.stage.as_str(), "xaction_id": e.xid, "obj_count": objs, "in_bytes": bin, "out_bytes": bout})
        })
        .collect();
    Json(Value::Array(out))
}

fn entry(gw: &Gateway, name: &str) -> Result<EtlEntry, ApiError> {
    gw.meta()
        .etl
        .etls
        .get(name)
        .cloned()
        .ok_or_else(|| ApiError::etl_not_found(&gw.name, name))
}

/// `GET /v1/etl/<name>?uuid=`: the init message echoed and the object errors (inline, or of
/// job `uuid`) from every target.
pub(super) async fn details(
    State(gw): State<Gw>,
    Path(name): Path<String>,
    Query(q): Query<QueryMap>,
) -> Result<Json<Value>, ApiError> {
    let e = entry(&gw, &name)?;
    let mut init_msg = e
        .msg()
        .map(|m| m.echo)
        .map_err(|err| ApiError::internal(format!("{}: {err}", gw.name)))?;
    // Wasm init code is echoed with its `code`, as it was sent.
    if init_msg["runtime"] == "wasm32" {
        if let Some(bytes) = e.wasm.as_ref().and_then(|m| modules(&gw).ok()?.get(m)) {
            init_msg["code"] = base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into();
        }
    }
    let uuid = q.get("uuid").cloned().unwrap_or_default();
    let per_target: Vec<(String, Value)> = gw
        .fanout(&format!("/v1/etl/{name}?uuid={uuid}"))
        .await
        .into_iter()
        .filter_map(|(id, r)| Some((id, r.ok()?)))
        .collect();
    let errors: Vec<Value> = per_target
        .iter()
        .filter_map(|(_, v)| v.get("obj_errors").and_then(Value::as_array).cloned())
        .flatten()
        .collect();
    let mut details = json!({"init_msg": init_msg, "obj_errors": errors});
    // lode's addition: how each target's container transformer is reached.
    let transformers: Vec<Value> = per_target
        .iter()
        .filter_map(|(id, v)| {
            Some(json!({"target_id": id, "network": v.get("network")?.as_str()?}))
        })
        .collect();
    if !transformers.is_empty() {
        details["transformers"] = transformers.into();
    }
    Ok(Json(details))
}

/// `POST /v1/etl/<name>/stop`: stage Aborted; targets drop it (and abort jobs using it).
pub(super) async fn stop(
    State(gw): State<Gw>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    entry(&gw, &name)?;
    gw.update(|meta| set_stage(meta, &name, Stage::Aborted))
        .await?;
    Ok(StatusCode::OK)
}

/// `POST /v1/etl/<name>/start`: only from Aborted; a new xid.
pub(super) async fn start(
    State(gw): State<Gw>,
    Path(name): Path<String>,
) -> Result<String, ApiError> {
    let e = entry(&gw, &name)?;
    if e.stage != Stage::Aborted {
        return Err(ApiError::bad_request(format!(
            "{}: can't start ETL {name} during {} stage",
            gw.name,
            e.stage.as_str()
        )));
    }
    let xid = new_xid();
    gw.update(|meta| {
        if let Some(e) = meta.etl.etls.get_mut(&name) {
            e.stage = Stage::Initializing;
            e.xid = xid.clone();
        }
        Ok(())
    })
    .await?;
    let init_timeout = e
        .msg()
        .map_or(lode_etl::DEFAULT_INIT_TIMEOUT, |m| m.init_timeout);
    let failed = await_running(&gw, &name, init_timeout).await;
    let stage = if failed.is_empty() {
        Stage::Running
    } else {
        Stage::Aborted
    };
    gw.update(|meta| set_stage(meta, &name, stage)).await?;
    if !failed.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{}: ETL {name} failed to start on {}",
            gw.name,
            failed.join(", ")
        )));
    }
    Ok(xid)
}

/// `DELETE /v1/etl/<name>`: stop and remove everywhere.
pub(super) async fn delete(
    State(gw): State<Gw>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    gw.update(|meta| match meta.etl.etls.remove(&name) {
        Some(_) => Ok(()),
        None => Err(ApiError::etl_not_found(&gw.name, &name)),
    })
    .await?;
    Ok(StatusCode::OK)
}

/// `GET /v1/etl/<name>/logs`: every target's log.
pub(super) async fn logs(
    State(gw): State<Gw>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    gather(&gw, &name, "logs", None, json!({"logs": ""})).await
}

/// `GET /v1/etl/<name>/logs/<tid>`: one target's log.
pub(super) async fn logs_of(
    State(gw): State<Gw>,
    Path((name, tid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    entry(&gw, &name)?;
    if !gw.meta().smap.tmap.contains_key(&tid) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{}: target {tid} does not exist", gw.name),
        ));
    }
    gather(&gw, &name, "logs", Some(&tid), json!({"logs": ""})).await
}

/// `GET /v1/etl/<name>/health`.
pub(super) async fn health(
    State(gw): State<Gw>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    gather(
        &gw,
        &name,
        "health",
        None,
        json!({"health_status": "Unreachable"}),
    )
    .await
}

/// `GET /v1/etl/<name>/metrics`, sorted by target id.
pub(super) async fn metrics(
    State(gw): State<Gw>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    gather(&gw, &name, "metrics", None, json!({"cpu": 0.0, "mem": 0})).await
}

/// `GET /v1/etl/<name>/<what>` of an existing ETL on every target (or one): the one-element
/// arrays they answer, concatenated in target id order; a target that does not answer gets
/// `{"target_id": <its id>}` plus the fields of `fallback`.
async fn gather(
    gw: &Gateway,
    name: &str,
    what: &str,
    only: Option<&str>,
    fallback: Value,
) -> Result<Json<Value>, ApiError> {
    entry(gw, name)?;
    let fallback = |tid: &str| {
        let mut item = serde_json::Map::from_iter([("target_id".to_owned(), json!(tid))]);
        if let Value::Object(fields) = &fallback {
            item.extend(fields.clone());
        }
        Value::Object(item)
    };
    let answers = gw.fanout(&format!("/v1/etl/{name}/{what}")).await;
    let out: Vec<Value> = answers
        .into_iter()
        .filter(|(tid, _)| only.is_none_or(|o| o == tid))
        .flat_map(
            |(tid, r)| match r.ok().and_then(|v| v.as_array().cloned()) {
                Some(items) => items,
                None => vec![fallback(&tid)],
            },
        )
        .collect();
    Ok(Json(Value::Array(out)))
}

impl Gateway {
    /// `GET <target><path>` on every target, in target id order: each one's JSON answer, or
    /// why there is none.
    pub(super) async fn fanout(&self, path: &str) -> Vec<(String, Result<Value, String>)> {
        let targets = self.meta().smap.target_urls();
        let answers = self.call_targets(&targets, Method::GET, path, |r| r).await;
        let mut out = Vec::with_capacity(answers.len());
        for (tid, answer) in answers {
            let value = match answer {
                Ok(body) => serde_json::from_slice::<Value>(&body).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            out.push((tid, value));
        }
        out
    }
}
