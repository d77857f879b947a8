//! The `process` pod runner: a transformer server as a supervised local process.
//!
//! [`ProcessPod::start`] gives the transformer its own network namespace where it can (see
//! `netns.rs`: it listens on the port it declares, as in a pod, reached through a forwarder);
//! otherwise it picks a free loopback port and rewrites the command for it (see the port
//! scheme in `ports.rs`: `PORT` env, `$(VAR)` expansion, the declared port rewritten). It
//! starts the command in its own process group with the AIS env (`AIS_TARGET_URL`,
//! `DIRECT_PUT`/`direct_put`, the user env), and polls `GET /health` until it answers 200
//! within the init timeout. A supervisor task restarts the process when it dies (backoff
//! from 100 ms doubling to 5 s, reset after 30 s of uptime) on the same port, after killing
//! whatever is left of the old process group. stdout and stderr go to a bounded ring
//! ([`ProcessPod::logs`]). [`ProcessPod::stop`] sends SIGTERM to the whole group and SIGKILL
//! after a grace period; dropping a pod SIGKILLs the group at once, so nothing outlives it.

// unsafe here: signals to transformer process groups (kill(2), killpg(2)); each block says why it is sound.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::logring::LogRing;
use crate::netns::{self, NetNs};
use crate::{ports, Launch, RunError};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const STABLE_UPTIME: Duration = Duration::from_secs(30);
const STOP_GRACE: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(100);

/// What the target tells every transformer it starts.
#[derive(Debug, Clone)]
pub struct PodOptions {
    /// `AIS_TARGET_URL`: `<target>/v1/etl/_object/<etl>/<secret>`.
    pub target_url: String,
    /// The loopback ports of the other targets the transformer may call (direct put), so that
    /// a transformer in its own network namespace reaches them too.
    pub peers: Vec<u16>,
    /// `support_direct_put`, exported as `DIRECT_PUT` and `direct_put`.
    pub direct_put: bool,
    /// How long to wait for `GET /health` to answer 200.
    pub init_timeout: Duration,
}

/// A running transformer process (see the module docs). Dropping it kills its process group.
#[derive(Debug)]
pub struct ProcessPod {
    shared: Arc<Shared>,
    port: u16,
    supervisor: JoinHandle<()>,
    /// Its own network namespace, when it has one (dropped after the process group is killed).
    netns: Option<Arc<NetNs>>,
    /// How it is reached, for `etl show`: its own namespace, or the port rewritten and why.
    network: String,
}

#[derive(Debug, Default)]
struct Shared {
    logs: LogRing,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    pgid: Option<i32>,
    stopping: bool,
    restarts: u64,
    last_exit: Option<String>,
}

struct Program {
    command: Vec<String>,
    env: HashMap<String, String>,
    workdir: Option<std::path::PathBuf>,
    /// The network namespace to join before executing.
    netns: Option<RawFd>,
}

impl ProcessPod {
    /// Starts `launch` and waits until it is ready.
    pub async fn start(launch: &Launch, opts: &PodOptions) -> Result<ProcessPod, RunError> {
        let shared = Arc::new(Shared::default());
        let (netns, network) = match own_namespace(opts) {
            Ok(ns) => (Some(Arc::new(ns)), "its own network namespace".to_owned()),
            Err(why) => (None, format!("the port rewritten ({why})")),
        };
        shared
            .logs
            .push(format!("[lode] the transformer runs in {network}"));
        let (port, env, command) = match &netns {
            Some(ns) => {
                // The port its command or code names, as in a pod; reached through a forwarder.
                let declared = launch.declared_port;
                let env = launch.env(opts, Some(declared));
                let command = ports::rewrite_command(&launch.command, &env, declared, declared);
                let port = ns
                    .forward_in(declared)
                    .await
                    .map_err(RunError::io("forwarding into the network namespace"))?;
                let mut reach = opts.peers.clone();
                reach.extend(loopback_port(&opts.target_url));
                reach.sort_unstable();
                reach.dedup();
                ns.forward_out(&reach)
                    .await
                    .map_err(RunError::io("forwarding out of the network namespace"))?;
                (port, env, command)
            }
            None => {
                let port = ports::free_port().map_err(RunError::io("picking a free port"))?;
                let env = launch.env(opts, Some(port));
                let command =
                    ports::rewrite_command(&launch.command, &env, launch.declared_port, port);
                (port, env, command)
            }
        };
        let program = Program {
            command,
            env,
            workdir: launch.workdir.clone(),
            netns: netns.as_ref().map(|ns| ns.fd()),
        };
        let child = shared
            .spawn(&program)?
            .ok_or_else(|| RunError::Invalid("stopped while starting".into()))?;
        let supervisor = tokio::spawn(supervise(shared.clone(), program, child));
        let pod = ProcessPod {
            shared,
            port,
            supervisor,
            netns,
            network,
        };
        pod.poll_ready(opts.init_timeout, true).await?;
        Ok(pod)
    }

    /// `http://127.0.0.1:<port>`: the pod URI communicators use.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The loopback port it is reached on (stable across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How it is reached: "its own network namespace", or "the port rewritten (<why>)".
    pub fn network(&self) -> &str {
        &self.network
    }

    /// Whether it runs in its own network namespace.
    pub fn has_netns(&self) -> bool {
        self.netns.is_some()
    }

    /// The current process's pid (its process group id), if one is running.
    pub fn pid(&self) -> Option<u32> {
        self.shared.lock().pgid.and_then(|p| u32::try_from(p).ok())
    }

