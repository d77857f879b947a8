//! The seed workload, end to end (a plain `harness = false` main that prints a table).
//!
//! LibriSpeech-like speech (`scripts/gen-speech.sh`: 16 kHz mono FLAC, `speaker/chapter/x.flac`)
//! is loaded into a local 3-target cluster (`lode up` from the release binary, temp data dir,
//! 127.0.0.1 only), `flac2wav.wasm` is initialised as a Wasm ETL (init code, `runtime: wasm32`),
//! and an offline `etl-bck` job converts the bucket to WAV (`ext {"flac":"wav"}`; 44.1 kHz
//! stereo, the module's defaults, since offline jobs carry no per-object arguments). The job is
//! polled to its end and every WAV is checked. Beside it, in the same run, the same files go
//! through the native `lode_example_flac2wav::transform` on one thread per core: the ratio
//! cluster/native is the cost of the whole system around the transform (goal >= 0.7, and
//! >= 100 files/s per core).
//!
//! Run: `scripts/build-wasm.sh && cargo build --release -p lode &&
//! cargo bench -p lode-benches --bench seed`
//! Env: `LODE_SEED_FILES` (default 200), `LODE_BIN`, `LODE_WASM_DIR`. The generated dataset is
//! cached under `$CARGO_TARGET_DIR/seed-data/speech-<N>` (it is deterministic for N).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use lode_benches::{expect_ok, lode_bin, repo_root, target_dir, wasm_dir, Cluster, Result};
use serde_json::{json, Value};

const TARGETS: usize = 3;
const SRC: &str = "seed-flac";
const DST: &str = "seed-wav";
const ETL: &str = "seed-flac2wav";
const UPLOADS_IN_FLIGHT: usize = 16;
const JOB_TIMEOUT: Duration = Duration::from_secs(600);

fn wasm_module(name: &str) -> Result<Vec<u8>> {
    let path = wasm_dir().join(name);
    std::fs::read(&path).map_err(|e| format!("{}: {e} (run scripts/build-wasm.sh)", path.display()))
}

/// The dataset: generated once per N into the target dir, then reused.
fn dataset(files: usize) -> Result<PathBuf> {
    let dir = target_dir()
        .join("seed-data")
        .join(format!("speech-{files}"));
    let marker = dir.join(".complete");
    if !marker.is_file() {
        let _ = std::fs::remove_dir_all(&dir);
        let status = Command::new(repo_root().join("scripts/gen-speech.sh"))
            .arg(&dir)
            .arg(files.to_string())
            .status()
            .map_err(|e| format!("scripts/gen-speech.sh: {e}"))?;
        if !status.success() {
            return Err(format!("scripts/gen-speech.sh failed: {status}"));
        }
        std::fs::write(&marker, b"").map_err(|e| format!("{}: {e}", marker.display()))?;
    }
    Ok(dir)
}

/// (object name, bytes) of every `.flac` under `dir`, names relative to it, sorted.
fn load_files(dir: &Path) -> Result<Vec<(String, bytes::Bytes)>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.path().extension().is_some_and(|e| e == "flac") {
            let rel = entry.path().strip_prefix(dir).map_err(|e| e.to_string())?;
            let data = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
            out.push((rel.to_string_lossy().into_owned(), data.into()));
        }
    }
    Ok(out)
}

