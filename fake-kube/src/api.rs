//! The HTTP side: the five Pod endpoints (see the crate docs), over the shared [`State`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::kubelet::{self, Entry};
use crate::{shapes, State};

type St = AxState<Arc<State>>;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/api/v1/namespaces/{ns}/pods", get(list).post(create))
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}",
            get(read).delete(delete),
        )
        .route("/api/v1/namespaces/{ns}/pods/{name}/log", get(log))
        .with_state(state)
}

async fn create(
    AxState(state): St,
    Path(ns): Path<String>,
    Json(mut pod): Json<Value>,
) -> Response {
    let Some(name) = pod["metadata"]["name"].as_str().map(str::to_owned) else {
        return shapes::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "Pod is invalid: metadata.name: Required value".into(),
            "",
        );
    };
    if pod["spec"]["containers"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        return shapes::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            format!("Pod {name:?} is invalid: spec.containers: Required value"),
            &name,
        );
    }
    let key = (ns.clone(), name.clone());
    let mut pods = state.lock();
    if pods.contains_key(&key) {
        return shapes::status(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("pods {name:?} already exists"),
            &name,
        );
    }
    let uid = state.uid();
    pod["metadata"]["namespace"] = ns.into();
    pod["metadata"]["uid"] = uid.clone().into();
    pod["metadata"]["resourceVersion"] = "1".into();
    let c0 = &pod["spec"]["containers"][0];
    pod["status"] = shapes::pending(
        c0["name"].as_str().unwrap_or_default(),
        c0["image"].as_str().unwrap_or_default(),
    );
    let run = kubelet::spawn(state.clone(), key.clone(), uid, &pod);
    if let kubelet::Run::Failed(why) = &run {
        let c0 = &pod["spec"]["containers"][0];
        pod["status"] = shapes::failed(
            c0["name"].as_str().unwrap_or_default(),
            c0["image"].as_str().unwrap_or_default(),
            128,
            why,
        );
    }
    pods.insert(
        key,
        Entry {
            pod: pod.clone(),
            run,
        },
    );
    (StatusCode::CREATED, Json(pod)).into_response()
}

async fn read(AxState(state): St, Path((ns, name)): Path<(String, String)>) -> Response {
    match state.lock().get(&(ns, name.clone())) {
        Some(e) => Json(e.pod.clone()).into_response(),
        None => shapes::not_found(&name),
    }
}

async fn list(
    AxState(state): St,
    Path(ns): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut want = Vec::new();
    for term in q
        .get("labelSelector")
        .into_iter()
        .flat_map(|s| s.split(','))
    {
        match term.split_once('=') {
            Some((k, v)) if !k.ends_with('!') => want.push((
                k.trim().to_owned(),
                v.trim_start_matches('=').trim().to_owned(),
            )),
            _ => {
                return shapes::status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("the fake API server only takes key=value selectors, not {term:?}"),
                    "",
                )
            }
        }
    }
    let items = state
        .lock()
        .iter()
        .filter(|((pod_ns, _), _)| *pod_ns == ns)
        .map(|(_, e)| &e.pod)
        .filter(|pod| {
            want.iter()
                .all(|(k, v)| pod["metadata"]["labels"][k].as_str() == Some(v))
        })
        .cloned()
        .collect();
    Json(shapes::pod_list(items)).into_response()
}

async fn delete(AxState(state): St, Path((ns, name)): Path<(String, String)>) -> Response {
    let Some(entry) = state.lock().remove(&(ns, name.clone())) else {
        return shapes::not_found(&name);
    };
    let pod = entry.pod.clone();
    entry.stop().await;
    Json(pod).into_response()
}

async fn log(
    AxState(state): St,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(text) = state.lock().get(&(ns, name.clone())).map(Entry::logs) else {
        return shapes::not_found(&name);
    };
    let tail = q.get("tailLines").and_then(|n| n.parse::<usize>().ok());
    let lines: Vec<&str> = text.lines().collect();
    let keep = tail.map_or(0, |n| lines.len().saturating_sub(n));
    let mut body = lines[keep..].join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}
