//! The seed workload three ways, end to end (a plain `harness = false` main that prints a table).
//!
//! LibriSpeech-like speech (`scripts/gen-speech.sh`: 16 kHz mono FLAC, `speaker/chapter/x.flac`)
//! is converted to 44.1 kHz stereo 16-bit WAV, bucket to bucket, by each mode on the same data,
//! each on a fresh local 3-target cluster (`lode up` from the release binary, temp data dir,
//! 127.0.0.1 only) that the files are first uploaded to:
//! - `wasm`: `flac2wav.wasm` as a Wasm ETL, offline `etl-bck` job (`ext {"flac":"wav"}`);
//! - `ws`, `hpush`: the same job through the FFmpeg FastAPI transformer
//!   (`transformers/ffmpeg/fastapi_server.py`, one server per target, local processes) in the
//!   blog post's best configuration, FQN and direct put, over WebSocket or hpush;
//! - `client`: the blog post's baseline, `benches/client_baseline.py`: the unmodified SDK GETs
//!   each object, runs ffmpeg, PUTs the WAV, on 2 x cores threads;
//! - `reference`: no cluster, the plain native reference (claxon + rubato's FFT resampler +
//!   hound, `seed/reference.rs`) in memory on one thread per core;
//! - `native`: no cluster, `lode_example_flac2wav::transform` in memory on one thread per core;
//! - `ffmpeg`: no cluster, the transformer's ffmpeg command per local file, on 2 x cores threads
//!   (what the container modes would reach without the server, the HTTP hops and the store).
//!
//! After the modes, the runtime rows on one core (`seed/micro.rs`: flac2wav Wasm/native, a
//! fresh WASI command instance, 64 MiB echo) and 8 MiB GETs from a target against nginx
//! (`seed/get.rs`, when nginx is installed); `LODE_SEED_RUNTIME=0` skips them.
//!
//! Every output is read back and checked (one WAV per FLAC, 44.1 kHz, stereo, 16 bit, the
//! source's duration). Goals: wasm >= 10x the container path and the client baseline, >= 0.8x
//! the plain native reference.
//!
//! Run: `scripts/build-wasm.sh && cargo build --release -p lode &&
//! cargo bench -p lode-benches --bench seed`
//! Env: `LODE_SEED_FILES` (default 200), `LODE_SEED_MODES` (default
//! `reference,native,ffmpeg,wasm,ws,hpush,client`), `LODE_BENCH_NO_FSYNC=1`, `LODE_BIN`, `LODE_WASM_DIR`. The
//! dataset is cached under `$CARGO_TARGET_DIR/seed-data/speech-<N>` (deterministic for N); the
//! Python venv is the container tests' (`$CARGO_TARGET_DIR/tmp/container-venv`).

#[path = "seed/client.rs"]
mod client;
#[path = "seed/dataset.rs"]
mod dataset;
#[path = "seed/etl.rs"]
mod etl;
#[path = "seed/get.rs"]
mod get;
#[path = "seed/micro.rs"]
mod micro;
#[path = "seed/reference.rs"]
mod reference;
#[path = "seed/run.rs"]
mod run;
#[path = "seed/verify.rs"]
mod verify;

use std::time::Duration;

use lode_benches::{lode_bin, Result};
use run::{Mode, Outcome};

fn modes() -> Result<Vec<Mode>> {
    let list = std::env::var("LODE_SEED_MODES").unwrap_or_default();
    if list.is_empty() {
        return Ok(Mode::ALL.to_vec());
    }
    list.split(',').map(|m| Mode::parse(m.trim())).collect()
}

fn print_table(rows: &[(String, Outcome)], files: usize, input_bytes: usize, cores: usize) {
    println!(
        "seed workload: {files} FLAC files, {:.1} MB in, {} targets, {cores} cores",
        input_bytes as f64 / 1e6,
        run::TARGETS
    );
    println!(
        "{:<44}  {:>8}  {:>8}  {:>13}  {:>7}  {:>7}",
        "RUN", "SECONDS", "FILES/S", "FILES/S/CORE", "MB OUT", "SETUP S"
    );
    for (what, o) in rows {
        let secs = o.elapsed.as_secs_f64();
        let fps = files as f64 / secs;
        let out = o
            .bytes_out
            .map_or("-".into(), |b| format!("{:.0}", b as f64 / 1e6));
        let setup = o
            .setup
            .map_or("-".into(), |s| format!("{:.1}", s.as_secs_f64()));
        println!(
            "{what:<44}  {secs:>8.2}  {fps:>8.1}  {:>13.1}  {out:>7}  {setup:>7}",
            fps / cores as f64
        );
    }
}

