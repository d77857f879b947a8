//! Where the benches find what the build produced: the `lode` binary and the Wasm modules.

use std::path::{Path, PathBuf};

use crate::Result;

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub use lode_testkit::{target_dir, wasm_dir};

/// `$LODE_BIN`, else `lode` in the profile dir the bench executable was built into.
pub fn lode_bin() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("LODE_BIN") {
        return Ok(bin.into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("bench exe has no profile dir")?
        .join("lode");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} missing: run `cargo build --release -p lode` or set LODE_BIN",
            bin.display()
        ))
    }
}
