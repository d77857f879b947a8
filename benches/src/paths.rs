//! Where the benches find what the build produced: the `lode` binary and the Wasm modules.

use std::path::{Path, PathBuf};

use crate::Result;

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `$CARGO_TARGET_DIR`, else `target/` in the workspace root.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from)
}

/// `$LODE_WASM_DIR`, else `wasm/` in the target dir (where `scripts/build-wasm.sh` puts them).
pub fn wasm_dir() -> PathBuf {
    std::env::var_os("LODE_WASM_DIR").map_or_else(|| target_dir().join("wasm"), PathBuf::from)
}

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
