//! The fake kubelet: runs a pod's first container as a local process ([`ProcessPod`]) and
//! reports its status (see the crate docs for what is and is not faked).

use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_container::{Launch, PodOptions, ProcessPod, RunError};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::{shapes, State};

/// How long the kubelet waits for a server (the runner gives up sooner on its own).
const START_TIMEOUT: Duration = Duration::from_secs(600);
const PROBE_POLL: Duration = Duration::from_millis(100);

/// A stored pod and what runs it.
pub(crate) struct Entry {
    pub(crate) pod: Value,
    pub(crate) run: Run,
}

pub(crate) enum Run {
    /// The kubelet task is starting the process.
    Starting(JoinHandle<()>),
    Running(ProcessPod),
    /// It could not start; its last output.
    Failed(String),
}

impl Entry {
    pub(crate) fn pid(&self) -> Option<u32> {
        match &self.run {
            Run::Running(p) => p.pid(),
            _ => None,
        }
    }

    pub(crate) fn logs(&self) -> String {
        match &self.run {
            Run::Running(p) => p.logs(),
            Run::Failed(logs) => logs.clone(),
            Run::Starting(_) => String::new(),
        }
    }

    /// Stops whatever runs the pod: SIGTERM, then SIGKILL after a grace period.
    pub(crate) async fn stop(mut self) {
        if let Run::Running(p) = std::mem::replace(&mut self.run, Run::Failed(String::new())) {
            p.stop().await;
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Run::Starting(task) = &self.run {
            task.abort();
        }
        // A running ProcessPod SIGKILLs its group when dropped.
    }
}

/// What the kubelet runs for a pod.
struct Plan {
    launch: Launch,
    opts: PodOptions,
    probe: String,
    container: String,
    image: String,
}

/// Starts pod `key` (of uid `uid`) in the background; the task updates its stored status.
pub(crate) fn spawn(state: Arc<State>, key: (String, String), uid: String, pod: &Value) -> Run {
    let c0 = &pod["spec"]["containers"][0];
    let container = c0["name"].as_str().unwrap_or_default().to_owned();
    let image = c0["image"].as_str().unwrap_or_default().to_owned();
    let plan = plan(c0).map(|launch| Plan {
        opts: options(&launch),
        probe: c0["readinessProbe"]["httpGet"]["path"]
            .as_str()
            .unwrap_or("/health")
            .to_owned(),
        launch,
        container: container.clone(),
        image: image.clone(),
    });
    match plan {
        Ok(plan) => Run::Starting(tokio::spawn(run(state, key, uid, plan))),
        Err(why) => Run::Failed(format!("[fake kubelet] {why}\n")),
    }
}

fn plan(c0: &Value) -> Result<Launch, String> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let mut command = strings(&c0["command"]);
    command.extend(strings(&c0["args"]));
    if command.is_empty() {
        return Err("the container has no command: images' entrypoints are unknown here".into());
    }
    let env = c0["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e["name"].as_str()?;
            Some((
                name.to_owned(),
                e["value"].as_str().unwrap_or("").to_owned(),
            ))
        })
        .collect();
    let ports = c0["ports"].as_array().cloned().unwrap_or_default();
    let declared = ports
        .iter()
        .find(|p| p["name"] == "default")
        .or(ports.first())
        .and_then(|p| p["containerPort"].as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(lode_container::DEFAULT_PORT);
    Ok(Launch {
        command,
        env,
        workdir: c0["workingDir"].as_str().map(Into::into),
        declared_port: declared,
    })
}

/// The AIS variables are already in the pod's env; the process runner sets them from these.
fn options(launch: &Launch) -> PodOptions {
    let var = |k: &str| {
        launch
            .env
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    PodOptions {
        target_url: var("AIS_TARGET_URL").unwrap_or_default(),
        peers: Vec::new(),
        direct_put: var("DIRECT_PUT").as_deref() == Some("true"),
        init_timeout: START_TIMEOUT,
    }
}

async fn run(state: Arc<State>, key: (String, String), uid: String, plan: Plan) {
    let started = match ProcessPod::start(&plan.launch, &plan.opts).await {
        Ok(p) => probe(&p, &plan.probe).await.map(|()| p),
        Err(e) => Err(e),
    };
    let mut pods = state.lock();
    let Some(entry) = pods
        .get_mut(&key)
        .filter(|e| e.pod["metadata"]["uid"] == uid.as_str())
    else {
        return; // deleted meanwhile: dropping the process kills it
    };
    match started {
        Ok(process) => {
            entry.pod["status"] = shapes::running(&plan.container, &plan.image);
            let ports = entry.pod["spec"]["containers"][0]["ports"].as_array_mut();
            if let Some(port) = ports.into_iter().flatten().find(|p| p["name"] == "default") {
                port["containerPort"] = process.port().into();
            }
            entry.run = Run::Running(process);
        }
        Err(e) => {
            let code = match &e {
                RunError::Exited { status, .. } => exit_code(status),
                _ => 1,
            };
            let text = e.to_string();
            entry.pod["status"] = shapes::failed(&plan.container, &plan.image, code, &text);
            entry.run = Run::Failed(text);
        }
    }
}

/// Waits for the readiness probe's path when it is not the `/health` ProcessPod checked.
async fn probe(pod: &ProcessPod, path: &str) -> Result<(), RunError> {
    if path == "/health" {
        return Ok(());
    }
    let url = format!("{}{path}", pod.url());
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            return Ok(());
        }
        tokio::time::sleep(PROBE_POLL).await;
    }
    Err(RunError::Invalid(format!(
        "readiness probe {path} never answered 200"
    )))
}

/// `exit status: 3` -> 3; a signal or anything else -> 1.
fn exit_code(status: &str) -> i32 {
    status
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}
