//! The `lode up` process guard: a local cluster on free loopback ports and a temp data dir.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// A `lode up` cluster that is stopped (SIGTERM, then SIGKILL of its process group) on drop.
pub struct Cluster {
    child: Child,
    endpoint: String,
    /// Holds `data/` (the cluster's) and `lode-up.log` (its output).
    root: tempfile::TempDir,
}

impl Cluster {
    /// Starts `lode up` with one gateway and `targets` targets; see [`Cluster::wait_ready`].
    pub fn start(lode: &Path, targets: usize) -> Result<Self> {
        let root = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let log = std::fs::File::create(root.path().join("lode-up.log"))
            .and_then(|f| Ok((f.try_clone()?, f)))
            .map_err(|e| format!("log file: {e}"))?;
        let port = free_port_block(targets + 1)?;
        let child = Command::new(lode)
            .args([
                "up",
                "--port",
                &port.to_string(),
                "--targets",
                &targets.to_string(),
            ])
            .arg("--data")
            .arg(root.path().join("data"))
            // LODE_BENCH_NO_FSYNC=1 measures without the per-object fsync (AIStore's default
            // does not fsync each object either).
            .args(
                std::env::var_os("LODE_BENCH_NO_FSYNC")
                    .filter(|v| v == "1")
                    .map(|_| "--no-fsync"),
            )
            // LODE_BENCH_ETL_WORKERS=N: `lode up --etl-workers N` (default: one per core per target).
            .args(
                std::env::var("LODE_BENCH_ETL_WORKERS")
                    .map_or(Vec::new(), |n| vec!["--etl-workers".to_owned(), n]),
            )
            .stdin(Stdio::null())
            .stdout(log.0)
            .stderr(log.1)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("{}: {e}", lode.display()))?;
        Ok(Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
        })
    }

    /// The gateway's URL, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Waits until the gateway is healthy and its smap lists `targets` targets.
    pub async fn wait_ready(&mut self, http: &reqwest::Client, targets: usize) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "lode up exited early: {status}\n{}",
                    self.log_tail()
                ));
            }
            let smap_url = format!("{}/v1/daemon?what=smap", self.endpoint);
            if let Ok(resp) = http.get(&smap_url).send().await {
                if let Ok(smap) = resp.json::<serde_json::Value>().await {
                    let n = smap["tmap"].as_object().map_or(0, |m| m.len());
                    let health = format!("{}/v1/health", self.endpoint);
                    let healthy = http
                        .get(&health)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if n >= targets && healthy {
                        return Ok(());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!("cluster not ready after 60 s\n{}", self.log_tail()))
    }

    /// The last lines `lode up` and its daemons printed.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.root.path().join("lode-up.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain signal sends to the process (group) this guard spawned; no memory involved.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above; the group was created by `process_group(0)` at spawn.
        unsafe { libc::killpg(pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// The first of `count` consecutive ports that are all free on 127.0.0.1 (`lode up` takes
/// the gateway's port and the next `count - 1` for its targets).
fn free_port_block(count: usize) -> Result<u16> {
    let bindable = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
    for _ in 0..200 {
        let base = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("bind: {e}"))?
            .port();
        if (0..count as u16).all(|i| base.checked_add(i).is_some_and(bindable)) {
            return Ok(base);
        }
    }
    Err("no free port block on 127.0.0.1".into())
}
