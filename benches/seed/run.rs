//! One mode of the seed bench: a fresh cluster, the upload, the conversion, the check.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_benches::{expect_ok, Cluster, Result};
use serde_json::json;

use crate::dataset::Flac;
use crate::{client, dataset, etl, verify};

pub const TARGETS: usize = 3;
const SRC: &str = "seed-flac";
const UPLOADS_IN_FLIGHT: usize = 16;

/// How the files get converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Reference,
    Native,
    Ffmpeg,
    Wasm,
    Ws,
    Hpush,
    Client,
}

impl Mode {
    pub const ALL: [Mode; 7] = [
        Mode::Reference,
        Mode::Native,
        Mode::Ffmpeg,
        Mode::Wasm,
        Mode::Ws,
        Mode::Hpush,
        Mode::Client,
    ];

    /// The name `LODE_SEED_MODES` uses.
    pub fn key(self) -> &'static str {
        match self {
            Mode::Reference => "reference",
            Mode::Native => "native",
            Mode::Ffmpeg => "ffmpeg",
            Mode::Wasm => "wasm",
            Mode::Ws => "ws",
            Mode::Hpush => "hpush",
            Mode::Client => "client",
        }
    }

    pub fn parse(key: &str) -> Result<Mode> {
        Mode::ALL
            .into_iter()
            .find(|m| m.key() == key)
            .ok_or_else(|| format!("LODE_SEED_MODES: unknown mode {key:?}"))
    }

    pub fn label(self, cores: usize) -> String {
        match self {
            Mode::Reference => format!("native claxon+rubato+hound, in memory ({cores} thr)"),
            Mode::Native => format!("native flac2wav, in memory ({cores} threads)"),
            Mode::Ffmpeg => format!("ffmpeg CLI per file, local files ({} thr)", 2 * cores),
            Mode::Wasm => format!("lode etl-bck flac2wav.wasm ({TARGETS} t)"),
            Mode::Ws => "container etl-bck FastAPI ffmpeg ws+fqn+dp".into(),
            Mode::Hpush => "container etl-bck FastAPI ffmpeg hpush+fqn+dp".into(),
            Mode::Client => format!("client SDK GET+ffmpeg+PUT ({} threads)", 2 * cores),
        }
    }
}

/// What one mode measured.
pub struct Outcome {
    /// The conversion, from the first request to the last output.
    pub elapsed: Duration,
    /// Uploading the dataset to this mode's cluster.
    pub upload: Option<Duration>,
    /// ETL init (for the container modes, starting a transformer per target).
    pub setup: Option<Duration>,
    /// Total size of the outputs read back.
    pub bytes_out: Option<u64>,
}

impl Outcome {
    pub fn timed(elapsed: Duration) -> Outcome {
        Outcome {
            elapsed,
            upload: None,
            setup: None,
            bytes_out: None,
        }
    }
}

/// Runs `mode` over `files`; the cluster modes each on a fresh cluster.
pub async fn run(mode: Mode, lode: &Path, files: &[Flac], cores: usize) -> Result<Outcome> {
    match mode {
        Mode::Reference => return dataset::reference(files, cores).map(Outcome::timed),
        Mode::Native => return dataset::native(files, cores).map(Outcome::timed),
        Mode::Ffmpeg => return dataset::ffmpeg(files, 2 * cores).map(Outcome::timed),
        _ => {}
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;
    let cluster = Cluster::start(lode, TARGETS)?;
    let gw = cluster.endpoint().to_owned();
    let create = json!({"action": "create-bck", "name": "", "value": null});
    let resp = http
        .post(format!("{gw}/v1/buckets/{SRC}?provider=ais"))
        .json(&create)
        .send()
        .await;
    expect_ok(resp, "create bucket").await?;
    let started = Instant::now();
    upload(&gw, files).await?;
    let upload = started.elapsed();

    let dst = format!("seed-wav-{}", mode.key());
    let name = format!("seed-{}", mode.key());
    let (setup, elapsed) = if mode == Mode::Client {
        let python = client::python().await?;
        let elapsed = client::baseline(python, &gw, SRC, &dst, 2 * cores).await?;
        (None, elapsed)
    } else {
        let msg = match mode {
            Mode::Ws | Mode::Hpush => {
                let comm = format!("{}://", mode.key());
                etl::ffmpeg_msg(&name, &comm, &client::python().await?, cores)
            }
            _ => etl::wasm_msg(&name)?,
        };
        let setup = etl::init(&http, &gw, &msg).await?;
        let elapsed = etl::run_job(&http, &gw, SRC, &dst, &name).await?;
        (Some(setup), elapsed)
    };
    let bytes_out = verify::outputs(&http, &gw, &dst, files).await?;
    Ok(Outcome {
        elapsed,
        upload: Some(upload),
        setup,
        bytes_out: Some(bytes_out),
    })
}

/// PUTs every file through the gateway (following its 307), UPLOADS_IN_FLIGHT at a time.
async fn upload(gw: &str, files: &[Flac]) -> Result<()> {
    // Fresh connections: the gateway answers 307 without reading the body, and a connection it
    // then closes must not be picked from the pool for the next PUT.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| e.to_string())?;
    let files: Arc<Vec<(String, bytes::Bytes)>> = Arc::new(
        files
            .iter()
            .map(|f| (f.name.clone(), f.data.clone()))
            .collect(),
    );
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
