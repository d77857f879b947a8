//! The gateway role: cluster map and bucket metadata owner, redirector, listing merger.

mod buckets;
mod cluster;
mod etl;
mod fanout;
mod jobs;
mod list;
mod objects;
mod summary;

pub(crate) use objects::has_body;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;
use rand::distr::{Alphanumeric, SampleString};

use crate::bmd::{Bmd, ClusterMeta};
use crate::config::GatewayConfig;
use crate::error::{render_errors, ApiError, NodeError};
use crate::{persist, serve};
use lode_wire::{Smap, Snode};

const SMAP_FILE: &str = "smap.json";
const BMD_FILE: &str = "bmd.json";
const ETL_FILE: &str = "etl.json";
/// How long a target may take to apply metadata (it loads new ETLs before answering).
const METASYNC_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) struct Gateway {
    /// Printable node name for error texts, `p[<id>]`.
    name: String,
    id: String,
    data_dir: PathBuf,
    meta: RwLock<Arc<ClusterMeta>>,
    /// Serialises changes: persist and push happen in version order.
    update: tokio::sync::Mutex<()>,
    http: reqwest::Client,
    /// Validates ETL modules (compile + ABI) before anything is stored.
    etl: Arc<lode_etl::Registry>,
    /// Offline jobs started here.
    jobs: jobs::GwJobs,
    /// Bucket summaries being computed or waiting for their client.
    summaries: summary::Summaries,
}

type Gw = Arc<Gateway>;

/// Run the gateway until SIGTERM/SIGINT.
pub async fn run_gateway(cfg: GatewayConfig) -> Result<(), NodeError> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| NodeError::Io(format!("create {}", cfg.data_dir.display()), e))?;
    let meta = load_or_create(&cfg)?;
    let id = meta.smap.proxy_si.daemon_id.clone();
    persist::store(&cfg.data_dir.join(SMAP_FILE), &meta.smap)?;
    persist::store(&cfg.data_dir.join(BMD_FILE), &meta.bmd)?;
    let listener = serve::bind(&cfg.host, cfg.port).await?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| NodeError::Config(format!("http client: {e}")))?;
    let etl = lode_etl::Registry::new(lode_etl::RegistryConfig {
        cache_dir: Some(cfg.module_cache_dir()),
        module_dir: Some(cfg.data_dir.join(crate::etlmd::MODULES_DIR)),
        workers: 1,
        container: None,
    })
    .map_err(|e| NodeError::Config(e.to_string()))?;
    let gw = Arc::new(Gateway {
        name: format!("p[{id}]"),
        id,
        data_dir: cfg.data_dir.clone(),
        meta: RwLock::new(Arc::new(meta)),
        update: tokio::sync::Mutex::new(()),
        http,
        etl: Arc::new(etl),
        jobs: jobs::GwJobs::default(),
        summaries: summary::Summaries::default(),
    });
    tracing::info!(url = %format!("http://{}:{}", cfg.host, cfg.port), "gateway up");
    // Targets that outlived a gateway restart get the current metadata again.
    tokio::spawn({
        let gw = Arc::clone(&gw);
        async move { gw.push(&gw.meta()).await }
    });
    serve::serve(listener, router(gw), std::future::pending()).await
}

fn router(gw: Gw) -> Router {
    Router::new()
        .route("/v1/health", get(cluster::health))
        .route("/v1/daemon", get(cluster::daemon))
        .route(crate::api::PATH_JOIN, post(cluster::join))
        .route("/v1/cluster", get(jobs::cluster_get).put(jobs::cluster_put))
        .route("/metrics", get(metrics))
        .route("/v1/etl", get(etl::list).put(etl::init))
        .route("/v1/etl/", get(etl::list).put(etl::init))
        .route("/v1/etl/{name}", get(etl::details).delete(etl::delete))
        .route(crate::api::PATH_MODULE, get(etl::module))
        .route("/v1/etl/{name}/stop", post(etl::stop))
        .route("/v1/etl/{name}/start", post(etl::start))
        .route("/v1/etl/{name}/logs", get(etl::logs))
        .route("/v1/etl/{name}/logs/{tid}", get(etl::logs_of))
        .route("/v1/etl/{name}/health", get(etl::health))
        .route("/v1/etl/{name}/metrics", get(etl::metrics))
        .route("/v1/buckets", get(buckets::list_buckets))
        .route("/v1/buckets/", get(buckets::list_buckets))
        .route(
            "/v1/buckets/{bucket}",
            get(list::list_objects)
                .post(buckets::post_action)
                .put(buckets::put_action)
                .delete(buckets::destroy)
                .head(buckets::head),
        )
        .route(
            "/v1/buckets/{bucket}/{*prefix}",
            axum::routing::head(buckets::head_prefix),
        )
        .route("/v1/objects/{bucket}/{*object}", any(objects::redirect))
        .fallback(crate::params::no_route)
        .route_layer(axum::middleware::from_fn_with_state(
            crate::params::gateway as crate::params::Table,
            crate::params::check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            gw.name.clone(),
            render_errors,
        ))
        .with_state(gw)
}

