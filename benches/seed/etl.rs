//! The seed bench's ETLs (flac2wav.wasm, the FFmpeg FastAPI transformer) and its etl-bck job.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use lode_benches::{expect_ok, repo_root, run_bucket_job, wasm_dir, Result};
use serde_json::{json, Value};

/// `flac2wav.wasm` as init code (`runtime: wasm32`); its defaults are AR=44100, AC=2.
pub fn wasm_msg(name: &str) -> Result<Value> {
    let path = wasm_dir().join("flac2wav.wasm");
    let module = std::fs::read(&path)
        .map_err(|e| format!("{}: {e} (run scripts/build-wasm.sh)", path.display()))?;
    let code = base64::engine::general_purpose::STANDARD.encode(module);
    Ok(json!({"name": name, "runtime": "wasm32", "code": code, "obj_timeout": "60s"}))
}

/// The FFmpeg transformer (`transformers/ffmpeg/fastapi_server.py`) as the seed's best
/// configuration ran it: FastAPI under uvicorn with ais-etl's flags, the object's FQN
/// (`ETL_DIRECT_FQN`), direct put; `comm` is `ws://` or `hpush://`. Each target runs one
/// server with `workers` uvicorn workers, from the venv whose interpreter is `python`.
pub fn ffmpeg_msg(name: &str, comm: &str, python: &Path, workers: usize) -> Value {
    let app_dir = repo_root().join("transformers/ffmpeg");
    let (python, app_dir) = (python.to_string_lossy(), app_dir.to_string_lossy());
    let workers = workers.to_string();
    let command = [
        &*python,
        "-m",
        "uvicorn",
        "--app-dir",
        &*app_dir,
        "fastapi_server:fastapi_app",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        "--workers",
        &workers,
        "--log-level",
        "info",
        "--ws-max-size",
        "17179869184",
        "--ws-ping-interval",
        "0",
        "--ws-ping-timeout",
        "86400",
        "--no-access-log",
    ];
    let env = [("AR", "44100"), ("AC", "2"), ("ETL_DIRECT_FQN", "true")]
        .map(|(n, v)| json!({"name": n, "value": v}));
    json!({"name": name, "communication": comm, "support_direct_put": true,
        "init_timeout": "2m", "obj_timeout": "60s",
        "runtime": {"image": "aistorage/transformer_ffmpeg:latest", "command": command, "env": env}})
}

/// Initialises the ETL `msg` describes; returns how long the cluster took to answer.
pub async fn init(http: &reqwest::Client, gw: &str, msg: &Value) -> Result<Duration> {
    let start = Instant::now();
    let resp = http.put(format!("{gw}/v1/etl")).json(msg).send().await;
    expect_ok(resp, "ETL init").await?;
    Ok(start.elapsed())
}

/// Runs an etl-bck job `src` -> `dst` (`ext {flac: wav}`) and polls it to its end; returns
/// the wall time from the request to the end.
pub async fn run_job(
    http: &reqwest::Client,
    gw: &str,
    src: &str,
    dst: &str,
    etl: &str,
) -> Result<Duration> {
    let msg = json!({"action": "etl-bck", "name": "", "value": {
        "id": etl, "ext": {"flac": "wav"}, "prefix": "", "prepend": "", "dry_run": false,
        "force": false, "latest-ver": false, "synchronize": false, "request_timeout": "5m",
        "pipeline": null,
    }});
    run_bucket_job(http, gw, src, dst, &msg).await
}
