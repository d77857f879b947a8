#!/usr/bin/env bash
# Builds every example transform for wasm32-wasip1 and copies the modules to one folder:
#   echo.wasm md5.wasm upper.wasm flac2wav.wasm faults.wasm (Rust, SDK style)
#   rot13_c.wasm (C, WASI command style)
# into ${LODE_WASM_DIR:-${CARGO_TARGET_DIR:-target}/wasm}.
# Needs: rustup target wasm32-wasip1, clang, wasi-libc (WASI_SYSROOT overrides the sysroot).
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
out_dir="${LODE_WASM_DIR:-$target_dir/wasm}"
mkdir -p "$out_dir"

# Built with the workspace's `wasm` profile (release + codegen-units 1, fat LTO, panic abort, no
# DWARF); the name section stays, so traps still name functions. SIMD128: flac2wav's resampler
# inner loop is `i32x4.dot_i16x8_s` (wasmtime enables SIMD by default).
export RUSTFLAGS="${RUSTFLAGS:-} -C debuginfo=0 -C strip=debuginfo -C target-feature=+simd128"

for example in echo md5 upper flac2wav faults; do
    cargo build --profile wasm --target wasm32-wasip1 -p "lode-example-$example"
    cp "$target_dir/wasm32-wasip1/wasm/lode_example_$example.wasm" "$out_dir/$example.wasm"
done

sysroot="${WASI_SYSROOT:-}"
if [ -z "$sysroot" ]; then
    if [ -d /usr/share/wasi-sysroot ]; then
        sysroot=/usr/share/wasi-sysroot
    elif [ -f /usr/lib/wasm32-wasi/libc.a ]; then
        sysroot=/usr # Debian's wasi-libc: /usr/include/wasm32-wasi, /usr/lib/wasm32-wasi
    else
        echo "build-wasm.sh: no wasi-libc sysroot found; install wasi-libc or set WASI_SYSROOT" >&2
        exit 1
    fi
fi
"${WASM_CC:-clang}" --target=wasm32-wasi --sysroot="$sysroot" -O2 -Wall -Wextra -Werror \
    -Wl,--strip-debug -o "$out_dir/rot13_c.wasm" examples-wasm/c-rot13/rot13.c

echo "wasm modules in $out_dir:"
ls -l "$out_dir"/*.wasm
