//! Target ETL: running exactly the ETLs the metadata says, inline transforms (GET with
//! `etl_name`, copy with `object_to`), and the per-target views the gateway aggregates.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use bytes::Bytes;
use lode_etl::{
    BoxFuture, EtlState, Input, ModuleFetch, ModuleRef, ObjError, Output, Pipeline, Wanted,
};
use serde_json::{json, Value};

use super::deliver::deliver;
use super::objects::blocking;
use super::stream::ChannelWriter;
use super::{Target, Tg};
use crate::api::QueryMap;
use crate::error::ApiError;

/// Output chunks in flight between a transform and the response body.
const OUT_DEPTH: usize = 8;

/// Runs exactly the ETLs the newest metadata marks to run (the lifecycle is
/// [`lode_etl::Registry::reconcile`]'s), aborting the jobs of those it stops.
pub(super) async fn reconcile(tg: &Target) {
    let Some(meta) = tg.meta() else {
        return;
    };
    // Targets on this machine's loopback: a transformer in its own network namespace is given
    // a way to each (direct put).
    let peers: Vec<u16> = meta
        .smap
        .tmap
        .values()
        .filter(|t| t.public_net.node_ip_addr == "127.0.0.1")
        .filter_map(|t| t.public_net.daemon_port.parse().ok())
        .collect();
    let wanted = meta
        .etl
        .etls
        .iter()
        .filter(|(_, e)| e.stage.runs())
        .map(|(name, e)| {
            let want = Wanted {
                xid: e.xid.clone(),
                init: e.init.clone(),
                module: e.wasm.clone(),
                target_url: format!("{}/v1/etl/_object/{name}/{}", tg.me.url(), e.secret),
                peers: peers.clone(),
            };
            (name.clone(), want)
        })
        .collect();
    let fetch = GatewayModules {
        http: &tg.http,
        gateway_url: &tg.gateway_url,
    };
    for name in tg.etl.reconcile(wanted, &fetch).await {
        tg.jobs.abort_using(&name);
    }
}

/// Modules this target does not have yet, from the gateway.
struct GatewayModules<'a> {
    http: &'a reqwest::Client,
    gateway_url: &'a str,
}

impl ModuleFetch for GatewayModules<'_> {
    fn fetch<'a>(&'a self, module: &'a ModuleRef) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        Box::pin(async move {
            let path = crate::api::PATH_MODULE.replace("{sha256}", &module.sha256);
            let url = format!("{}{path}", self.gateway_url);
            let fail = |e: reqwest::Error| format!("cannot fetch module {}: {e}", module.sha256);
            let resp = self.http.get(url).send().await.map_err(fail)?;
            let resp = resp.error_for_status().map_err(fail)?;
            Ok(resp.bytes().await.map_err(fail)?.to_vec())
        })
    }
}

