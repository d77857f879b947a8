//! The `etl:` section of a target's configuration file (`lode node target --config FILE`):
//! which pod runner starts container ETLs, and its settings.
//!
//! ```yaml
//! etl:
//!   runner: kubernetes          # or `process` (the default)
//!   images:                     # process runner: image -> local stand-in for its entrypoint
//!     aistorage/transformer_md5:latest:
//!       command: [uvicorn, fastapi_server:fastapi_app, --port, "8000"]
//!       workdir: /opt/md5
//!       env: {PATH: /opt/md5/venv/bin:/usr/bin}
//!   kubernetes:
//!     api_url: https://10.0.0.1:443   # default: kubeconfig, then in-cluster
//!     namespace: lode                  # default: env POD_NAMESPACE, the pod's namespace, `default`
//!     node_name: node-a                # default: env NODE_NAME (required one way or the other)
//! ```
//!
//! Unknown keys are errors, so a misspelt setting is reported (with the file, the field and
//! the line) instead of silently ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[cfg(feature = "kubernetes")]
use lode_container::{Kube, KubeConfig};
use lode_container::{LocalImage, Runner};
use serde::Deserialize;

use crate::{NodeError, TargetConfig};

/// A node configuration file; only `etl:` is read today.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    #[serde(default)]
    etl: EtlConfig,
}

/// How a target runs container ETLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtlConfig {
    /// Which pod runner.
    #[serde(default)]
    pub runner: RunnerKind,
    /// `process` runner: images run without a `command`, mapped to local commands. Empty by
    /// default: such images are then refused at init ("has no command").
    #[serde(default)]
    pub images: HashMap<String, ImageEntry>,
    /// `kubernetes` runner settings.
    #[serde(default)]
    pub kubernetes: KubeSettings,
}

/// The pod runner a target uses for container ETLs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunnerKind {
    /// Supervised local processes on loopback ports (one machine).
    #[default]
    Process,
    /// One pod per ETL per target, through the Kubernetes API server.
    Kubernetes,
}

/// An image's local stand-in (`etl.images.<image>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    /// The command standing in for the image's entrypoint.
    pub command: Vec<String>,
    /// Its working directory.
    #[serde(default)]
    pub workdir: Option<PathBuf>,
    /// Env the image would set.
    #[serde(default)]
    pub env: HashMap<String, String>,
}

/// `etl.kubernetes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeSettings {
    /// API server URL; `None` = kubeconfig, then the in-cluster service account.
    #[serde(default)]
    pub api_url: Option<String>,
    /// Namespace of ETL pods; `None` = env `POD_NAMESPACE`, the pod's namespace, `default`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// This target's Kubernetes node; `None` = env `NODE_NAME`.
    #[serde(default)]
    pub node_name: Option<String>,
}

impl std::str::FromStr for RunnerKind {
    type Err = String;

    fn from_str(s: &str) -> Result<RunnerKind, String> {
        match s {
            "process" => Ok(RunnerKind::Process),
            "kubernetes" => Ok(RunnerKind::Kubernetes),
            _ => Err(format!(
                "unknown ETL runner {s:?}: expected `process` or `kubernetes`"
            )),
        }
    }
}

impl EtlConfig {
    /// Reads the `etl:` section of the YAML file `path` (an empty file is the defaults).
    pub fn load(path: &Path) -> Result<EtlConfig, NodeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NodeError::Io(format!("read {}", path.display()), e))?;
        EtlConfig::parse(&text).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
    }

    fn parse(text: &str) -> Result<EtlConfig, String> {
        if text.trim().is_empty() {
            return Ok(EtlConfig::default());
        }
        serde_yaml_ng::from_str::<NodeFile>(text)
            .map(|f| f.etl)
            .map_err(|e| e.to_string())
    }
}

/// The target's pod runner. For `kubernetes`, connects the client and deletes the pods an
/// earlier run of this target left (before any ETL starts).
pub(crate) async fn runner(cfg: &TargetConfig) -> Result<Runner, NodeError> {
    let etl = &cfg.etl;
    if etl.runner == RunnerKind::Process {
        let etl_dir = cfg
            .etl_dir
            .clone()
            .unwrap_or_else(|| cfg.data_dir.join("etl"));
        let images = etl
            .images
            .iter()
            .map(|(name, i)| {
                let image = LocalImage {
                    command: i.command.clone(),
                    workdir: i.workdir.clone(),
                    env: i.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                };
                (name.clone(), image)
            })
            .collect();
        return Ok(Runner::Process(lode_container::RunnerConfig {
            images,
            venv_root: etl_dir.join("venv"),
            work_root: cfg.data_dir.join("etl-work"),
        }));
    }
    kubernetes_runner(cfg).await
}

/// The `kubernetes` runner: connects the client, cleans up an earlier run's pods.
#[cfg(feature = "kubernetes")]
async fn kubernetes_runner(cfg: &TargetConfig) -> Result<Runner, NodeError> {
    let k = &cfg.etl.kubernetes;
    let node_name = k
        .node_name
        .clone()
        .or_else(|| std::env::var("NODE_NAME").ok())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            NodeError::Config(
                "etl.runner kubernetes: etl.kubernetes.node_name is required (or env NODE_NAME)"
                    .into(),
            )
        })?;
    let kube = Kube::connect(KubeConfig {
        api_url: k.api_url.clone(),
        namespace: k.namespace.clone(),
        node_name,
        target_id: cfg.id.clone(),
        mountpaths: cfg.effective_mountpaths(),
    })
    .await
    .map_err(|e| NodeError::Config(format!("etl.runner kubernetes: {e}")))?;
    match kube.cleanup_orphans().await {
        Ok(gone) if !gone.is_empty() => {
            tracing::info!(pods = ?gone, "deleted the ETL pods of an earlier run")
        }
        Ok(_) => {}
        // The target still serves data; a leftover pod of an ETL that runs again is replaced
        // when it starts.
        Err(e) => tracing::error!(error = %e, "cannot clean up orphan ETL pods"),
    }
    Ok(Runner::Kubernetes(kube))
}

#[cfg(not(feature = "kubernetes"))]
async fn kubernetes_runner(_cfg: &TargetConfig) -> Result<Runner, NodeError> {
    Err(NodeError::Config(
        "etl.runner kubernetes: this lode was built without its `kubernetes` feature".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file_is_read() {
        let cfg = EtlConfig::parse(
            "etl:\n  runner: kubernetes\n  images:\n    acme/x:1:\n      command: [run, --port, '8000']\n      env: {A: b}\n  kubernetes:\n    api_url: http://127.0.0.1:1\n    node_name: n1\n",
        )
        .unwrap();
        assert_eq!(cfg.runner, RunnerKind::Kubernetes);
        assert_eq!(cfg.images["acme/x:1"].command, ["run", "--port", "8000"]);
        assert_eq!(cfg.images["acme/x:1"].env["A"], "b");
        assert_eq!(cfg.kubernetes.node_name.as_deref(), Some("n1"));
        assert_eq!(EtlConfig::parse("").unwrap(), EtlConfig::default());
    }

    #[test]
    fn bad_settings_name_the_field() {
        let err = EtlConfig::parse("etl:\n  runner: docker\n").unwrap_err();
        assert!(
            err.contains("etl.runner") && err.contains("docker"),
            "{err}"
        );
        let err = EtlConfig::parse("etl:\n  kubernetes:\n    nodename: x\n").unwrap_err();
        assert!(err.contains("nodename"), "{err}");
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lode.yaml");
        std::fs::write(&path, "etl: [not, a, mapping]\n").unwrap();
        let err = EtlConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("lode.yaml"), "{err}");
    }
}
