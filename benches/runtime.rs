//! Wasm runtime micro-benchmarks (owner: runtime).
//!
//! - `overhead/*`: per-object cost on the echo module with a reused vs a fresh instance, for
//!   0 B, 4 KiB, 1 MiB and 64 MiB, on the caller's thread ([`Worker`]); `pool_0B` adds the
//!   hop to a pool thread and back; `command_fresh/*` is the C rot13 WASI command (always a
//!   fresh instance, stdio wired per object). Goals: <= 5 us reused, <= 20 us fresh (both
//!   styles), 64 MiB echo >= 2 GB/s on one core.
//! - `md5/*`, `flac2wav/*`: the example transforms in Wasm vs the same Rust compiled
//!   natively, input from bytes vs a memory-mapped file. Goal: wasm/native >= 0.7.
//!
//! Needs the example modules (`scripts/build-wasm.sh`) in `$LODE_WASM_DIR` (default
//! `$CARGO_TARGET_DIR/wasm`) and the `flac` command. Run:
//! `cargo bench -p lode-benches --bench runtime`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lode_benches::wasm_dir;
use lode_runtime::{
    Input, Limits, Module, Output, Pool, PoolConfig, Request, Runtime, RuntimeConfig, Worker,
};

fn load(runtime: &Runtime, name: &str) -> Module {
    let path = wasm_dir().join(name);
    let wasm = std::fs::read(&path)
        .unwrap_or_else(|err| panic!("{}: {err}: run scripts/build-wasm.sh first", path.display()));
    runtime
        .load(&wasm, Limits::default())
        .expect("example module loads")
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) % 251) as u8).collect()
}

fn run(worker: &mut Worker, input: Input, args: &str) -> Vec<u8> {
    let request = Request::new("bench/object", input, Output::Vec).with_args(args);
    worker
        .run(request)
        .expect("transform succeeds")
        .output
        .unwrap_or_default()
}

fn overhead(c: &mut Criterion, runtime: &Runtime) {
    let echo = load(runtime, "echo.wasm");
    let mut group = c.benchmark_group("overhead");
    for (label, len) in [
        ("0B", 0),
        ("4KiB", 4 << 10),
        ("1MiB", 1 << 20),
        ("64MiB", 64 << 20),
    ] {
        let input = bytes::Bytes::from(data(len));
        group.throughput(Throughput::Bytes(len as u64));
        group.sample_size(if len >= 64 << 20 { 10 } else { 30 });
        for reuse in [true, false] {
            let config = PoolConfig {
                reuse_instances: reuse,
                ..PoolConfig::default()
            };
            let mut worker = Worker::new(&echo, &config);
            let id = BenchmarkId::new(if reuse { "echo_reused" } else { "echo_fresh" }, label);
            group.bench_function(id, |b| {
                b.iter(|| run(&mut worker, Input::Bytes(input.clone()), ""))
            });
        }
        if len >= 64 << 20 {
            // The whole-object form on 64 MiB (above the streaming threshold by default).
            let config = PoolConfig {
                stream_threshold: u64::MAX,
                ..PoolConfig::default()
            };
            let mut worker = Worker::new(&echo, &config);
            let id = BenchmarkId::new("echo_reused_whole", label);
            group.bench_function(id, |b| {
                b.iter(|| run(&mut worker, Input::Bytes(input.clone()), ""))
            });
        }
    }
    let rot13 = load(runtime, "rot13_c.wasm");
    let mut command = Worker::new(&rot13, &PoolConfig::default());
    for (label, len) in [("0B", 0), ("4KiB", 4 << 10)] {
        let input = bytes::Bytes::from(data(len));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::new("command_fresh", label), |b| {
            b.iter(|| run(&mut command, Input::Bytes(input.clone()), ""))
        });
    }
    let pool = Pool::new(
        &echo,
        PoolConfig {
            workers: 1,
            ..PoolConfig::default()
        },
    )
    .expect("pool starts");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    group.throughput(Throughput::Elements(1));
    group.bench_function("pool_0B", |b| {
        b.iter(|| {
            let request = Request::new(
                "bench/object",
                Input::Bytes(bytes::Bytes::new()),
                Output::Vec,
            );
            tokio
                .block_on(pool.transform(request))
                .expect("transform succeeds")
        })
    });
    group.finish();
}