    /// How many times the supervisor restarted it.
    pub fn restarts(&self) -> u64 {
        self.shared.lock().restarts
    }

    /// Its kept stdout/stderr lines, with the supervisor's own notes, newline-terminated.
    pub fn logs(&self) -> String {
        self.shared.logs.text()
    }

    /// Polls `GET /health` until it answers 200, for at most `timeout` (e.g. after a restart).
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), RunError> {
        self.poll_ready(timeout, false).await
    }

    /// `fail_on_exit`: the first start fails as soon as the process exits.
    async fn poll_ready(&self, timeout: Duration, fail_on_exit: bool) -> Result<(), RunError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| RunError::Invalid(format!("http client: {e}")))?;
        let health = format!("{}/health", self.url());
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(resp) = client.get(&health).send().await {
                if resp.status() == reqwest::StatusCode::OK {
                    return Ok(());
                }
            }
            {
                let state = self.shared.lock();
                if let (true, Some(status)) = (fail_on_exit, &state.last_exit) {
                    return Err(RunError::Exited {
                        status: status.clone(),
                        logs: self.shared.logs.tail(40),
                    });
                }
            }
            if Instant::now() >= deadline {
                return Err(RunError::NotReady {
                    timeout,
                    logs: self.shared.logs.tail(40),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Stops it: SIGTERM to the process group, SIGKILL after a grace period.
    pub async fn stop(self) {
        let pgid = {
            let mut state = self.shared.lock();
            state.stopping = true;
            state.pgid
        };
        if let Some(pgid) = pgid {
            signal_group(pgid, libc::SIGTERM);
            let deadline = Instant::now() + STOP_GRACE;
            while group_alive(pgid) && Instant::now() < deadline {
                tokio::time::sleep(POLL).await;
            }
        }
        // Drop sends SIGKILL to whatever is left.
    }
}

impl Drop for ProcessPod {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.stopping = true;
        if let Some(pgid) = state.pgid.take() {
            signal_group(pgid, libc::SIGKILL);
        }
        self.supervisor.abort();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Spawns the program in a new process group, unless the pod is stopping.
    fn spawn(&self, program: &Program) -> Result<Option<Child>, RunError> {
        let mut state = self.lock();
        if state.stopping {
            return Ok(None);
        }
        let (exe, args) = program
            .command
            .split_first()
            .ok_or_else(|| RunError::Invalid("empty command".into()))?;
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .envs(&program.env)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0);
        if let Some(dir) = &program.workdir {
            cmd.current_dir(dir);
        }
        if let Some(fd) = program.netns {
            // SAFETY: the closure runs in the child between fork and exec and only makes the
            // setns(2) system call (async-signal-safe); `fd` stays open in the parent's pod
            // for as long as it can spawn, so the child's copy of it is valid.
            unsafe {
                cmd.pre_exec(move || netns::join(fd));
            }
        }
        let mut child = cmd
            .spawn()
            .map_err(RunError::io(format!("starting {exe:?}")))?;
        if let Some(out) = child.stdout.take() {
            self.logs.follow(out);
        }
        if let Some(err) = child.stderr.take() {
            self.logs.follow(err);
        }
        state.pgid = child.id().and_then(|p| i32::try_from(p).ok());
        Ok(Some(child))
    }
}

async fn supervise(shared: Arc<Shared>, program: Program, mut child: Child) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let started = Instant::now();
        let status = match child.wait().await {
            Ok(s) => s.to_string(),
            Err(e) => format!("wait failed: {e}"),
        };
        {
            let mut state = shared.lock();
            if let Some(pgid) = state.pgid.take() {
                // The leader is gone; its workers must not keep the port.
                signal_group(pgid, libc::SIGKILL);
            }
            state.last_exit = Some(status.clone());
            if state.stopping {
                return;
            }
        }
        if started.elapsed() > STABLE_UPTIME {
            backoff = MIN_BACKOFF;
        }
        shared.logs.push(format!(
            "[lode] transformer exited ({status}); restarting in {backoff:?}"
        ));
        loop {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            match shared.spawn(&program) {
                Ok(Some(c)) => {
                    child = c;
                    shared.lock().restarts += 1;
                    break;
                }
                Ok(None) => return,
                Err(e) => shared.logs.push(format!("[lode] restart failed: {e}")),
            }
        }
    }
}

/// A network namespace for a transformer whose target is on this machine's loopback;
/// otherwise, or where namespaces are not permitted, why not. `LODE_NETNS=0` turns them off.
fn own_namespace(opts: &PodOptions) -> Result<NetNs, String> {
    if std::env::var("LODE_NETNS").is_ok_and(|v| v == "0") {
        return Err("LODE_NETNS=0".into());
    }
    if loopback_port(&opts.target_url).is_none() {
        return Err(format!(
            "the target {} is not on 127.0.0.1",
            opts.target_url
        ));
    }
    NetNs::new().map_err(|e| format!("no network namespace: {e}"))
}

/// The port of an `http://127.0.0.1:<port>/...` URL.
fn loopback_port(url: &str) -> Option<u16> {
    let rest = url.strip_prefix("http://127.0.0.1:")?;
    let end = rest.find('/').unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Sends `sig` to process group `pgid`; false if there is no such group.
pub(crate) fn signal_group(pgid: i32, sig: libc::c_int) -> bool {
    // SAFETY: killpg has no memory-safety preconditions; `pgid` is the id of a group this
    // crate created (the child was started with process_group(0), so its pid is the pgid).
    unsafe { libc::killpg(pgid, sig) == 0 }
}

fn group_alive(pgid: i32) -> bool {
    signal_group(pgid, 0)
}
