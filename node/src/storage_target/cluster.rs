//! Target cluster membership: joining, receiving metadata, health.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{Target, Tg, IDENTITY_FILE};
use crate::api::{QueryMap, PATH_JOIN};
use crate::bmd::{Bmd, ClusterMeta};
use crate::error::{ApiError, NodeError};
use crate::persist;

/// Retry period while the gateway is not answering.
const JOIN_RETRY: Duration = Duration::from_millis(250);

/// `GET /v1/health`: 200 once joined, 503 before.
pub(super) async fn health(State(tg): State<Tg>) -> StatusCode {
    if tg.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// `GET /v1/daemon?what=smap`: this target's copy of the cluster map.
pub(super) async fn daemon(
    State(tg): State<Tg>,
    Query(q): Query<QueryMap>,
) -> Result<Response, ApiError> {
    let meta = tg.meta().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}: not joined yet", tg.name),
        )
    })?;
    match q.get("what").map(String::as_str) {
        Some("smap") => Ok(Json(&meta.smap).into_response()),
        Some("bmd") => Ok(Json(&meta.bmd).into_response()),
        other => Err(ApiError::bad_request(format!(
            "{}: unsupported what={}",
            tg.name,
            other.unwrap_or("")
        ))),
    }
}

/// `PUT /v1/daemon/metasync`: new metadata from the gateway.
pub(super) async fn metasync(
    State(tg): State<Tg>,
    Json(meta): Json<ClusterMeta>,
) -> Result<StatusCode, ApiError> {
    apply(&tg, meta)
        .await
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(StatusCode::OK)
}

/// Join the gateway, retrying until it answers. Returns only on a fatal error (another cluster).
pub(super) async fn join_loop(tg: Tg) -> NodeError {
    let url = format!("{}{PATH_JOIN}", tg.gateway_url);
    let mut attempt: u32 = 0;
    loop {
        let sent = tg
            .http
            .post(&url)
            .json(&tg.me)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let meta = match sent.and_then(|r| r.error_for_status()) {
            Ok(resp) => resp.json::<ClusterMeta>().await,
            Err(e) => Err(e),
        };
        match meta {
            Ok(meta) => match apply(&tg, meta).await {
                Ok(()) => {
                    tg.ready.store(true, Ordering::Release);
                    tracing::info!(id = %tg.id, "joined the cluster");
                    return std::future::pending().await;
                }
                Err(e) => return e,
            },
            Err(e) => {
                if attempt.is_multiple_of(40) {
                    tracing::warn!(error = %e, "gateway {} not answering yet", tg.gateway_url);
                }
                attempt += 1;
                tokio::time::sleep(JOIN_RETRY).await;
            }
        }
    }
}

/// Fetch the BMD from the gateway (used when a request names a bucket this copy does not know).
pub(super) async fn refresh_bmd(tg: &Target) -> Result<(), String> {
    let Some(current) = tg.meta() else {
        return Err("not joined yet".into());
    };
    let url = format!("{}/v1/daemon?what=bmd", tg.gateway_url);
    let bmd: Bmd = tg
        .http
        .get(url)
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let meta = ClusterMeta {
        smap: current.smap.clone(),
        bmd,
        etl: current.etl.clone(),
    };
    apply(tg, meta).await.map_err(|e| e.to_string())
}

/// Install newer metadata: refuse another cluster, remember the cluster uuid, drop local data
/// of buckets that no longer exist.
async fn apply(tg: &Target, meta: ClusterMeta) -> Result<(), NodeError> {
    let mut identity = tg.identity.lock().await;
    if identity.cluster_uuid.is_empty() {
        identity.cluster_uuid = meta.smap.uuid.clone();
        persist::store(&tg.data_dir.join(IDENTITY_FILE), &*identity)?;
    } else if identity.cluster_uuid != meta.smap.uuid {
        return Err(NodeError::Config(format!(
            "target {} belongs to cluster {}, the gateway runs cluster {}",
            tg.id, identity.cluster_uuid, meta.smap.uuid
        )));
    }
    let merged = {
        let mut slot = tg.meta.write().unwrap_or_else(|p| p.into_inner());
        let mut merged = meta;
        if let Some(cur) = slot.as_ref() {
            if cur.smap.version > merged.smap.version {
                merged.smap = cur.smap.clone();
            }
            if cur.bmd.version > merged.bmd.version {
                merged.bmd = cur.bmd.clone();
            }
            if cur.etl.version > merged.etl.version {
                merged.etl = cur.etl.clone();
            }
        }
        let merged = Arc::new(merged);
        *slot = Some(Arc::clone(&merged));
        merged
    };
    drop(identity);
    super::etl::reconcile(tg).await;
    let store = Arc::clone(&tg.store);
    let gone: Vec<String> = store
        .buckets()
        .into_iter()
        .filter(|b| !merged.bmd.buckets.contains_key(b))
        .collect();
    if !gone.is_empty() {
        tokio::task::spawn_blocking(move || {
            for bucket in gone {
                tracing::info!(%bucket, "removing the data of a destroyed bucket");
                if let Err(e) = store.destroy_bucket(&bucket) {
                    tracing::warn!(%bucket, error = %e, "cannot remove bucket data");
                }
            }
        })
        .await
        .map_err(|e| NodeError::Config(format!("bucket removal task: {e}")))?;
    }
    Ok(())
}