/// PUTs every file through the gateway (following its 307), UPLOADS_IN_FLIGHT at a time.
async fn upload(
    http: &reqwest::Client,
    gw: &str,
    files: &Arc<Vec<(String, bytes::Bytes)>>,
) -> Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..UPLOADS_IN_FLIGHT {
        let (http, gw, files, next) = (http.clone(), gw.to_owned(), files.clone(), next.clone());
        tasks.spawn(async move {
            while let Some((name, data)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                let url = format!("{gw}/v1/objects/{SRC}/{name}?provider=ais");
                expect_ok(http.put(&url).body(data.clone()).send().await, &url).await?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| format!("upload task: {e}"))??;
    }
    Ok(())
}

/// Runs the etl-bck job and polls it to its end; returns the wall time from start to end.
async fn run_job(http: &reqwest::Client, gw: &str) -> Result<Duration> {
    let start = Instant::now();
    let msg = json!({"action": "etl-bck", "name": "", "value": {
        "id": ETL, "ext": {"flac": "wav"}, "prefix": "", "prepend": "", "dry_run": false,
        "force": false, "latest-ver": false, "synchronize": false, "request_timeout": "5m",
        "pipeline": null,
    }});
    // bck_to = ais/@#/<dst>/ (the uname of a bucket), percent-encoded.
    let url = format!("{gw}/v1/buckets/{SRC}?provider=ais&bck_to=ais%2F%40%23%2F{DST}%2F");
    let req = http.post(&url);
    let xid = expect_ok(req.json(&msg).send().await, "etl-bck")
        .await?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let query = json!({"ID": xid, "Kind": "etl-bck", "DaemonID": "", "Bck": null, "Buckets": null});
    loop {
        let resp = http
            .get(format!("{gw}/v1/cluster?what=status"))
            .json(&query)
            .send()
            .await;
        let status: Value = expect_ok(resp, "job status")
            .await?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if status["end_time"].as_i64().unwrap_or(0) != 0 {
            let err = status["err"].as_str().unwrap_or_default();
            if !err.is_empty() || status["aborted"].as_bool().unwrap_or(false) {
                return Err(format!(
                    "job {xid} failed: {err:?} (aborted: {})",
                    status["aborted"]
                ));
            }
            return Ok(start.elapsed());
        }
        if start.elapsed() > JOB_TIMEOUT {
            return Err(format!("job {xid} still running after {JOB_TIMEOUT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every WAV exists: HEAD all of them; GET every 16th and check its header (stereo, 44.1 kHz).
async fn verify(http: &reqwest::Client, gw: &str, files: &[(String, bytes::Bytes)]) -> Result<()> {
    for (i, (name, _)) in files.iter().enumerate() {
        let wav = format!("{}.wav", name.trim_end_matches(".flac"));
        let url = format!("{gw}/v1/objects/{DST}/{wav}?provider=ais");
        if i % 16 != 0 {
            expect_ok(http.head(&url).send().await, &format!("HEAD {wav}")).await?;
            continue;
        }
        let body = expect_ok(http.get(&url).send().await, &format!("GET {wav}")).await?;
        let body = body.bytes().await.map_err(|e| e.to_string())?;
        let field = |at: usize, len: usize| {
            body.get(at..at + len)
                .map(|b| b.iter().rev().fold(0u32, |a, &x| a << 8 | u32::from(x)))
        };
        if body.get(..4) != Some(b"RIFF") || field(22, 2) != Some(2) || field(24, 4) != Some(44_100)
        {
            return Err(format!("{wav}: not a 44.1 kHz stereo WAV"));
        }
    }
    Ok(())
}

/// The native reference: every file through flac2wav on `threads` threads; returns wall time.
fn native(files: &[(String, bytes::Bytes)], threads: usize) -> Result<Duration> {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    while let Some((name, data)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let wav = lode_example_flac2wav::transform(data, r#"{"AR":44100,"AC":2}"#)
                            .map_err(|e| format!("native {name}: {e}"))?;
                        std::hint::black_box(wav);
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| "native worker panicked".to_string())?)
    })?;
    Ok(start.elapsed())
}

struct Row {
    what: String,
    elapsed: Duration,
}

fn print_table(rows: &[Row], files: usize, input_bytes: usize, cores: usize) {
    println!(
        "seed workload: {files} FLAC files, {:.1} MB in, {TARGETS} targets, {cores} cores",
        input_bytes as f64 / 1e6
    );
    println!(
        "{:<34}  {:>8}  {:>9}  {:>8}  {:>15}",
        "RUN", "SECONDS", "FILES/S", "MB/S IN", "FILES/S PER CORE"
    );
    for r in rows {
        let secs = r.elapsed.as_secs_f64();
        let fps = files as f64 / secs;
        println!(
            "{:<34}  {:>8.2}  {:>9.1}  {:>8.1}  {:>15.1}",
            r.what,
            secs,
            fps,
            input_bytes as f64 / 1e6 / secs,
            fps / cores as f64
        );
    }
}

async fn cluster_part(
    lode: &Path,
    files: &Arc<Vec<(String, bytes::Bytes)>>,
) -> Result<(Duration, Duration)> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;
    let mut cluster = Cluster::start(lode, TARGETS)?;
    cluster.wait_ready(&http, TARGETS).await?;
    let gw = cluster.endpoint().to_owned();
    let create = json!({"action": "create-bck", "name": "", "value": null});
    expect_ok(
        http.post(format!("{gw}/v1/buckets/{SRC}?provider=ais"))
            .json(&create)
            .send()
            .await,
        "create bucket",
    )
    .await?;
    // Uploads get fresh connections: the gateway answers 307 without reading the body, and a
    // connection it then closes must not be picked from the pool for the next PUT.
    let uploads = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    upload(&uploads, &gw, files).await?;
    let uploaded = started.elapsed();

    let code = base64::engine::general_purpose::STANDARD.encode(wasm_module("flac2wav.wasm")?);
    let init = json!({"name": ETL, "runtime": "wasm32", "code": code, "obj_timeout": "60s"});
    expect_ok(
        http.put(format!("{gw}/v1/etl")).json(&init).send().await,
        "ETL init",
    )
    .await?;
    let job = run_job(&http, &gw).await?;
    verify(&http, &gw, files).await?;
    Ok((uploaded, job))
}

fn main() -> std::process::ExitCode {
    let run = || -> Result<()> {
        let count: usize = match std::env::var("LODE_SEED_FILES") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("LODE_SEED_FILES: bad count {v:?}"))?,
            Err(_) => 200,
        };
        let lode = lode_bin()?;
        let files = Arc::new(load_files(&dataset(count)?)?);
        if files.len() != count {
            return Err(format!("dataset has {} files, want {count}", files.len()));
        }
        let input_bytes = files.iter().map(|(_, d)| d.len()).sum();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

        // Native first: its row is printed even when the cluster part fails.
        let native = native(&files, cores)?;
        let mut rows = vec![Row {
            what: format!("native flac2wav ({cores} threads)"),
            elapsed: native,
        }];
        let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        let cluster = rt.block_on(cluster_part(&lode, &files));
        if let Ok((upload, job)) = cluster {
            rows.push(Row {
                what: "upload (PUT via gateway)".into(),
                elapsed: upload,
            });
            rows.push(Row {
                what: format!("lode etl-bck flac2wav.wasm ({TARGETS} t)"),
                elapsed: job,
            });
        }
        print_table(&rows, files.len(), input_bytes, cores);
        let job = cluster?.1;
        let ratio = native.as_secs_f64() / job.as_secs_f64();
        let per_core = files.len() as f64 / job.as_secs_f64() / cores as f64;
        println!("cluster/native = {ratio:.2} (goal >= 0.7); cluster files/s per core = {per_core:.1} (goal >= 100)");
        Ok(())
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("seed bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