/// The pipeline `etl_name` + `etl_pipeline` of a request, or AIS's 404 for an ETL not running.
pub(super) fn pipeline(
    tg: &Target,
    name: &str,
    rest: Option<&String>,
) -> Result<Pipeline, ApiError> {
    let rest: Vec<String> = rest
        .map(|r| {
            r.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    tg.etl
        .pipeline(name, &rest)
        .map_err(|e| ApiError::from_etl(&tg.name, &tg.gateway_url, e))
}

/// The ETL `name` running on this target, or AIS's 404.
fn running(tg: &Target, name: &str) -> Result<Arc<lode_etl::Etl>, ApiError> {
    tg.etl
        .get(name)
        .ok_or_else(|| ApiError::etl_not_found(&tg.name, name))
}

/// Runs `bucket/object` through `pipeline` into memory, recording a failure as an inline
/// object error of the first ETL.
async fn transform_local(
    tg: &Target,
    pipeline: &Pipeline,
    bucket: &str,
    object: &str,
    args: &str,
) -> Result<Vec<u8>, ApiError> {
    let store = Arc::clone(&tg.store);
    let (b, o) = (bucket.to_owned(), object.to_owned());
    let fqn = blocking(tg, move || store.fqn(&b, &o)).await?;
    match pipeline
        .run(
            &format!("{bucket}/{object}"),
            args,
            Input::File(fqn),
            Output::Vec,
        )
        .await
    {
        Ok(done) => Ok(done.output.unwrap_or_default()),
        Err(e) => {
            let err = ApiError::from_etl(&tg.name, &tg.gateway_url, e);
            pipeline.first().record_obj_error(ObjError {
                obj_name: format!("ais://{bucket}/{object}"),
                msg: err.message.clone(),
                ecode: err.status.as_u16(),
            });
            Err(err)
        }
    }
}

/// `GET /v1/objects/<b>/<o>?etl_name=..[&etl_args=..][&etl_pipeline=..]` on the owner: the
/// output streams into the response body as the last stage produces it.
pub(super) async fn inline_get(
    tg: &Target,
    bucket: &str,
    object: &str,
    q: &QueryMap,
    name: &str,
    member: Option<Bytes>,
) -> Result<Response, ApiError> {
    let pipeline = pipeline(tg, name, q.get("etl_pipeline"))?;
    let args = q.get("etl_args").cloned().unwrap_or_default();
    let store = Arc::clone(&tg.store);
    let (b, o) = (bucket.to_owned(), object.to_owned());
    let fqn = blocking(tg, move || store.fqn(&b, &o)).await?;
    let uname = lode_wire::uname(bucket, object);
    if let Some(location) = pipeline.first().redirect(&uname, &fqn, &args) {
        if member.is_some() {
            return Err(ApiError::bad_request(format!(
                "{}: ETL {name} (hpull://) reads whole objects itself; it cannot transform a shard member (archpath)",
                tg.name
            )));
        }
        if pipeline.stages().len() > 1 {
            return Err(ApiError::bad_request(format!(
                "{}: ETL {name} (hpull://) cannot start an inline pipeline",
                tg.name
            )));
        }
        // hpull: the client reads the transformed object from the transformer itself.
        let location = HeaderValue::from_str(&location)
            .map_err(|e| ApiError::internal(format!("{}: redirect: {e}", tg.name)))?;
        return Ok((
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response());
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(OUT_DEPTH);
    let writer = Box::new(ChannelWriter::new(tx));
    let task = {
        let (pipeline, uname) = (pipeline.clone(), format!("{bucket}/{object}"));
        let input = member.map_or(Input::File(fqn), Input::Bytes);
        tokio::spawn(async move {
            pipeline
                .run(&uname, &args, input, Output::Writer(writer))
                .await
        })
    };
    let failed = |e: lode_etl::EtlError| {
        let err = ApiError::from_etl(&tg.name, &tg.gateway_url, e);
        pipeline.first().record_obj_error(ObjError {
            obj_name: format!("ais://{bucket}/{object}"),
            msg: err.message.clone(),
            ecode: err.status.as_u16(),
        });
        err
    };
    let joined = |r: Result<_, tokio::task::JoinError>| {
        r.unwrap_or_else(|e| Err(lode_etl::EtlError::Host(format!("transform task: {e}"))))
    };
    let Some(first) = rx.recv().await else {
        // No output at all: the transform is over, with an empty result or an error.
        joined(task.await).map_err(failed)?;
        let headers = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )];
        return Ok((StatusCode::OK, headers, Body::empty()).into_response());
    };
    let (etl, obj_name) = (
        Arc::clone(pipeline.first()),
        format!("ais://{bucket}/{object}"),
    );
    let (node, gw) = (tg.name.clone(), tg.gateway_url.clone());
    let state = (Some(first), rx, Some(task));
    let body = futures_util::stream::unfold(state, move |(first, mut rx, task)| {
        let (etl, obj_name, node, gw) =
            (Arc::clone(&etl), obj_name.clone(), node.clone(), gw.clone());
        async move {
            if let Some(chunk) = first {
                return Some((Ok(chunk), (None, rx, task)));
            }
            if let Some(chunk) = rx.recv().await {
                return Some((Ok(chunk), (None, rx, task)));
            }
            let err = match joined(task?.await) {
                Ok(_) => return None,
                Err(e) => ApiError::from_etl(&node, &gw, e),
            };
            etl.record_obj_error(ObjError {
                obj_name,
                msg: err.message.clone(),
                ecode: err.status.as_u16(),
            });
            Some((Err(std::io::Error::other(err.message)), (None, rx, None)))
        }
    });
    let headers = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    )];
    Ok((StatusCode::OK, headers, Body::from_stream(body)).into_response())
}

