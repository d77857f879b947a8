//! The `kubernetes` pod runner: one pod per ETL per target, pinned to the target's node, with
//! the target's mountpaths mounted read-only at the same paths (so FQNs resolve), talked to
//! at `http://<pod IP>:<port default>`.
//!
//! * `object.rs` builds the Pod object (pure, unit-tested).
//! * `pod.rs` runs it: create, wait for the Ready condition up to the init timeout, read the
//!   URL back from the API server, cache the logs, delete on stop (and, in the background, on
//!   drop).
//! * `orphans.rs` deletes the pods a previous run of this target left behind.
//!
//! Tested only against `lode-fake-kube` (a fake API server that runs pods as local
//! processes), never against a real cluster.

mod object;
mod orphans;
mod pod;

use std::path::PathBuf;

use crate::RunError;

pub use pod::KubePod;

/// Where the default namespace is read in a pod (the service account's namespace).
const INCLUSTER_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// The `kubernetes` runner's configuration (the node's `etl.kubernetes` section plus who the
/// target is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeConfig {
    /// The API server URL; `None` infers it (kubeconfig, then the in-cluster service account).
    pub api_url: Option<String>,
    /// The namespace for ETL pods; `None` = env `POD_NAMESPACE`, then the service account's
    /// namespace file, then `default`.
    pub namespace: Option<String>,
    /// The Kubernetes node the target runs on: ETL pods get a required node affinity to it.
    pub node_name: String,
    /// The target's id (the `lode.target` label; orphan cleanup selects on it).
    pub target_id: String,
    /// The target's mountpaths, mounted read-only into every ETL pod at the same paths.
    pub mountpaths: Vec<PathBuf>,
}

/// A connected `kubernetes` runner: the API client and the configuration.
#[derive(Clone)]
pub struct Kube {
    client: kube::Client,
    namespace: String,
    cfg: KubeConfig,
}

impl std::fmt::Debug for Kube {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kube")
            .field("namespace", &self.namespace)
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Kube {
    /// Builds the API client (no request is made yet).
    pub async fn connect(cfg: KubeConfig) -> Result<Kube, RunError> {
        let config = match &cfg.api_url {
            Some(url) => kube::Config::new(url.parse().map_err(|e| {
                RunError::Kube(format!("etl.kubernetes.api_url {url:?} is not a URL: {e}"))
            })?),
            None => kube::Config::infer().await.map_err(|e| {
                RunError::Kube(format!(
                    "no API server: give etl.kubernetes.api_url, a kubeconfig, or run in a pod ({e})"
                ))
            })?,
        };
        let client = kube::Client::try_from(config)
            .map_err(|e| RunError::Kube(format!("API client: {e}")))?;
        let namespace = match &cfg.namespace {
            Some(ns) => ns.clone(),
            None => default_namespace(),
        };
        Ok(Kube {
            client,
            namespace,
            cfg,
        })
    }

    /// The runner's configuration.
    pub fn config(&self) -> &KubeConfig {
        &self.cfg
    }

    /// The namespace ETL pods run in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn api(&self) -> kube::Api<k8s_openapi::api::core::v1::Pod> {
        kube::Api::namespaced(self.client.clone(), &self.namespace)
    }
}

fn default_namespace() -> String {
    std::env::var("POD_NAMESPACE")
        .ok()
        .or_else(|| std::fs::read_to_string(INCLUSTER_NAMESPACE).ok())
        .map(|ns| ns.trim().to_owned())
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// An API error, with what was being done.
fn api_err(what: impl std::fmt::Display) -> impl FnOnce(kube::Error) -> RunError {
    move |e| RunError::Kube(format!("{what}: {e}"))
}

/// Whether `e` is the API server's 404.
fn not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
