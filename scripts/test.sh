#!/usr/bin/env bash
# Runs every test: Rust unit + end-to-end tests (real clusters of processes on loopback),
# the Wasm examples' tests, and the unmodified `aistore` 2.0.0 Python SDK suite.
# Needs: the Rust toolchain with wasm32-wasip1, clang + wasi-libc, ffmpeg, flac, espeak-ng,
# python3 (see .ci/run for the installs on a fresh Debian machine).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export LODE_WASM_DIR="${LODE_WASM_DIR:-$CARGO_TARGET_DIR/wasm}"
export LODE_BIN="$CARGO_TARGET_DIR/release/lode"

echo "== format"
cargo fmt --all -- --check

echo "== wasm examples"
scripts/build-wasm.sh

echo "== rust tests (release)"
cargo build --release -p lode
cargo test --release --workspace

echo "== kubernetes manifests"
scripts/validate-k8s.sh

echo "== python: aistore SDK suite"
venv="${LODE_VENV:-$CARGO_TARGET_DIR/venv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
"$venv/bin/python" -m pytest tests/python -q -p no:cacheprovider
