//! The cluster bench's plumbing: the `lode up` process guard, free ports, finding the binary,
//! and running N operations with bounded concurrency on tasks or threads.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests (or file operations) in flight at once.
pub(crate) const CONCURRENCY: usize = 8;

pub(crate) type Result<T> = std::result::Result<T, String>;

/// A `lode up` cluster that is stopped (SIGTERM, then SIGKILL of its process group) on drop.
pub(crate) struct Cluster {
    child: Child,
    pub(crate) endpoint: String,
    /// Holds `data/` (the cluster's) and `lode-up.log` (its output).
    root: tempfile::TempDir,
}

impl Cluster {
    pub(crate) fn start(lode: &Path, targets: usize) -> Result<Self> {
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

    /// Waits until the gateway is healthy and its smap lists `targets` targets.
    pub(crate) async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        targets: usize,
    ) -> Result<()> {
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

fn free_port_block(count: usize) -> Result<u16> {
    let bindable = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
    for _ in 0..200 {
        let base = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("bind: {e}"))?
            .port();
        let ports = (0..count as u16).map(|i| base.checked_add(i));
        if ports.clone().all(|p| p.is_some_and(bindable)) {
            return Ok(base);
        }
    }
    Err("no free port block on 127.0.0.1".into())
}

/// `$LODE_BIN`, else `lode` in the profile dir the bench executable was built into.
pub(crate) fn lode_bin() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("LODE_BIN") {
        return Ok(bin.into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("bench exe has no profile dir")?;
    let bin = profile_dir.join("lode");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} missing: run `cargo build --release -p lode` or set LODE_BIN",
            bin.display()
        ))
    }
}

/// Runs `op(i)` for every i in 0..count on CONCURRENCY tasks; returns the wall time.
pub(crate) async fn run_tasks<F, Fut>(count: usize, op: F) -> Result<Duration>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::<Result<()>>::new();
    for _ in 0..CONCURRENCY {
        let (op, next) = (op.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok(());
                }
                op(i).await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| format!("task: {e}"))??;
    }
    Ok(start.elapsed())
}

/// Runs `op(i)` for every i in 0..count on CONCURRENCY threads; returns the wall time.
pub(crate) fn run_threads(
    count: usize,
    op: impl Fn(usize, &mut Vec<u8>) -> Result<()> + Sync,
) -> Result<Duration> {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    let mut buf = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return Ok(());
                        }
                        op(i, &mut buf)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| "worker panicked".to_string())?)
    })?;
    Ok(start.elapsed())
}
