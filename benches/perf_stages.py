#!/usr/bin/env python3
"""CPU per object by stage, from a system-wide `perf record -a -g` over a seed bench run.

Usage (BENCHMARKS.md, "Seed job: where each millisecond goes"):

    LODE_WASM_PERFMAP=1 LODE_SEED_MODES=wasm perf record -a -g -F 999 -o seed.data -- \
        $CARGO_TARGET_DIR/release/deps/seed-<hash> --bench
    perf script -i seed.data | python3 benches/perf_stages.py --objects 200

Only samples between the first and the last guest (JIT) sample count: that is the job, not
the cluster start, the upload or the checks. Each sample goes to the first stage whose
pattern matches its call chain (leaf first), so a kernel copy under `write(2)` of a data
file is "file write", one under a socket send is "socket send", and so on.
"""

import argparse
import collections
import os
import re
import sys

# (stage, pattern over the joined call chain), first match wins; the chain is leaf first.
STAGES = [
    ("idle", re.compile(r"^swapper|pv_native_safe_halt|cpuidle|do_idle")),
    ("fsync", re.compile(r"ext4_sync_file|do_fsync|__x64_sys_fsync|jbd2")),
    ("file write (page cache)", re.compile(r"ext4_buffered_write_iter|generic_perform_write|ext4_da_write")),
    ("socket send", re.compile(r"tcp_sendmsg|__sys_sendto|sock_write_iter")),
    ("socket receive", re.compile(r"tcp_recvmsg|sock_read_iter|__sys_recvfrom")),
    ("checksum (xxh64)", re.compile(r"xxh64|Xxh64")),
    ("guest compute", GUEST := re.compile(r"\[JIT\]|perf-\d+\.map|lode_example_|claxon::|rubato::|wasm\[")),
    ("copy in/out of guest memory", re.compile(r"write_output|read_input|memory_copy|Sink::write|Source::read|copy_to_guest|lode_runtime::sdk")),
    ("page faults", re.compile(r"exc_page_fault|handle_mm_fault")),
    ("mmap/munmap", re.compile(r"do_mmap|__vm_munmap|do_vmi_munmap|madvise")),
    ("file open/rename/stat", re.compile(r"do_sys_openat|do_renameat|vfs_statx|do_unlinkat|__x64_sys_newfstat|ext4_create")),
    ("HTTP (hyper/axum/reqwest)", re.compile(r"hyper::|axum::|reqwest::|h2::|http_body")),
    ("memmove/memset (other)", re.compile(r"__memmove|__memset|__memcpy")),
    ("scheduler/futex/epoll", re.compile(r"futex|schedule|epoll|try_to_wake_up|finish_task_switch|tokio::runtime")),
    ("module compile (setup)", re.compile(r"cranelift|regalloc2|wasmparser")),
]


def samples(stream):
    """Yields (comm, time_s, frames) per sample of `perf script` output."""
    head, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line:
            if head:
                yield head[0], head[1], frames
            head, frames = None, []
            continue
        if head is None:
            m = re.match(r"^\s*(.+?)\s+\d+(?:/\d+)?\s+(?:\[\d+\]\s+)?(\d+\.\d+):", line)
            if m:
                head = (m.group(1), float(m.group(2)))
        else:
            parts = line.strip().split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else parts[0])
    if head:
        yield head[0], head[1], frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, required=True, help="objects the job converted")
    args = ap.parse_args()
    all_samples = list(samples(sys.stdin))
    jit = [t for comm, t, fr in all_samples if comm.startswith("lode-wasm") and fr and GUEST.search(fr[0])]
    if not jit:
        sys.exit("no guest samples: was LODE_WASM_PERFMAP=1 set and the wasm mode run?")
    start, end = min(jit), max(jit)
    counts = collections.Counter()
    for comm, t, frames in all_samples:
        if not start <= t <= end:
            continue
        chain = comm + " " + " ".join(frames)
        stage = next((name for name, pat in STAGES if pat.search(chain)), "other")
        counts[stage] += 1
    total = sum(counts.values())
    window = end - start
    ncpu = os.cpu_count() or 1
    print(f"job window {window:.2f} s on {ncpu} CPUs, {total} samples, {args.objects} objects")
    print(f"{'stage':34} {'share':>7} {'ms CPU / object':>16}")
    busy_ms = 0.0
    for name, n in counts.most_common():
        share = n / total
        # The window holds window x CPUs of CPU time; each stage has its share of it.
        ms = share * window * ncpu * 1000 / args.objects
        if name != "idle":
            busy_ms += ms
        print(f"{name:34} {share:7.1%} {ms:16.2f}")
    print(f"{'busy total':34} {'':7} {busy_ms:16.2f}")


if __name__ == "__main__":
    main()
