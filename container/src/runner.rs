//! [`Runner`] and [`Pod`]: the pod runner a node is configured with, and the transformer
//! server it started for one ETL, whichever runner that is.

use crate::{ContainerSpec, Launch, PodOptions, ProcessPod, RunError, RunnerConfig};
#[cfg(feature = "kubernetes")]
use crate::{Kube, KubePod};

/// How a node runs container ETLs (its `etl.runner`).
#[derive(Debug, Clone)]
pub enum Runner {
    /// `process`: supervised local processes on loopback ports (one machine; `lode up`).
    Process(RunnerConfig),
    /// `kubernetes`: one pod per ETL per target, through the API server.
    #[cfg(feature = "kubernetes")]
    Kubernetes(Kube),
}

/// A ready transformer server.
#[derive(Debug)]
pub enum Pod {
    /// A local process.
    Process(ProcessPod),
    /// A Kubernetes pod (boxed: the API client is large).
    #[cfg(feature = "kubernetes")]
    Kube(Box<KubePod>),
}

impl Runner {
    /// The configuration name of this runner (`process`, `kubernetes`).
    pub fn name(&self) -> &'static str {
        match self {
            Runner::Process(_) => "process",
            #[cfg(feature = "kubernetes")]
            Runner::Kubernetes(_) => "kubernetes",
        }
    }

    /// The local command for `spec` (the `process` runner only: `io://` runs one per object).
    pub async fn launch(&self, spec: &ContainerSpec, etl: &str) -> Result<Launch, RunError> {
        match self {
            Runner::Process(cfg) => Launch::plan(spec, etl, cfg).await,
            #[cfg(feature = "kubernetes")]
            Runner::Kubernetes(_) => Err(RunError::Invalid(
                "io:// runs the transformer once per object, which needs the process runner".into(),
            )),
        }
    }
}

impl Pod {
    /// Starts ETL `etl`'s transformer server and waits until it is ready.
    pub async fn start(
        runner: &Runner,
        spec: &ContainerSpec,
        etl: &str,
        opts: &PodOptions,
    ) -> Result<Pod, RunError> {
        match runner {
            Runner::Process(_) => {
                let launch = runner.launch(spec, etl).await?;
                ProcessPod::start(&launch, opts).await.map(Pod::Process)
            }
            #[cfg(feature = "kubernetes")]
            Runner::Kubernetes(kube) => KubePod::start(kube, spec, etl, opts)
                .await
                .map(|p| Pod::Kube(Box::new(p))),
        }
    }

    /// The URL the communicators talk to.
    pub fn url(&self) -> String {
        match self {
            Pod::Process(p) => p.url(),
            #[cfg(feature = "kubernetes")]
            Pod::Kube(p) => p.url(),
        }
    }

    /// Its recent stdout/stderr, newline-terminated (for a Kubernetes pod, at most 5 s old).
    pub fn logs(&self) -> String {
        match self {
            Pod::Process(p) => p.logs(),
            #[cfg(feature = "kubernetes")]
            Pod::Kube(p) => p.logs(),
        }
    }

    /// How it is reached: for a local process, "its own network namespace" or "the port
    /// rewritten (<why>)"; a Kubernetes pod has its own by construction.
    pub fn network(&self) -> String {
        match self {
            Pod::Process(p) => p.network().to_owned(),
            #[cfg(feature = "kubernetes")]
            Pod::Kube(_) => "a Kubernetes pod".to_owned(),
        }
    }

    /// Stops it: SIGTERM then SIGKILL to a process group, or deletes the pod.
    pub async fn stop(self) -> Result<(), RunError> {
        match self {
            Pod::Process(p) => {
                p.stop().await;
                Ok(())
            }
            #[cfg(feature = "kubernetes")]
            Pod::Kube(p) => p.stop().await,
        }
    }
}