/// `GET /metrics`: Prometheus text: ETL stages, jobs, cluster size.
async fn metrics(axum::extract::State(gw): axum::extract::State<Gw>) -> impl IntoResponse {
    use std::fmt::Write as _;
    let meta = gw.meta();
    let mut out = String::from("# HELP lode_etl_running Whether an ETL is Running (1) or not (0).\n# TYPE lode_etl_running gauge\n");
    for (name, e) in &meta.etl.etls {
        let running = u8::from(e.stage == crate::etlmd::Stage::Running);
        let _ = writeln!(
            out,
            "lode_etl_running{{etl=\"{name}\",stage=\"{}\"}} {running}",
            e.stage.as_str()
        );
    }
    let (running, done) = jobs::counts(&gw);
    let _ = writeln!(
        out,
        "# HELP lode_jobs Offline jobs started by this gateway.\n# TYPE lode_jobs gauge"
    );
    let _ = writeln!(
        out,
        "lode_jobs{{state=\"running\"}} {running}\nlode_jobs{{state=\"finished\"}} {done}"
    );
    let _ = writeln!(out, "# HELP lode_targets Targets in the cluster map.\n# TYPE lode_targets gauge\nlode_targets {}", meta.smap.tmap.len());
    let _ = writeln!(
        out,
        "# HELP lode_up Whether the node serves.\n# TYPE lode_up gauge\nlode_up{{node=\"{}\"}} 1",
        gw.id
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

fn load_or_create(cfg: &GatewayConfig) -> Result<ClusterMeta, NodeError> {
    let smap: Option<Smap> = persist::load(&cfg.data_dir.join(SMAP_FILE))?;
    let bmd: Option<Bmd> = persist::load(&cfg.data_dir.join(BMD_FILE))?;
    let mut smap = match smap {
        Some(s) => s,
        None => {
            let me = Snode::new(&cfg.id, "proxy", &cfg.host, cfg.port);
            Smap {
                pmap: BTreeMap::from([(cfg.id.clone(), me.clone())]),
                tmap: BTreeMap::new(),
                proxy_si: me,
                uuid: Alphanumeric.sample_string(&mut rand::rng(), 12),
                creation_time: httpdate::fmt_http_date(std::time::SystemTime::now()),
                version: 1,
            }
        }
    };
    // Same identity, possibly a new address.
    let me = Snode::new(&smap.proxy_si.daemon_id, "proxy", &cfg.host, cfg.port);
    if smap.proxy_si != me {
        smap.pmap.insert(me.daemon_id.clone(), me.clone());
        smap.proxy_si = me;
        smap.version += 1;
    }
    let bmd = bmd.unwrap_or_else(|| Bmd {
        uuid: smap.uuid.clone(),
        version: 1,
        buckets: BTreeMap::new(),
    });
    let etl = persist::load(&cfg.data_dir.join(ETL_FILE))?.unwrap_or_default();
    Ok(ClusterMeta { smap, bmd, etl })
}

impl Gateway {
    fn meta(&self) -> Arc<ClusterMeta> {
        Arc::clone(&self.meta.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Apply `change` to a copy of the metadata; if anything changed, bump the versions,
    /// persist, publish and push to every target. `change` returns an error to refuse.
    async fn update(
        &self,
        change: impl FnOnce(&mut ClusterMeta) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let _serial = self.update.lock().await;
        let old = self.meta();
        let mut new = (*old).clone();
        change(&mut new)?;
        let smap_changed = new.smap != old.smap;
        let bmd_changed = new.bmd != old.bmd;
        let etl_changed = new.etl != old.etl;
        if !smap_changed && !bmd_changed && !etl_changed {
            return Ok(());
        }
        if smap_changed {
            new.smap.version += 1;
            persist::store(&self.data_dir.join(SMAP_FILE), &new.smap)
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        if bmd_changed {
            new.bmd.version += 1;
            persist::store(&self.data_dir.join(BMD_FILE), &new.bmd)
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        if etl_changed {
            new.etl.version += 1;
            persist::store(&self.data_dir.join(ETL_FILE), &new.etl)
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        let new = Arc::new(new);
        *self.meta.write().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&new);
        self.push(&new).await;
        Ok(())
    }

    /// Send the metadata to every target; a target that is down gets it when it joins again.
    async fn push(&self, meta: &ClusterMeta) {
        let targets = meta.smap.target_urls();
        let path = crate::api::PATH_METASYNC;
        let answers = self
            .call_targets(&targets, Method::PUT, path, |r| {
                r.json(meta).timeout(METASYNC_TIMEOUT)
            })
            .await;
        for (tid, answer) in answers {
            if let Err(e) = answer {
                tracing::warn!(target = %tid, error = %e, "metasync failed");
            }
        }
    }
}
