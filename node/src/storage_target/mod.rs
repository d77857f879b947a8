//! The target role: joins the gateway, keeps a copy of the cluster metadata, stores objects.

mod archive;
mod cluster;
mod deliver;
mod etl;
mod etl_object;
mod get;
mod jobs;
mod list;
mod mapped;
mod metrics;
mod multipart;
mod objects;
mod shard_put;
mod stream;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::routing::{get, post, put};
use axum::Router;
use lode_store::{Store, StoreOptions};
use serde::{Deserialize, Serialize};

use crate::bmd::ClusterMeta;
use crate::config::TargetConfig;
use crate::error::{render_errors, ApiError, NodeError};
use crate::{persist, serve};
use lode_wire::Snode;

const IDENTITY_FILE: &str = "target.json";

/// Who this target is, kept across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Identity {
    id: String,
    /// The cluster this target joined first; it refuses to join another.
    cluster_uuid: String,
}

pub(crate) struct Target {
    id: String,
    /// Printable node name for error texts, `t[<id>]`.
    name: String,
    me: Snode,
    gateway_url: String,
    data_dir: PathBuf,
    store: Arc<Store>,
    meta: RwLock<Option<Arc<ClusterMeta>>>,
    identity: tokio::sync::Mutex<Identity>,
    ready: AtomicBool,
    http: reqwest::Client,
    /// The ETLs running here.
    etl: Arc<lode_etl::Registry>,
    /// Offline ETL jobs.
    jobs: jobs::Jobs,
    /// Held while a shard is rewritten with one more member (`archpath` on PUT).
    shard_puts: Arc<std::sync::Mutex<()>>,
}

type Tg = Arc<Target>;

/// Run a target until SIGTERM/SIGINT.
pub async fn run_target(cfg: TargetConfig) -> Result<(), NodeError> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| NodeError::Io(format!("create {}", cfg.data_dir.display()), e))?;
    let identity: Identity = persist::load(&cfg.data_dir.join(IDENTITY_FILE))?.unwrap_or_default();
    if !identity.id.is_empty() && identity.id != cfg.id {
        return Err(NodeError::Config(format!(
            "{} belongs to target {}, not {}",
            cfg.data_dir.display(),
            identity.id,
            cfg.id
        )));
    }
    let mountpaths = cfg.effective_mountpaths();
    let options = StoreOptions { fsync: cfg.fsync };
    let store = tokio::task::spawn_blocking(move || Store::open(&mountpaths, options))
        .await
        .map_err(|e| NodeError::Config(format!("store open task: {e}")))??;
    let listener = serve::bind(&cfg.host, cfg.port).await?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| NodeError::Config(format!("http client: {e}")))?;
    let registry = lode_etl::Registry::new(lode_etl::RegistryConfig {
        cache_dir: Some(cfg.module_cache_dir()),
        module_dir: Some(cfg.data_dir.join(crate::etlmd::MODULES_DIR)),
        workers: cfg.etl_workers,
        container: Some(crate::etl_config::runner(&cfg).await?),
    })
    .map_err(|e| NodeError::Config(e.to_string()))?;
    let tg = Arc::new(Target {
        id: cfg.id.clone(),
        name: format!("t[{}]", cfg.id),
        me: Snode::new(&cfg.id, "target", &cfg.host, cfg.port),
        gateway_url: cfg.gateway_url.trim_end_matches('/').to_owned(),
        data_dir: cfg.data_dir.clone(),
        store: Arc::new(store),
        meta: RwLock::new(None),
        identity: tokio::sync::Mutex::new(Identity {
            id: cfg.id.clone(),
            cluster_uuid: identity.cluster_uuid,
        }),
        ready: AtomicBool::new(false),
        http,
        etl: Arc::new(registry),
        jobs: jobs::Jobs::default(),
        shard_puts: Arc::default(),
    });
    let orphans = lode_container::kill_orphan_processes(tg.me.url());
    if !orphans.is_empty() {
        tracing::info!(process_groups = ?orphans, "killed the ETL transformers of an earlier run");
    }
    tracing::info!(id = %cfg.id, url = %tg.me.url(), "target up, joining {}", tg.gateway_url);
    tokio::spawn(multipart::clean_abandoned(
        Arc::clone(&tg),
        cfg.upload_max_age,
    ));
    let joining = tokio::spawn(cluster::join_loop(Arc::clone(&tg)));
    let fatal = async move {
        match joining.await {
            Ok(e) => e,
            Err(e) => NodeError::Config(format!("join task: {e}")),
        }
    };
    serve::serve(listener, router(tg.clone()), fatal).await
}

fn router(tg: Tg) -> Router {
    Router::new()
        .route("/v1/health", get(cluster::health))
        .route("/v1/daemon", get(cluster::daemon))
        .route(crate::api::PATH_METASYNC, put(cluster::metasync))
        .route("/v1/buckets/{bucket}", get(list::list_page))
        .route("/v1/summary/{bucket}", get(list::summary))
        .route("/metrics", get(metrics::metrics))
        .route("/v1/etl", get(etl::list))
        .route("/v1/etl/{name}", get(etl::details))
        .route("/v1/etl/{name}/logs", get(etl::logs))
        .route("/v1/etl/{name}/logs/{tid}", get(etl::logs_of))
        .route("/v1/etl/{name}/health", get(etl::health))
        .route("/v1/etl/{name}/metrics", get(etl::metrics))
        .route(
            "/v1/etl/_object/{etl}/{secret}/{uname}",
            get(etl_object::etl_object)
                .head(etl_object::etl_object)
                .put(etl_object::etl_object),
        )
        .route(
            "/v1/xactions/{xid}",
            post(jobs::start).get(jobs::snapshot).delete(jobs::abort),
        )
        .route("/v1/xactions/{xid}/run", post(jobs::go))
        .route("/v1/xactions/{xid}/sync", post(jobs::sync))
        .route(
            "/v1/objects/{bucket}/{*object}",
            get(get::get_object)
                .head(objects::head_object)
                .put(objects::put_object)
                .post(objects::post_object)
                .patch(objects::patch_object)
                .delete(objects::delete_object),
        )
        .fallback(crate::params::no_route)
        .route_layer(axum::middleware::from_fn_with_state(
            crate::params::target as crate::params::Table,
            crate::params::check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            tg.name.clone(),
            render_errors,
        ))
        .with_state(tg)
}

impl Target {
    fn meta(&self) -> Option<Arc<ClusterMeta>> {
        self.meta.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The metadata, after making sure `bucket` exists (asking the gateway once if this copy
    /// does not know it: a push may have been missed).
    async fn meta_with_bucket(&self, bucket: &str) -> Result<Arc<ClusterMeta>, ApiError> {
        if let Some(meta) = self.meta().filter(|m| m.bmd.buckets.contains_key(bucket)) {
            return Ok(meta);
        }
        if let Err(e) = cluster::refresh_bmd(self).await {
            tracing::warn!(error = %e, "cannot refresh bucket metadata from the gateway");
        }
        match self.meta() {
            Some(meta) if meta.bmd.buckets.contains_key(bucket) => Ok(meta),
            Some(_) => Err(ApiError::bucket_not_found(bucket)),
            None => Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                format!("{}: not joined to a cluster yet", self.name),
            )),
        }
    }
}
