#!/usr/bin/env bash
# Makes a LibriSpeech-like dataset: English speech from espeak-ng (several voices and speeds),
# 16 kHz mono 16-bit FLAC, 5-20 s per file, named speaker/chapter/speaker-chapter-NNNN.flac.
# Usage: scripts/gen-speech.sh OUT_DIR [FILES=100] [SEED=1]
# Deterministic for a given FILES and SEED. Needs espeak-ng and sox (with FLAC support).
set -euo pipefail
out="${1:?usage: gen-speech.sh OUT_DIR [FILES] [SEED]}"
files="${2:-100}"
seed="${3:-1}"
mkdir -p "$out"

sentences=(
  "It was a bright cold day in April, and the clocks were striking thirteen."
  "Call me Ishmael; some years ago, never mind how long precisely, I thought I would sail about a little."
  "The story so far: in the beginning the universe was created, which made a lot of people very angry."
  "Happy families are all alike, but every unhappy family is unhappy in its own way."
  "It is a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife."
  "The sky above the port was the color of television, tuned to a dead channel."
  "Many years later, as he faced the firing squad, he was to remember that distant afternoon."
  "In a hole in the ground there lived a hobbit, not a nasty, dirty, wet hole, filled with the ends of worms."
  "All this happened, more or less, and the war parts, anyway, are pretty much true."
  "Whether I shall turn out to be the hero of my own life, these pages must show."
  "The past is a foreign country; they do things differently there."
  "It was the best of times, it was the worst of times, it was the age of wisdom."
  "A screaming comes across the sky; it has happened before, but there is nothing to compare it to now."
  "The man in black fled across the desert, and the gunslinger followed."
  "Mother died today, or maybe yesterday; I can not be sure."
  "Every object in the bucket is converted by the target that stores it, next to the data."
)
voices=(en-us en-gb en-gb-scotland en-us+f3 en-us+m3 en-gb+f2 en+m7 en-us+f4)

one() { # index
  local i=$1 r speaker chapter voice speed text n k dir name
  r=$(( (i * 2654435761 + seed * 40503) & 0x7fffffff ))
  speaker=$(( 19 + (i / 25) * 7 ))
  chapter=$(( 198 + (i / 5) % 5 * 31 ))
  voice=${voices[$(( speaker % ${#voices[@]} ))]}
  speed=$(( 140 + r % 60 ))
  n=$(( 2 + r % 4 ))
  text=""
  for ((k = 0; k < n; k++)); do
    text+="${sentences[$(( (r / 7 + k * 5) % ${#sentences[@]} ))]} "
  done
  dir="$out/$speaker/$chapter"
  name=$(printf '%s/%d-%d-%04d.flac' "$dir" "$speaker" "$chapter" "$i")
  mkdir -p "$dir"
  local wav="$name.tmp.wav" len
  espeak-ng -w "$wav" -v "$voice" -s "$speed" "$text"
  len=$(soxi -D "$wav")
  # at least 5 s (silence appended), at most 20 s
  sox -R -V1 "$wav" -r 16000 -c 1 -b 16 "$name" gain -1 \
    pad 0 "$(awk -v l="$len" 'BEGIN { printf "%.3f", (l < 5 ? 5 - l : 0) }')" trim 0 20
  rm -f "$wav"
}
export -f one
export out seed
export sentences_def="$(declare -p sentences voices)"

seq 0 $((files - 1)) | xargs -P "$(nproc)" -I{} bash -c 'eval "$sentences_def"; one {}'
echo "$files FLAC files under $out ($(du -sh "$out" | cut -f1))"
