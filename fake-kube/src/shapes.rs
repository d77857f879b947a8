//! The API's JSON shapes the fake answers with: `Status` objects for errors, `PodList`, and
//! the pod statuses its kubelet reports.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// A `Status` failure, as the API server sends it with a 4xx/5xx.
pub(crate) fn status(code: StatusCode, reason: &str, message: String, name: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason,
        "details": {"name": name, "kind": "pods"}, "code": code.as_u16(),
    });
    (code, Json(body)).into_response()
}

pub(crate) fn not_found(name: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("pods {name:?} not found"),
        name,
    )
}

pub(crate) fn pod_list(items: Vec<Value>) -> Value {
    json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items})
}

/// A pod whose container is being started.
pub(crate) fn pending(container: &str, image: &str) -> Value {
    json!({"phase": "Pending", "conditions": [ready_condition(false)],
        "containerStatuses": [{"name": container, "image": image, "imageID": "", "ready": false,
            "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]})
}

/// A pod whose server answers its readiness probe.
pub(crate) fn running(container: &str, image: &str) -> Value {
    json!({"phase": "Running", "podIP": "127.0.0.1", "hostIP": "127.0.0.1",
        "podIPs": [{"ip": "127.0.0.1"}], "conditions": [ready_condition(true)],
        "containerStatuses": [{"name": container, "image": image, "imageID": "", "ready": true,
            "restartCount": 0, "started": true, "state": {"running": {}}}]})
}

/// A pod whose container could not start or exited before it was ready.
pub(crate) fn failed(container: &str, image: &str, exit_code: i32, message: &str) -> Value {
    json!({"phase": "Failed", "conditions": [ready_condition(false)],
        "containerStatuses": [{"name": container, "image": image, "imageID": "", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": exit_code, "reason": "Error",
                "message": message}}}]})
}

fn ready_condition(ready: bool) -> Value {
    if ready {
        json!({"type": "Ready", "status": "True"})
    } else {
        json!({"type": "Ready", "status": "False", "reason": "ContainersNotReady"})
    }
}
