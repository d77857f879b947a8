#!/usr/bin/env bash
# Runs every test: Rust unit + end-to-end tests (real clusters of processes on loopback),
# the Wasm examples' tests, and the unmodified `aistore` 2.0.0 Python SDK suite.
# Installs what it needs first (scripts/setup.sh: the wasm32-wasip1 target, Debian packages, the
# SDK venv). Fails on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== set-up (what is missing gets installed)"
scripts/setup.sh --venv --test
. scripts/env.sh

echo "== format"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --release --workspace --all-targets -- -D warnings
# Without the kubernetes feature (kube and k8s-openapi left out) it must build too.
cargo clippy --release -p lode-container -p lode-node --no-default-features --all-targets -- -D warnings
# Without the container backend (lode-container left out of lode-etl) it must build and pass too.
cargo clippy --release -p lode-etl --no-default-features --all-targets -- -D warnings
cargo test --release -p lode-etl --no-default-features

echo "== wasm examples"
scripts/build-wasm.sh

echo "== rust tests (release)"
cargo build --release -p lode
cargo test --release --workspace

echo "== kubernetes manifests"
scripts/validate-k8s.sh

echo "== python: aistore SDK suite"
"$LODE_VENV/bin/python" -m pytest tests/python -q -p no:cacheprovider
