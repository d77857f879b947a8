//! Gateway cluster endpoints: health, cluster map, target join.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::Gw;
use crate::api::QueryMap;
use crate::bmd::ClusterMeta;
use crate::error::ApiError;
use lode_wire::Snode;

/// `GET /v1/health`: the gateway is ready once it serves.
pub(super) async fn health() -> StatusCode {
    StatusCode::OK
}

/// `GET /v1/daemon?what=smap|bmd`.
pub(super) async fn daemon(
    State(gw): State<Gw>,
    Query(q): Query<QueryMap>,
) -> Result<Response, ApiError> {
    let meta = gw.meta();
    match q.get("what").map(String::as_str) {
        Some("smap") => Ok(Json(&meta.smap).into_response()),
        Some("bmd") => Ok(Json(&meta.bmd).into_response()),
        other => Err(ApiError::bad_request(format!(
            "{}: unsupported what={}",
            gw.name,
            other.unwrap_or("")
        ))),
    }
}

/// `POST /v1/cluster/join`: a target (re)joins with its node info; answered with the metadata.
pub(super) async fn join(
    State(gw): State<Gw>,
    Json(node): Json<Snode>,
) -> Result<Json<ClusterMeta>, ApiError> {
    if node.daemon_type != "target" || node.daemon_id.is_empty() {
        return Err(ApiError::bad_request(
            "only targets join, with a non-empty id",
        ));
    }
    let port: u16 = node.public_net.daemon_port.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "invalid daemon_port {:?}",
            node.public_net.daemon_port
        ))
    })?;
    let node = Snode::new(
        &node.daemon_id,
        "target",
        &node.public_net.node_ip_addr,
        port,
    );
    tracing::info!(target = %node.daemon_id, url = %node.url(), "target joins");
    gw.update(|meta| {
        meta.smap.tmap.insert(node.daemon_id.clone(), node);
        Ok(())
    })
    .await?;
    Ok(Json((*gw.meta()).clone()))
}
