#!/usr/bin/env bash
# The main job: a local lode cluster (1 gateway + 3 targets on loopback), a LibriSpeech-like
# dataset (espeak-ng speech, 16 kHz mono FLAC), the flac2wav Wasm transform initialized on every
# target, the bucket converted to 44.1 kHz stereo WAV next to the data with a progress bar, and
# a summary of the job plus one converted file.
# Usage: scripts/demo.sh [FILES=24] [PORT=8080]   (cluster data under ./lode-data, wiped first)
set -euo pipefail
cd "$(dirname "$0")/.."
files="${1:-24}"
port="${2:-8080}"
export AIS_ENDPOINT="http://127.0.0.1:$port"

echo "== set-up (what is missing gets installed)"
scripts/setup.sh
. scripts/env.sh

echo "== build (release) and the Wasm examples"
cargo build --release -p lode
scripts/build-wasm.sh
lode="$CARGO_TARGET_DIR/release/lode"

work=$(mktemp -d)
rm -rf lode-data
"$lode" up --data lode-data --port "$port" --targets 3 > "$work/up.log" 2>&1 &
up_pid=$!
trap 'kill -TERM $up_pid 2>/dev/null; wait $up_pid 2>/dev/null; rm -rf "$work"' EXIT

echo "== dataset: $files speech files (16 kHz mono FLAC, 5-20 s each)"
scripts/gen-speech.sh "$work/LibriSpeech" "$files"

for _ in $(seq 300); do grep -q "cluster ready" "$work/up.log" && break; sleep 0.1; done
"$lode" show cluster

echo "== data in"
"$lode" bucket create ais://librispeech
"$lode" put "$work/LibriSpeech" ais://librispeech

echo "== Wasm ETL: flac2wav (AR=44100, AC=2 by default) on every target"
"$lode" etl init code --name flac2wav --runtime wasm32 --from-file "$LODE_WASM_DIR/flac2wav.wasm" --arg-type fqn
"$lode" etl show

echo "== bucket -> bucket transform, next to the data"
"$lode" etl bucket flac2wav ais://librispeech ais://librispeech-wav --ext '{flac:wav}' --wait \
  | tee "$work/job.txt"
xid=$(sed -n 's/^ETL\[flac2wav\]: job "\([^"]*\)".*/\1/p' "$work/job.txt")

echo "== summary"
"$lode" job show "$xid"
"$lode" ls ais://librispeech-wav | head -n 6
one=$("$lode" ls ais://librispeech-wav --raw | awk 'NR == 2 { print $1 }')
"$lode" get "ais://librispeech-wav/$one" "$work/one.wav"
src="${one%.wav}.flac"
"$lode" get "ais://librispeech/$src" "$work/one.flac"
printf '%s: %s s, %s Hz, %s channel(s)  (source %s: %s Hz, %s channel(s))\n' \
  "$one" "$(soxi -D "$work/one.wav")" "$(soxi -r "$work/one.wav")" "$(soxi -c "$work/one.wav")" \
  "$src" "$(soxi -r "$work/one.flac")" "$(soxi -c "$work/one.flac")"
