//! The runtime rows of the seed report, measured in this process on one core before any cluster
//! starts: flac2wav compiled to Wasm against the same crate compiled natively (on the dataset's
//! first file), a fresh WASI command instance on 0 B (the C rot13 module, always fresh), and
//! 64 MiB echoed through the streaming form. Medians of repeated runs (criterion's `runtime`
//! bench measures the same things more finely).

use std::time::{Duration, Instant};

use bytes::Bytes;
use lode_benches::{wasm_dir, Result};
use lode_runtime::{Input, Limits, Module, Output, PoolConfig, Request, Runtime, Worker};

/// flac2wav's arguments in the seed direction (16 kHz mono -> 44.1 kHz stereo).
const ARGS: &str = r#"{"AR":44100,"AC":2}"#;

/// What [`measure`] found.
pub struct Micro {
    pub flac2wav_native: Duration,
    pub flac2wav_wasm: Duration,
    pub command_fresh_0b: Duration,
    pub echo_64mib: Duration,
}

impl Micro {
    pub fn print(&self) {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let echo_gbs = (64u64 << 20) as f64 / self.echo_64mib.as_secs_f64() / 1e9;
        println!("runtime, one core (medians):");
        println!(
            "  flac2wav on the first file: native {:.2} ms, Wasm {:.2} ms: Wasm/native = {:.2} (goal >= 0.9)",
            ms(self.flac2wav_native),
            ms(self.flac2wav_wasm),
            self.flac2wav_native.as_secs_f64() / self.flac2wav_wasm.as_secs_f64()
        );
        if std::env::var_os("GLIBC_TUNABLES").is_none() {
            println!(
                "    (native allocates its buffers per call and pays first-touch page faults that the Wasm\n     \
                 instance's reused memory does not; for compute alone run with GLIBC_TUNABLES=\n     \
                 glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824)"
            );
        }
        println!(
            "  fresh instance, WASI command (C rot13), 0 B: {:.1} us (goal <= 20 us)",
            us(self.command_fresh_0b)
        );
        println!("  echo 64 MiB, streaming form: {echo_gbs:.2} GB/s (goal >= 2 GB/s)");
    }
}

fn load(runtime: &Runtime, name: &str) -> Result<Module> {
    let path = wasm_dir().join(name);
    let wasm = std::fs::read(&path)
        .map_err(|e| format!("{}: {e}: run scripts/build-wasm.sh first", path.display()))?;
    runtime
        .load(&wasm, Limits::default())
        .map_err(|e| format!("{name}: {e}"))
}

fn run(worker: &mut Worker, input: &Bytes, args: &str) -> Result<()> {
    let request = Request::new("seed/micro", Input::Bytes(input.clone()), Output::Vec)
        .with_args(args.to_owned());
    worker.run(request).map(drop).map_err(|e| e.to_string())
}

/// The median of `runs` timings of `batch` calls of `f`, per call.
fn median(runs: usize, batch: u32, mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    f()?; // warm-up
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        for _ in 0..batch {
            f()?;
        }
        times.push(start.elapsed() / batch);
    }
    times.sort_unstable();
    Ok(times[runs / 2])
}

pub fn measure(flac: &Bytes) -> Result<Micro> {
    let runtime = Runtime::new(Default::default()).map_err(|e| e.to_string())?;
    let config = PoolConfig::default();

    let mut flac2wav = Worker::new(&load(&runtime, "flac2wav.wasm")?, &config);
    let native = median(21, 1, || {
        lode_example_flac2wav::transform(flac, ARGS)
            .map(drop)
            .map_err(|e| format!("flac2wav native: {e}"))
    })?;
    let wasm = median(21, 1, || run(&mut flac2wav, flac, ARGS))?;

    let mut rot13 = Worker::new(&load(&runtime, "rot13_c.wasm")?, &config);
    let empty = Bytes::new();
    let command = median(9, 500, || run(&mut rot13, &empty, ""))?;

    let mut echo = Worker::new(&load(&runtime, "echo.wasm")?, &config);
    let big = Bytes::from(vec![0x5a_u8; 64 << 20]);
    let echo_64 = median(7, 1, || run(&mut echo, &big, ""))?;

    Ok(Micro {
        flac2wav_native: native,
        flac2wav_wasm: wasm,
        command_fresh_0b: command,
        echo_64mib: echo_64,
    })
}
