//! Where the build puts what tests need.

use std::path::{Path, PathBuf};

/// `$CARGO_TARGET_DIR`, else `target/` in the workspace root.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// `$LODE_WASM_DIR`, else `wasm/` in the target dir (where `scripts/build-wasm.sh` puts the
/// example modules).
pub fn wasm_dir() -> PathBuf {
    std::env::var_os("LODE_WASM_DIR").map_or_else(|| target_dir().join("wasm"), PathBuf::from)
}

/// The bytes of example module `file` (`md5.wasm`, ...); panics naming the script to run.
pub fn wasm_module(file: &str) -> Vec<u8> {
    let path = wasm_dir().join(file);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/build-wasm.sh first", path.display()))
}

/// The directory the test virtualenvs live in, kept across runs (it is slow to fill): Cargo's
/// `CARGO_TARGET_TMPDIR`, `tmp/` in the target dir.
pub fn venv_root() -> PathBuf {
    target_dir().join("tmp").join("container-venv")
}