/// Runs one example in Wasm (bytes and mapped file) and natively on the same input.
fn versus_native(
    c: &mut Criterion,
    runtime: &Runtime,
    name: &str,
    input: &[u8],
    args: &str,
    native: fn(&[u8], &str) -> Vec<u8>,
    same: fn(&[u8], &[u8]) -> bool,
) {
    let module = load(runtime, &format!("{name}.wasm"));
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("object");
    std::fs::write(&file, input).expect("write input");
    let mut worker = Worker::new(&module, &PoolConfig::default());
    let bytes = bytes::Bytes::copy_from_slice(input);
    let (wasm, native_out) = (
        run(&mut worker, Input::Bytes(bytes.clone()), args),
        native(input, args),
    );
    assert!(
        same(&wasm, &native_out),
        "{name}: wasm and native outputs differ"
    );

    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Bytes(input.len() as u64))
        .sample_size(10);
    group.bench_function("native", |b| b.iter(|| native(input, args)));
    group.bench_function("wasm_bytes", |b| {
        b.iter(|| run(&mut worker, Input::Bytes(bytes.clone()), args))
    });
    group.bench_function("wasm_mmap_file", |b| {
        b.iter(|| run(&mut worker, Input::File(file.clone()), args))
    });
    group.finish();
}

/// WAV outputs match: same header, samples within one LSB (native float code may use SIMD
/// with another rounding order than wasm32's scalar code).
fn same_wav(a: &[u8], b: &[u8]) -> bool {
    let sample = |s: &[u8]| i32::from(i16::from_le_bytes([s[0], s[1]]));
    a.len() == b.len()
        && a.len() >= 44
        && a[..44] == b[..44]
        && a[44..]
            .chunks_exact(2)
            .zip(b[44..].chunks_exact(2))
            .all(|(x, y)| (sample(x) - sample(y)).abs() <= 1)
}

fn md5_native(input: &[u8], args: &str) -> Vec<u8> {
    lode_example_md5::transform(input, args).expect("md5")
}

fn flac2wav_native(input: &[u8], args: &str) -> Vec<u8> {
    lode_example_flac2wav::transform(input, args).expect("flac2wav")
}

/// The seed workload's input: ten seconds of 16 kHz mono 16-bit speech-like sound (a gliding
/// 90-220 Hz voice with ten harmonics, shaped into ~4 syllables a second with pauses, over
/// faint hiss), FLAC-encoded by the `flac` command.
fn flac_input() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (wav, flac) = (dir.path().join("in.wav"), dir.path().join("in.flac"));
    let (rate, frames) = (16_000u32, 160_000u32);
    let data_len = frames * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    for v in [1u16, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    for v in [2u16, 16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let (mut noise, mut phase) = (0x1234_5678u32, 0.0f64);
    for i in 0..frames {
        let t = f64::from(i) / f64::from(rate);
        noise = noise.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let hiss = (f64::from(noise >> 20) - 2048.0) * 0.1;
        let pitch = 155.0 + 65.0 * (t * 0.7 * std::f64::consts::TAU).sin();
        phase += pitch / f64::from(rate);
        let syllable = (t * 4.0 * std::f64::consts::PI).sin().max(0.0);
        let voiced = if (t * 0.9).fract() < 0.8 {
            syllable
        } else {
            0.0
        };
        let voice: f64 = (1..=10)
            .map(|h| (phase * f64::from(h) * std::f64::consts::TAU).sin() / f64::from(h))
            .sum();
        out.extend_from_slice(&((voice * voiced * 7_000.0 + hiss) as i16).to_le_bytes());
    }
    std::fs::write(&wav, out).expect("write wav");
    let status = std::process::Command::new("flac")
        .args(["--silent", "-f", "-o"])
        .arg(&flac)
        .arg(&wav)
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "the flac2wav bench needs the `flac` command"
    );
    std::fs::read(&flac).expect("read flac")
}

fn benches(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime starts");
    overhead(c, &runtime);
    versus_native(
        c,
        &runtime,
        "md5",
        &data(16 << 20),
        "",
        md5_native,
        |a, b| a == b,
    );
    let flac = flac_input();
    versus_native(
        c,
        &runtime,
        "flac2wav",
        &flac,
        r#"{"AR":44100,"AC":2}"#,
        flac2wav_native,
        same_wav,
    );
}

criterion_group! {
    name = runtime;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(runtime);