/// `PUT /v1/objects/<b>/<o>?object_to=ais/@#/<dst>/<name>&etl_name=..`: one object copied
/// through the ETL to its destination's target.
pub(super) async fn copy(
    tg: &Target,
    bucket: &str,
    object: &str,
    q: &QueryMap,
    to: &str,
) -> Result<Response, ApiError> {
    let (dst_bucket, dst_name) = parse_uname(to)?;
    if (dst_bucket.as_str(), dst_name.as_str()) == (bucket, object) {
        return Err(ApiError::bad_request(format!(
            "cannot copy ais://{bucket}/{object} onto itself"
        )));
    }
    let (out, custom) = match q.get("etl_name").filter(|n| !n.is_empty()) {
        Some(name) => {
            let pipeline = pipeline(tg, name, q.get("etl_pipeline"))?;
            let args = q.get("etl_args").map(String::as_str).unwrap_or_default();
            let out = transform_local(tg, &pipeline, bucket, object, args).await?;
            (Bytes::from(out), BTreeMap::new())
        }
        None if q.contains_key("etl_pipeline") || q.contains_key("etl_args") => {
            return Err(ApiError::bad_request(
                "etl_pipeline and etl_args need etl_name",
            ))
        }
        // A plain copy: the source's bytes and custom metadata as they are.
        None => {
            let store = Arc::clone(&tg.store);
            let (b, o) = (bucket.to_owned(), object.to_owned());
            blocking(tg, move || {
                let (file, meta) = store.open_object(&b, &o)?;
                Ok((super::mapped::load(&file, meta.size)?, meta.custom))
            })
            .await?
        }
    };
    deliver(tg, &dst_bucket, &dst_name, out, custom).await?;
    Ok(StatusCode::OK.into_response())
}

/// `ais/@#/bucket/name` (or `ais://bucket/name`) -> (bucket, name).
pub(crate) fn parse_uname(uname: &str) -> Result<(String, String), ApiError> {
    // A bare `bucket/object` is accepted too.
    let bare = || {
        uname
            .split_once('/')
            .filter(|(b, o)| !b.is_empty() && !o.is_empty())
    };
    match lode_wire::split_uname(uname).or_else(bare) {
        Some((b, o)) => Ok((b.to_owned(), o.to_owned())),
        None => Err(ApiError::bad_request(format!(
            "invalid object_to {uname:?}: expected ais/@#/<bucket>/<object>"
        ))),
    }
}

/// `GET /v1/etl` (intra-cluster): this target's ETLs with their counters.
pub(super) async fn list(State(tg): State<Tg>) -> Json<Value> {
    let etls: Vec<Value> = tg
        .etl
        .list()
        .iter()
        .map(|e| json!({"name": e.name(), "xid": e.xid(), "workers": e.workers(), "stats": e.stats()}))
        .collect();
    Json(Value::Array(etls))
}

/// `GET /v1/etl/<name>?uuid=` (intra-cluster): inline errors, or those of job `uuid`, and how
/// a container transformer is reached here (`network`, absent for Wasm).
pub(super) async fn details(
    State(tg): State<Tg>,
    Path(name): Path<String>,
    Query(q): Query<QueryMap>,
) -> Json<Value> {
    let etl = tg.etl.get(&name);
    let errors = match q.get("uuid").filter(|u| !u.is_empty()) {
        Some(xid) => tg.jobs.errors(xid),
        None => etl.as_ref().map(|e| e.obj_errors()).unwrap_or_default(),
    };
    let network = etl.and_then(|e| e.network());
    Json(json!({"obj_errors": errors, "network": network}))
}

/// `GET /v1/etl/<name>/logs`: `[{"target_id", "logs": <base64>}]`.
pub(super) async fn logs(
    State(tg): State<Tg>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let etl = running(&tg, &name)?;
    let logs = base64::engine::general_purpose::STANDARD.encode(etl.logs());
    Ok(Json(json!([{"target_id": tg.id, "logs": logs}])))
}

/// `GET /v1/etl/<name>/logs/<tid>`: the same, this target being `<tid>`.
pub(super) async fn logs_of(
    State(tg): State<Tg>,
    Path((name, _tid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    logs(State(tg), Path(name)).await
}

/// `GET /v1/etl/<name>/health`: `[{"target_id", "health_status"}]`.
pub(super) async fn health(State(tg): State<Tg>, Path(name): Path<String>) -> Json<Value> {
    let status = match tg.etl.state(&name) {
        EtlState::Running => "Running".to_owned(),
        EtlState::Starting => "Initializing".to_owned(),
        EtlState::Failed(reason) => format!("Failed: {reason}"),
        EtlState::NotRunning => "Not running".to_owned(),
    };
    Json(json!([{"target_id": tg.id, "health_status": status}]))
}

/// `GET /v1/etl/<name>/metrics`: counters of this target.
pub(super) async fn metrics(
    State(tg): State<Tg>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let etl = running(&tg, &name)?;
    let s = etl.stats();
    Ok(Json(json!([{
        "target_id": tg.id, "cpu": 0.0, "mem": 0, "workers": etl.workers(),
        "objects": s.objects, "bytes_in": s.bytes_in, "bytes_out": s.bytes_out,
        "errors": s.errors, "latency_us_avg": s.latency_us_avg,
    }])))
}