fn print_ratios(rows: &[(Mode, Duration)]) {
    let time = |m: Mode| {
        rows.iter()
            .find(|(r, _)| *r == m)
            .map(|(_, d)| d.as_secs_f64())
    };
    if let (Some(ws), Some(ffmpeg)) = (time(Mode::Ws), time(Mode::Ffmpeg)) {
        let ratio = ffmpeg / ws;
        println!("container ws / ffmpeg CLI alone = {ratio:.2}x files/s");
    }
    let Some(wasm) = time(Mode::Wasm) else {
        return;
    };
    let goals = [
        (Mode::Ws, "goal >= 10"),
        (Mode::Hpush, "goal >= 10"),
        (Mode::Client, "goal >= 10"),
        (
            Mode::Reference,
            "wasm cluster vs claxon+rubato+hound in memory; goal >= 0.8",
        ),
        (
            Mode::Native,
            "wasm cluster vs the same flac2wav native, in memory",
        ),
    ];
    for (other, goal) in goals {
        if let Some(t) = time(other) {
            let ratio = t / wasm;
            println!("wasm / {} = {ratio:.2}x files/s ({goal})", other.key());
        }
    }
}

fn main() -> std::process::ExitCode {
    let go = || -> Result<bool> {
        let count: usize = match std::env::var("LODE_SEED_FILES") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("LODE_SEED_FILES: bad count {v:?}"))?,
            Err(_) => 200,
        };
        let modes = modes()?;
        let lode = lode_bin()?;
        let files = dataset::load_files(&dataset::dataset(count)?)?;
        if files.len() != count {
            return Err(format!("dataset has {} files, want {count}", files.len()));
        }
        let input_bytes = files.iter().map(|f| f.data.len()).sum();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;

        let (mut rows, mut times, mut ok) = (Vec::new(), Vec::new(), true);
        let mut upload_row = None;
        for mode in modes {
            match rt.block_on(run::run(mode, &lode, &files, cores)) {
                Ok(outcome) => {
                    if let (None, Some(upload)) = (&upload_row, outcome.upload) {
                        upload_row = Some(Outcome::timed(upload));
                    }
                    times.push((mode, outcome.elapsed));
                    rows.push((mode.label(cores), outcome));
                }
                Err(err) => {
                    eprintln!("seed bench: {} failed: {err}", mode.key());
                    ok = false;
                }
            }
        }
        // The runtime and GET rows after the modes, on an idle machine again: run first, their
        // allocations would tune malloc's adaptive mmap threshold for the modes (on this VM,
        // fresh pages cost enough to move the native modes 1.8x).
        let (micro, get_row) = if std::env::var("LODE_SEED_RUNTIME").as_deref() == Ok("0") {
            (None, None)
        } else {
            let micro = micro::measure(&files[0].data)?;
            let get_row = rt.block_on(get::measure(&lode))?;
            if get_row.is_none() {
                eprintln!("nginx not found: no GET row (apt-get install nginx-light)");
            }
            (Some(micro), get_row)
        };
        if let Some(upload) = upload_row {
            rows.insert(
                0,
                ("upload (PUT via gateway, first cluster)".into(), upload),
            );
        }
        print_table(&rows, files.len(), input_bytes, cores);
        print_ratios(&times);
        if let Some(micro) = micro {
            micro.print();
        }
        if let Some(get) = get_row {
            println!(
                "8 MiB GET from a target {:.0} MB/s, nginx sendfile {:.0} MB/s: target/nginx = {:.2} (goal >= 0.9)",
                get.target,
                get.nginx,
                get.target / get.nginx
            );
        }
        Ok(ok)
    };
    match go() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(err) => {
            eprintln!("seed bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
