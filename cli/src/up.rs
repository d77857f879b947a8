//! `lode up`: a local cluster in the foreground. Starts one gateway and N targets as child
//! processes of this same binary (`lode node ...`), waits until every target has joined, prints
//! the endpoint, and on Ctrl-C or SIGTERM stops every process it started (by pid) and waits.
//!
//! Layout under `--data DIR`: `DIR/gateway` (cluster map, buckets), `DIR/t1..tN` (each target's
//! identity and mountpath `DIR/tK/mp`). Ports: gateway P, targets P+1..P+N, ids t1..tN, so a
//! restart on the same DIR and port brings back the same cluster map, buckets and objects.

// unsafe here: signals to the nodes `lode up` spawned; each block says why it is sound.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::Command;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

/// How long the cluster may take to come up.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long children get to stop after SIGTERM before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Arguments of `lode up`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of storage targets.
    #[arg(long, default_value_t = 3)]
    targets: u16,
    /// Data directory of the whole cluster.
    #[arg(long, default_value = "./lode-data")]
    data: PathBuf,
    /// Gateway port; targets use the next ports.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Skip fsync on PUT (faster, not crash-safe).
    #[arg(long)]
    no_fsync: bool,
    /// Worker threads per Wasm ETL on each target (0 = one per core). One per core on every
    /// target is the default even though the targets share the machine: an offline job
    /// overlaps one object's delivery with the next one's transform, and on 2 cores with 3
    /// targets 2 workers each beat 1 each by 15-30% (BENCHMARKS.md).
    #[arg(long, default_value_t = 0)]
    etl_workers: usize,
    /// Multipart uploads nothing touched for this long are removed (Go duration).
    #[arg(long, default_value = "24h", value_parser = lode_wire::duration::parse)]
    upload_max_age: std::time::Duration,
    /// Container ETL settings, passed to every target. With the kubernetes runner each target
    /// gets the node name `lode-<target id>` (env NODE_NAME) unless the file sets one.
    #[command(flatten)]
    etl: crate::node::EtlArgs,
}

struct Proc {
    name: String,
    pid: u32,
    running: bool,
}

/// Run the cluster until Ctrl-C / SIGTERM.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.targets == 0 {
        bail!("--targets must be at least 1");
    }
    if u32::from(args.port) + u32::from(args.targets) > u32::from(u16::MAX) {
        bail!(
            "ports {}..{} do not fit",
            args.port,
            u32::from(args.port) + u32::from(args.targets)
        );
    }
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("create {}", args.data.display()))?;
    let data = std::fs::canonicalize(&args.data)
        .with_context(|| format!("resolve {}", args.data.display()))?;
    let exe = std::env::current_exe().context("locate the lode binary")?;
    let gateway_url = format!("http://127.0.0.1:{}", args.port);
    let mut term = signal(SignalKind::terminate()).context("install SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("install SIGINT handler")?;

    let (exits_tx, mut exits) = mpsc::unbounded_channel::<(usize, std::io::Result<ExitStatus>)>();
    let mut procs: Vec<Proc> = Vec::new();
    let mut specs = vec![("gateway".to_owned(), gateway_args(&args, &data), None)];
    for k in 1..=args.targets {
        let argv = target_args(&args, &data, k, &gateway_url);
        specs.push((format!("t{k}"), argv, Some(format!("lode-t{k}"))));
    }
    for (name, argv, node_name) in specs {
        match spawn(&exe, &argv, node_name.as_deref()) {
            Ok(mut child) => {
                let idx = procs.len();
                procs.push(Proc {
                    name,
                    pid: child.id().unwrap_or(0),
                    running: true,
                });
                let tx = exits_tx.clone();
                tokio::spawn(async move {
                    let _ = tx.send((idx, child.wait().await));
                });
            }
            Err(e) => {
                stop(&mut procs, &mut exits).await;
                return Err(e).with_context(|| format!("start {name}"));
            }
        }
    }

    let ids: Vec<String> = (1..=args.targets).map(|k| format!("t{k}")).collect();
    let started = Instant::now();
    let mut poll = tokio::time::interval(Duration::from_millis(200));
    let mut ready = false;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            Some((idx, status)) = exits.recv() => {
                procs[idx].running = false;
                let what = describe(status);
                eprintln!("lode: {} (pid {}) exited unexpectedly: {what}", procs[idx].name, procs[idx].pid);
                if idx == 0 || !ready {
                    stop(&mut procs, &mut exits).await;
                    bail!("{} exited: {what}", procs[idx].name);
                }
            }
            _ = poll.tick(), if !ready => {
                if cluster_ready(&gateway_url, &ids).await {
                    ready = true;
                    println!("lode: cluster ready at {gateway_url} (gateway p1, targets t1..t{}, data {})",
                        args.targets, data.display());
                } else if started.elapsed() > READY_TIMEOUT {
                    stop(&mut procs, &mut exits).await;
                    bail!("the cluster did not become ready within {READY_TIMEOUT:?}");
                }
            }
        }
    }
    eprintln!("lode: stopping the cluster");
    stop(&mut procs, &mut exits).await;
    Ok(())
}

