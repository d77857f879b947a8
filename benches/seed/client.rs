//! The Python side of the seed bench: the venv with `aistore[etl]==2.0.0` (the transformer's,
//! and the client baseline's), and running `benches/client_baseline.py`.

use std::path::PathBuf;
use std::time::Duration;

use lode_benches::{repo_root, target_dir, Result};

/// What the transformer and the client baseline need (`etl` adds FastAPI and uvicorn).
const SDK: &str = "aistore[etl]==2.0.0";

/// The interpreter of a venv with `aistore[etl]==2.0.0`: one the container crate's tests
/// built under `$CARGO_TARGET_DIR/tmp/container-venv` (marked `.lode-ready`), else one built
/// there the same way (pip against PyPI: minutes), as `tests/python/test_etl_container.py`
/// does. Not through `lode_container::ensure_venv`: that would tie the bench to the container
/// crate's Kubernetes dependencies.
pub async fn python() -> Result<PathBuf> {
    let root = target_dir().join("tmp/container-venv");
    if let Ok(entries) = std::fs::read_dir(&root) {
        let mut ready: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|dir| dir.join(".lode-ready").is_file() && dir.join("bin/python").is_file())
            .collect();
        ready.sort();
        if let Some(dir) = ready.into_iter().next() {
            return Ok(dir.join("bin/python"));
        }
    }
    let venv = root.join("seed-bench");
    let mut create = tokio::process::Command::new("python3");
    create.args(["-m", "venv", "--clear"]).arg(&venv);
    let mut install = tokio::process::Command::new(venv.join("bin/pip"));
    install.args(["install", "--quiet", SDK]);
    for mut step in [create, install] {
        if !step.status().await.is_ok_and(|s| s.success()) {
            return Err(format!("building the venv: {step:?} failed"));
        }
    }
    std::fs::write(venv.join(".lode-ready"), b"").map_err(|e| format!("marking the venv: {e}"))?;
    Ok(venv.join("bin/python"))
}

/// Runs the client-side baseline (`benches/client_baseline.py`: list, then GET -> ffmpeg ->
/// PUT per object on `threads` threads) from `src` to `dst`; returns the time it measured
/// from listing to the last PUT, without the interpreter's start.
pub async fn baseline(
    python: PathBuf,
    gw: &str,
    src: &str,
    dst: &str,
    threads: usize,
) -> Result<Duration> {
    let script = repo_root().join("benches/client_baseline.py");
    let args = [
        gw.to_owned(),
        src.to_owned(),
        dst.to_owned(),
        threads.to_string(),
    ];
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .args(&args)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "client baseline failed ({}):\n{}",
            out.status,
            tail.join("\n")
        ));
    }
    let report: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .ok_or_else(|| format!("client baseline printed no JSON: {stdout:?}"))?;
    report["seconds"]
        .as_f64()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("client baseline: no seconds in {report}"))
}
