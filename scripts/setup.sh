#!/usr/bin/env bash
# Installs what the two README commands need, idempotently, and says what it installs:
#   - the wasm32-wasip1 Rust target (rustup)
#   - Debian packages: ffmpeg sox flac espeak-ng (test audio, the ffmpeg reference),
#     clang lld wasi-libc libclang-rt-dev-wasm32 (the C example), kubernetes-client (kubectl kustomize)
#   - the Python virtualenv of the SDK suite (aistore==2.0.0, pytest) with --venv
# Sourced or run by scripts/demo.sh, scripts/test.sh and .ci/run. Anything that cannot be installed
# gets one line naming it and how to get it, and the script exits non-zero.
# Usage: scripts/setup.sh [--venv] [--test]     (--test: also what only the test command needs)
# Exports nothing; callers derive CARGO_TARGET_DIR themselves (see scripts/env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

want_venv=0
want_test=0
for arg in "$@"; do
  case "$arg" in
    --venv) want_venv=1 ;;
    --test) want_test=1 ;;
    *) echo "setup.sh: unknown argument $arg (want --venv, --test)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
fail() { echo "setup: $*" >&2; exit 1; }

# --- Rust: the wasm32-wasip1 target -------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || fail "cargo not found: install Rust 1.95 with rustup (https://rustup.rs)"
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-wasip1/lib" ]; then
  command -v rustup >/dev/null 2>&1 ||
    fail "the wasm32-wasip1 Rust target is missing and rustup is not here: install it with rustup target add wasm32-wasip1"
  say "installing the wasm32-wasip1 Rust target (rustup target add wasm32-wasip1)"
  rustup target add wasm32-wasip1
fi

# --- Debian packages ----------------------------------------------------------------------------
pkgs=(ffmpeg sox libsox-fmt-all flac espeak-ng clang lld wasi-libc libclang-rt-dev-wasm32)
if [ "$want_test" = 1 ]; then
  # kubectl for scripts/validate-k8s.sh: Debian's kubernetes-client unless something provides it.
  command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)
fi
need=()
for pkg in "${pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 ||
    fail "missing packages ${need[*]} and no apt-get: install them with your package manager"
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 ||
      fail "missing packages ${need[*]}: run as root or install them: apt-get install ${need[*]}"
    sudo=(sudo)
  fi
  say "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >/dev/null
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
for tool in ffmpeg sox flac espeak-ng clang; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is still missing after the install: apt-get install $tool"
done

# --- Python venv for the SDK suite --------------------------------------------------------------
if [ "$want_venv" = 1 ]; then
  command -v python3 >/dev/null 2>&1 || fail "python3 not found: apt-get install python3 python3-venv"
  if [ ! -x "$LODE_VENV/bin/python" ]; then
    say "creating the Python venv $LODE_VENV"
    python3 -m venv "$LODE_VENV" || fail "python3 -m venv failed: apt-get install python3-venv"
  fi
  if ! "$LODE_VENV/bin/python" - <<'PY' 2>/dev/null; then
import importlib.metadata as m, sys
want = {l.split("==")[0]: l.split("==")[1] for l in open("tests/python/requirements.txt").read().split() if "==" in l}
sys.exit(any(m.version(p) != v for p, v in want.items()))
PY
    say "installing tests/python/requirements.txt into $LODE_VENV"
    "$LODE_VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
  fi
fi
say "ok"
