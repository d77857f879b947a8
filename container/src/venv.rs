//! Per-ETL Python virtualenvs, cached by a hash of (interpreter, SDK, dependencies).
//!
//! `ensure_venv` creates `<root>/<hash>` with `python -m venv` and pip-installs
//! [`SDK_REQUIREMENT`] plus the ETL's dependencies, then marks it ready. An exclusive
//! `flock` on `<root>/<hash>.lock` makes concurrent callers (several targets, parallel
//! tests) build it once and share it; a half-built venv from a crash is rebuilt.

// unsafe here: an exclusive flock(2) on the venv lock file; each block says why it is sound.
#![allow(unsafe_code)]

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::RunError;

/// The SDK whose web servers run the user's code.
pub const SDK_REQUIREMENT: &str = "aistore[etl]==2.0.0";

const READY: &str = ".lode-ready";

/// Returns the virtualenv for `deps` under `root`, creating it if needed (this can take
/// minutes: it runs pip against PyPI). `python` is the interpreter that creates it.
pub async fn ensure_venv(root: &Path, python: &str, deps: &[String]) -> Result<PathBuf, RunError> {
    let (root, python, deps) = (root.to_owned(), python.to_owned(), deps.to_vec());
    tokio::task::spawn_blocking(move || ensure_blocking(&root, &python, &deps))
        .await
        .map_err(|e| RunError::Python(format!("venv task failed: {e}")))?
}

fn ensure_blocking(root: &Path, python: &str, deps: &[String]) -> Result<PathBuf, RunError> {
    let mut sorted = deps.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut hash = Sha256::new();
    for part in [python, SDK_REQUIREMENT]
        .into_iter()
        .chain(sorted.iter().map(String::as_str))
    {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let key = &hex::encode(hash.finalize())[..16];
    std::fs::create_dir_all(root).map_err(RunError::io(format!("creating {}", root.display())))?;
    let dir = root.join(key);
    let lock_path = root.join(format!("{key}.lock"));
    let lock = File::create(&lock_path)
        .map_err(RunError::io(format!("creating {}", lock_path.display())))?;
    // SAFETY: flock on a descriptor we own; it stays open (and locked) until `lock` drops.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(RunError::io("locking the venv")(
            std::io::Error::last_os_error(),
        ));
    }
    if dir.join(READY).exists() {
        return Ok(dir);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(RunError::io(format!("removing {}", dir.display())))?;
    }
    run(
        Command::new(python).args(["-m", "venv"]).arg(&dir),
        "python -m venv",
    )?;
    let pip = dir.join("bin/pip");
    run(
        Command::new(&pip)
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                SDK_REQUIREMENT,
            ])
            .args(&sorted),
        "pip install",
    )?;
    File::create(dir.join(READY)).map_err(RunError::io("marking the venv ready"))?;
    Ok(dir)
}

fn run(cmd: &mut Command, what: &str) -> Result<(), RunError> {
    let out = cmd.output().map_err(RunError::io(what.to_owned()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
    Err(RunError::Python(format!(
        "{what} failed ({}):\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    )))
}

/// The interpreter for Python `version` (`"3.11"`): `python3.11` if it is on `PATH`, else
/// `python3`.
pub fn python_interpreter(version: &str) -> String {
    let exact = format!("python{version}");
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(&exact).is_file()));
    if found {
        exact
    } else {
        "python3".into()
    }
}
