# Sourced by the scripts: where builds, Wasm modules and the test venv live.
# CARGO_TARGET_DIR defaults to a per-user cache outside the clone, so every clone on a machine
# (and CI on a clean clone) reuses one wasmtime build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lode/target}"
export LODE_WASM_DIR="${LODE_WASM_DIR:-$CARGO_TARGET_DIR/wasm}"
export LODE_BIN="${LODE_BIN:-$CARGO_TARGET_DIR/release/lode}"
export LODE_VENV="${LODE_VENV:-$CARGO_TARGET_DIR/venv}"
mkdir -p "$CARGO_TARGET_DIR"
