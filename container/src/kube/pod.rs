//! [`KubePod`]: one ETL pod's life through the API server.
//!
//! Start: delete a pod of the same name left by an earlier start (and wait until it is
//! gone), create the pod, then poll it every 250 ms until its `Ready` condition is `True`, for
//! at most the init timeout. A pod that fails first (phase `Failed`, a container terminated
//! or waiting in `CrashLoopBackOff`, an image that cannot be pulled) or that is not ready in
//! time is deleted and the start fails with its last status and log lines. The URL is read
//! from the pod the server returns: `status.podIP` and the `containerPort` of the port named
//! `default`. Logs (`pods/{name}/log`, the last [`LOG_LINES`] lines) are fetched once ready
//! and then every 5 s into a cache, so [`KubePod::logs`] does not block. [`KubePod::stop`]
//! deletes the pod and waits until it is gone; dropping a pod deletes it in the background.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ContainerState, Pod};
use kube::api::{DeleteParams, LogParams, PostParams};
use kube::Api;
use tokio::task::JoinHandle;

use super::{api_err, not_found, object, Kube};
use lode_wire::ring::LOG_LINES;

use crate::{ContainerSpec, PodOptions, RunError};

const POLL: Duration = Duration::from_millis(250);
const LOG_REFRESH: Duration = Duration::from_secs(5);
/// `terminationGracePeriodSeconds` for a stop.
const STOP_GRACE: u32 = 5;
/// How long a stop waits for the pod object to go, beyond the grace period.
const GONE_WAIT: Duration = Duration::from_secs(30);
/// Container waiting reasons that mean the pod will not come up by itself.
const FATAL_WAITING: [&str; 7] = [
    "CrashLoopBackOff",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// A ready ETL pod (see the module docs). Dropping it deletes the pod in the background.
#[derive(Debug)]
pub struct KubePod {
    api: Api<Pod>,
    name: String,
    url: String,
    logs: Arc<Mutex<String>>,
    refresher: JoinHandle<()>,
    stopped: bool,
}

enum Progress {
    Ready(String),
    Waiting,
    Failed(String),
}

impl KubePod {
    /// Creates ETL `etl`'s pod for this target and waits until it is ready.
    pub async fn start(
        kube: &Kube,
        spec: &ContainerSpec,
        etl: &str,
        opts: &PodOptions,
    ) -> Result<KubePod, RunError> {
        let api = kube.api();
        let pod = object::build(spec, etl, kube.config(), opts)?;
        let name = pod.metadata.name.clone().unwrap_or_default();
        delete_and_wait(&api, &name, 0).await?;
        api.create(&PostParams::default(), &pod)
            .await
            .map_err(api_err(format!("creating pod {name}")))?;
        let deadline = Instant::now() + opts.init_timeout;
        let mut last = String::from("not yet seen");
        let outcome = loop {
            match api.get_opt(&name).await {
                Ok(Some(pod)) => {
                    last = describe(&pod);
                    match progress(&pod) {
                        Progress::Ready(url) => break Ok(url),
                        Progress::Failed(why) => break Err(why),
                        Progress::Waiting => {}
                    }
                }
                Ok(None) => break Err("deleted while starting".to_owned()),
                Err(e) => last = format!("cannot read it: {e}"),
            }
            if Instant::now() >= deadline {
                break Err(format!("not ready after {:?}", opts.init_timeout));
            }
            tokio::time::sleep(POLL).await;
        };
        match outcome {
            Ok(url) => {
                let logs = Arc::new(Mutex::new(fetch_logs(&api, &name).await));
                let refresher = tokio::spawn(refresh_logs(api.clone(), name.clone(), logs.clone()));
                Ok(KubePod {
                    api,
                    name,
                    url,
                    logs,
                    refresher,
                    stopped: false,
                })
            }
            Err(why) => {
                let logs = fetch_logs(&api, &name).await;
                // Best effort: the start error matters more than a failed cleanup.
                if let Err(e) = delete_and_wait(&api, &name, 0).await {
                    tracing::warn!(pod = %name, error = %e, "cannot delete a failed ETL pod");
                }
                Err(RunError::Kube(format!(
                    "pod {name}: {why}; last status: {last}; last output:\n{logs}"
                )))
            }
        }
    }

    /// `http://<pod IP>:<port>`: the pod URI communicators use.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The pod's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pod's last fetched log lines (at most 5 s old), newline-terminated.
    pub fn logs(&self) -> String {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Deletes the pod (with a grace period) and waits until the API server no longer has it.
    pub async fn stop(mut self) -> Result<(), RunError> {
        self.stopped = true;
        self.refresher.abort();
        delete_and_wait(&self.api, &self.name, STOP_GRACE).await
    }
}

impl Drop for KubePod {
    fn drop(&mut self) {
        self.refresher.abort();
        if self.stopped {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(pod = %self.name, "no runtime to delete the ETL pod; it is left to orphan cleanup");
            return;
        };
        let (api, name) = (self.api.clone(), self.name.clone());
        rt.spawn(async move {
            if let Err(e) = delete_and_wait(&api, &name, STOP_GRACE).await {
                tracing::warn!(pod = %name, error = %e, "cannot delete the ETL pod");
            }
        });
    }
}

/// Deletes pod `name` if it exists and waits until it is gone.
async fn delete_and_wait(api: &Api<Pod>, name: &str, grace: u32) -> Result<(), RunError> {
    let dp = DeleteParams {
        grace_period_seconds: Some(grace),
        ..DeleteParams::default()
    };
    match api.delete(name, &dp).await {
        Ok(_) => {}
        Err(e) if not_found(&e) => return Ok(()),
        Err(e) => return Err(api_err(format!("deleting pod {name}"))(e)),
    }
    let deadline = Instant::now() + Duration::from_secs(u64::from(grace)) + GONE_WAIT;
    loop {
        match api.get_opt(name).await {
            Ok(None) => return Ok(()),
            Ok(Some(_)) if Instant::now() < deadline => tokio::time::sleep(POLL).await,
            Ok(Some(_)) => {
                return Err(RunError::Kube(format!(
                    "pod {name} still exists {GONE_WAIT:?} after its grace period"
                )))
            }
            Err(e) => return Err(api_err(format!("reading pod {name}"))(e)),
        }
    }
}

async fn fetch_logs(api: &Api<Pod>, name: &str) -> String {
    let lp = LogParams {
        tail_lines: i64::try_from(LOG_LINES).ok(),
        ..LogParams::default()
    };
    match api.logs(name, &lp).await {
        Ok(mut text) => {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        Err(e) => format!("[lode] cannot read the logs of pod {name}: {e}\n"),
    }
}

async fn refresh_logs(api: Api<Pod>, name: String, cache: Arc<Mutex<String>>) {
    loop {
        tokio::time::sleep(LOG_REFRESH).await;
        let text = fetch_logs(&api, &name).await;
        *cache.lock().unwrap_or_else(PoisonError::into_inner) = text;
    }
}

/// Where a starting pod stands.
fn progress(pod: &Pod) -> Progress {
    let Some(status) = &pod.status else {
        return Progress::Waiting;
    };
    for cs in status.container_statuses.iter().flatten() {
        match &cs.state {
            Some(ContainerState {
                terminated: Some(t),
                ..
            }) => {
                return Progress::Failed(format!(
                    "container {} terminated ({}, exit code {})",
                    cs.name,
                    t.reason.as_deref().unwrap_or("no reason"),
                    t.exit_code
                ))
            }
            Some(ContainerState {
                waiting: Some(w), ..
            }) if w
                .reason
                .as_deref()
                .is_some_and(|r| FATAL_WAITING.contains(&r)) =>
            {
                return Progress::Failed(format!(
                    "container {} waiting: {}",
                    cs.name,
                    w.reason.as_deref().unwrap_or_default()
                ))
            }
            _ => {}
        }
    }
    if let Some(phase @ ("Failed" | "Succeeded")) = status.phase.as_deref() {
        return Progress::Failed(format!("phase {phase}"));
    }
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    match (ready, status.pod_ip.as_deref(), port(pod)) {
        (true, Some(ip), Some(port)) => Progress::Ready(format!("http://{ip}:{port}")),
        (true, _, None) => {
            Progress::Failed(format!("no container port named {:?}", object::PORT_NAME))
        }
        _ => Progress::Waiting,
    }
}

/// The `containerPort` of the first container's port named `default`.
fn port(pod: &Pod) -> Option<i32> {
    let c = pod.spec.as_ref()?.containers.first()?;
    c.ports
        .iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some(object::PORT_NAME))
        .map(|p| p.container_port)
}

/// The pod's status in one line, for errors.
fn describe(pod: &Pod) -> String {
    let Some(s) = &pod.status else {
        return "no status yet".into();
    };
    let mut parts = vec![format!("phase {}", s.phase.as_deref().unwrap_or("unknown"))];
    for c in s.conditions.iter().flatten() {
        let why = [c.reason.as_deref(), c.message.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        parts.push(
            format!("{}={} {why}", c.type_, c.status)
                .trim_end()
                .to_owned(),
        );
    }
    for cs in s.container_statuses.iter().flatten() {
        let state = match &cs.state {
            Some(ContainerState {
                terminated: Some(t),
                ..
            }) => format!(
                "terminated {} exit {} {}",
                t.reason.as_deref().unwrap_or_default(),
                t.exit_code,
                t.message.as_deref().unwrap_or_default()
            ),
            Some(ContainerState {
                waiting: Some(w), ..
            }) => format!(
                "waiting {} {}",
                w.reason.as_deref().unwrap_or_default(),
                w.message.as_deref().unwrap_or_default()
            ),
            Some(ContainerState {
                running: Some(_), ..
            }) => "running".into(),
            _ => "unknown".into(),
        };
        parts.push(format!(
            "container {} {} (restarts {})",
            cs.name,
            state.trim_end(),
            cs.restart_count
        ));
    }
    parts.join(", ")
}
