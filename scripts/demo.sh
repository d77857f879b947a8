#!/usr/bin/env bash
# The main job: start a local lode cluster (1 gateway + 3 targets on loopback), make a small
# speech dataset (espeak-ng -> FLAC), upload it, list it, read one object back, stop the cluster.
# Usage: scripts/demo.sh [PORT]   (data under ./lode-data, removed on the next run)
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8080}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export AIS_ENDPOINT="http://127.0.0.1:$port"

cargo build --release -p lode
lode="$CARGO_TARGET_DIR/release/lode"

work=$(mktemp -d)
rm -rf lode-data
"$lode" up --data lode-data --port "$port" --targets 3 &
up_pid=$!
trap 'kill -TERM $up_pid 2>/dev/null; wait $up_pid 2>/dev/null; rm -rf "$work"' EXIT

echo "== sample dataset: speech as FLAC"
mkdir -p "$work/speech"
i=0
for line in "lode runs transforms next to the data" \
            "every target converts what it stores" \
            "the quick brown fox jumps over the lazy dog" \
            "web assembly modules run one instance per core" \
            "objects stream through the transform without a network hop"; do
  i=$((i + 1))
  espeak-ng -w "$work/s$i.wav" "$line"
  flac --silent -f -o "$work/speech/utt-$i.flac" "$work/s$i.wav"
done

for _ in $(seq 100); do "$lode" show cluster >/dev/null 2>&1 && break; sleep 0.1; done
"$lode" show cluster
"$lode" bucket create ais://speech
"$lode" put "$work/speech" ais://speech
"$lode" ls ais://speech
"$lode" get ais://speech/utt-1.flac "$work/back.flac"
cmp "$work/back.flac" "$work/speech/utt-1.flac" && echo "utt-1.flac read back intact"