fn gateway_args(args: &Args, data: &Path) -> Vec<String> {
    let dir = data.join("gateway");
    vec![
        "node".into(),
        "gateway".into(),
        "--port".into(),
        args.port.to_string(),
        "--data".into(),
        dir.display().to_string(),
        "--module-cache".into(),
        data.join("wasm-cache").display().to_string(),
    ]
}

fn target_args(args: &Args, data: &Path, k: u16, gateway_url: &str) -> Vec<String> {
    let dir = data.join(format!("t{k}"));
    let mut v: Vec<String> = vec![
        "node".into(),
        "target".into(),
        "--id".into(),
        format!("t{k}"),
        "--port".into(),
        (args.port + k).to_string(),
        "--gateway".into(),
        gateway_url.to_owned(),
        "--data".into(),
        dir.display().to_string(),
        "--module-cache".into(),
        data.join("wasm-cache").display().to_string(),
        "--etl-dir".into(),
        data.join("etl").display().to_string(),
    ];
    if args.no_fsync {
        v.push("--no-fsync".into());
    }
    v.extend(["--etl-workers".into(), args.etl_workers.to_string()]);
    let max_age = format!("{}ms", args.upload_max_age.as_millis());
    v.extend(["--upload-max-age".into(), max_age]);
    v.extend(args.etl.to_args());
    v
}

/// Starts `exe argv`; a target gets `NODE_NAME` (its Kubernetes node for the kubernetes runner).
fn spawn(
    exe: &Path,
    argv: &[String],
    node_name: Option<&str>,
) -> std::io::Result<tokio::process::Child> {
    let mut cmd = Command::new(exe);
    cmd.args(argv).stdin(Stdio::null());
    if let Some(node) = node_name {
        cmd.env("NODE_NAME", node);
    }
    // SAFETY: the closure runs in the forked child before exec and only calls prctl, which is
    // async-signal-safe; it asks the kernel to SIGTERM the child if `lode up` dies (even by
    // SIGKILL), so no daemon outlives its supervisor.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// All targets are in the gateway's cluster map and answer health.
async fn cluster_ready(gateway_url: &str, ids: &[String]) -> bool {
    let client = reqwest::Client::new();
    let smap: serde_json::Value = match client
        .get(format!("{gateway_url}/v1/daemon?what=smap"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => match r.json().await {
            Ok(v) => v,
            Err(_) => return false,
        },
        _ => return false,
    };
    for id in ids {
        let Some(url) = smap["tmap"][id]["public_net"]["direct_url"].as_str() else {
            return false;
        };
        let healthy = client
            .get(format!("{url}/v1/health"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if !healthy {
            return false;
        }
    }
    true
}

fn describe(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(s) => s.to_string(),
        Err(e) => format!("cannot wait: {e}"),
    }
}

/// SIGTERM every running child, wait for them, SIGKILL the ones that do not stop in time.
async fn stop(
    procs: &mut [Proc],
    exits: &mut mpsc::UnboundedReceiver<(usize, std::io::Result<ExitStatus>)>,
) {
    for p in procs.iter().filter(|p| p.running && p.pid != 0) {
        signal_pid(p.pid, libc::SIGTERM);
    }
    let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
    while procs.iter().any(|p| p.running) {
        match tokio::time::timeout_at(deadline, exits.recv()).await {
            Ok(Some((idx, _))) => procs[idx].running = false,
            Ok(None) => break,
            Err(_) => {
                for p in procs.iter().filter(|p| p.running && p.pid != 0) {
                    eprintln!("lode: {} (pid {}) did not stop, killing it", p.name, p.pid);
                    signal_pid(p.pid, libc::SIGKILL);
                }
                while procs.iter().any(|p| p.running) {
                    match exits.recv().await {
                        Some((idx, _)) => procs[idx].running = false,
                        None => break,
                    }
                }
            }
        }
    }
}

fn signal_pid(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) takes plain integers; `pid` is a child we started and have not yet
        // reaped (its exit has not been reported), so the pid cannot have been reused.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}
