//! End-to-end cluster benchmark (a plain `harness = false` main that prints a table).
//!
//! Starts a real local cluster with the release `lode` binary (`lode up`: one gateway and 1 or 3
//! targets on 127.0.0.1, temp data dir), then measures PUT and GET throughput of 4 KiB and
//! 8 MiB objects through the gateway (GET follows its 301; PUT asks it with HEAD and sends the
//! body to the 307's Location, as `lode put` does) and directly to the owning target, side by side with raw file writes and reads of the same data in the same
//! run (page cache; no fsync), GETs from nginx (sendfile) of the same files, and a whole-bucket
//! `copy-bck` job against `cp -r` of the same files (and `cp -r` + `sync -f`). Bounded: fixed
//! object counts, per-request timeouts.
//!
//! Run: `cargo build --release -p lode && cargo bench -p lode-benches --bench cluster`
//! Env: `LODE_BIN` (default: `lode` next to the bench's `deps/` dir), `LODE_BENCH_TARGETS`
//! (default `1,3`).

#[path = "cluster/harness.rs"]
mod harness;

use harness::{run_tasks, run_threads};
use lode_benches::{drain, expect_ok, lode_bin, run_bucket_job, Cluster, Nginx, Result};
use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// (object size, object count) per workload.
const WORKLOADS: [(usize, usize); 2] = [(4 << 10, 10_000), (8 << 20, 100)];
const BUCKET: &str = "bench";

struct Row {
    targets: usize,
    size: usize,
    op: &'static str,
    count: usize,
    elapsed: Duration,
}

impl Row {
    fn mb_per_s(&self) -> f64 {
        (self.size * self.count) as f64 / 1e6 / self.elapsed.as_secs_f64()
    }
}

/// Every measurement for one cluster size.
async fn bench_cluster(lode: &Path, targets: usize, rows: &mut Vec<Row>) -> Result<()> {
    let follow = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let nofollow = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let cluster = Cluster::start(lode, targets)?;
    let gw = cluster.endpoint().to_owned();
    let create = serde_json::json!({"action": "create-bck", "name": "", "value": null});
    let url = format!("{gw}/v1/buckets/{BUCKET}?provider=ais");
    expect_ok(
        nofollow.post(&url).json(&create).send().await,
        "create bucket",
    )
    .await?;
    let raw_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let nginx = Nginx::start(raw_dir.path())?;
    if nginx.is_none() {
        eprintln!("nginx not found: no GET nginx rows (apt-get install nginx-light)");
    }

    for (size, count) in WORKLOADS {
        let payload = bytes_of(size);
        let names: Arc<Vec<String>> =
            Arc::new((0..count).map(|i| format!("{size}/obj-{i:05}")).collect());
        let gw_urls: Arc<Vec<String>> = Arc::new(
            names
                .iter()
                .map(|n| format!("{gw}/v1/objects/{BUCKET}/{n}?provider=ais"))
                .collect(),
        );
        let mut record = |op, elapsed| {
            rows.push(Row {
                targets,
                size,
                op,
                count,
                elapsed,
            })
        };

        let raw_size_dir = raw_dir.path().join(size.to_string());
        std::fs::create_dir_all(&raw_size_dir).map_err(|e| e.to_string())?;
        let raw = |i: usize| raw_size_dir.join(i.to_string());
        record(
            "raw write",
            run_threads(count, |i, _| {
                std::fs::write(raw(i), &payload).map_err(|e| e.to_string())
            })?,
        );
        record(
            "raw read",
            run_threads(count, |i, buf| {
                buf.clear();
                let mut f = std::fs::File::open(raw(i)).map_err(|e| e.to_string())?;
                f.read_to_end(buf).map_err(|e| e.to_string())?;
                if buf.len() == size {
                    Ok(())
                } else {
                    Err("short raw read".into())
                }
            })?,
        );

        // Through the gateway as `lode put` does it: HEAD (307, Location) then the body, once,
        // to that target. (Sending the body to the gateway first, as the SDK does, breaks hyper
        // clients on large bodies: the gateway closes the connection without reading it.)
        let (c, urls, body) = (nofollow.clone(), gw_urls.clone(), payload.clone());
        record(
            "PUT gateway",
            run_tasks(count, move |i| {
                let (c, url, body) = (c.clone(), urls[i].clone(), body.clone());
                async move {
                    let target = location(c.head(&url).send().await, &url)?;
                    expect_ok(c.put(&target).body(body).send().await, "PUT gateway")
                        .await
                        .map(drop)
                }
            })
            .await?,
        );

        // Where each object lives, asked of the gateway once (not timed).
        let mut direct_put = Vec::with_capacity(count);
        for url in gw_urls.iter() {
            direct_put.push(location(nofollow.head(url).send().await, url)?);
        }
        // Direct GETs go to the target without the gateway's parameters, as the SDK's do.
        let direct_get: Arc<Vec<String>> = Arc::new(
            direct_put
                .iter()
                .zip(names.iter())
                .map(|(loc, n)| format!("{}/v1/objects/{BUCKET}/{n}?provider=ais", origin(loc)))
                .collect(),
        );
        let direct_put = Arc::new(direct_put);

        let (c, urls, body) = (nofollow.clone(), direct_put.clone(), payload.clone());
        record(
            "PUT direct",
            run_tasks(count, move |i| {
                let req = c.put(&urls[i]).body(body.clone()).send();
                async move { expect_ok(req.await, "PUT direct").await.map(drop) }
            })
            .await?,
        );

        let (c, urls) = (follow.clone(), gw_urls.clone());
        record(
            "GET gateway",
            run_tasks(count, move |i| {
                let req = c.get(&urls[i]).send();
                async move {
                    drain(
                        expect_ok(req.await, "GET gateway").await?,
                        size,
                        "GET gateway",
                    )
                    .await
                }
            })
            .await?,
        );

        // The same bytes from nginx (sendfile on), when it is installed.
        if let Some(nginx) = &nginx {
            let (c, base) = (nofollow.clone(), nginx.url().to_owned());
            record(
                "GET nginx",
                run_tasks(count, move |i| {
                    let req = c.get(format!("{base}/{size}/{i}")).send();
                    async move {
                        drain(expect_ok(req.await, "GET nginx").await?, size, "GET nginx").await
                    }
                })
                .await?,
            );
        }

        // The bucket copied (no transform) against `cp -r` of the raw files, and `cp -r` then
        // `sync -f` (the copy job makes its outputs durable before it says done). Each copy
        // is removed before the next, so that none writes into never-used memory (slow on
        // VMs) while another reuses freed pages.
        // Each starts with nothing dirty (`sync`, not timed): the earlier writes' writeback
        // would otherwise land on whichever runs first.
        let copy_to = raw_dir.path().join(format!("{size}-copy"));
        record("cp -r", cp_r(&raw_size_dir, &copy_to, false)?);
        std::fs::remove_dir_all(&copy_to).map_err(|e| e.to_string())?;
        let copy = serde_json::json!({"action": "copy-bck", "name": "",
            "value": {"prefix": format!("{size}/")}});
        let dst = format!("copy-{size}");
        sync_all()?;
        record(
            "copy-bck",
            run_bucket_job(&nofollow, &gw, BUCKET, &dst, &copy).await?,
        );
        let destroy = serde_json::json!({"action": "destroy-bck", "name": "", "value": null});
        let url = format!("{gw}/v1/buckets/{dst}?provider=ais");
        expect_ok(
            nofollow.delete(&url).json(&destroy).send().await,
            "destroy copy",
        )
        .await?;
        record("cp -r + sync", cp_r(&raw_size_dir, &copy_to, true)?);
        std::fs::remove_dir_all(&copy_to).map_err(|e| e.to_string())?;

        let (c, urls) = (nofollow.clone(), direct_get.clone());
        record(
            "GET direct",
            run_tasks(count, move |i| {
                let req = c.get(&urls[i]).send();
                async move {
                    drain(
                        expect_ok(req.await, "GET direct").await?,
                        size,
                        "GET direct",
                    )
                    .await
                }
            })
            .await?,
        );
    }
    Ok(())
}

/// Runs a command to its successful end.
fn run(cmd: &mut std::process::Command) -> Result<()> {
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        other => Err(format!("{cmd:?}: {other:?}")),
    }
}

/// `sync`: nothing dirty left in the page cache.
fn sync_all() -> Result<()> {
    run(&mut std::process::Command::new("sync"))
}

/// `cp -r from to` (then `sync -f to` with `sync`), timed from a clean page cache.
fn cp_r(from: &Path, to: &Path, sync: bool) -> Result<Duration> {
    sync_all()?;
    let start = std::time::Instant::now();
    run(std::process::Command::new("cp").arg("-r").arg(from).arg(to))?;
    if sync {
        run(std::process::Command::new("sync").arg("-f").arg(to))?;
    }
    Ok(start.elapsed())
}

/// The `Location` a gateway answered a HEAD of `url` with.
fn location(resp: reqwest::Result<reqwest::Response>, url: &str) -> Result<String> {
    let resp = resp.map_err(|e| format!("HEAD {url}: {e}"))?;
    let loc = resp.headers().get("location").and_then(|v| v.to_str().ok());
    Ok(loc
        .ok_or(format!("HEAD {url}: no redirect ({})", resp.status()))?
        .to_string())
}

/// `http://host:port` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |i| &url[..after_scheme + i])
}

/// `size` bytes that do not compress to nothing.
fn bytes_of(size: usize) -> bytes::Bytes {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    data.into()
}

fn print_table(rows: &[Row]) {
    println!(
        "{:>7}  {:>7}  {:<12}  {:>7}  {:>11}  {:>9}",
        "TARGETS", "SIZE", "OP", "OBJECTS", "OBJECTS/S", "MB/S"
    );
    for r in rows {
        let size = if r.size >= 1 << 20 {
            format!("{}MiB", r.size >> 20)
        } else {
            format!("{}KiB", r.size >> 10)
        };
        let objs = r.count as f64 / r.elapsed.as_secs_f64();
        println!(
            "{:>7}  {:>7}  {:<12}  {:>7}  {:>11.0}  {:>9.1}",
            r.targets,
            size,
            r.op,
            r.count,
            objs,
            r.mb_per_s()
        );
    }
    let find = |t, op| {
        rows.iter()
            .find(|r| r.targets == t && r.size == 8 << 20 && r.op == op)
    };
    let mut targets: Vec<usize> = rows.iter().map(|r| r.targets).collect();
    targets.dedup();
    for t in targets {
        if let (Some(direct), Some(raw)) = (find(t, "GET direct"), find(t, "raw read")) {
            let ratio = direct.mb_per_s() / raw.mb_per_s();
            println!("targets={t}: 8MiB GET direct / raw read = {ratio:.2}");
        }
        for size in [4 << 10, 8 << 20] {
            let op = |op| {
                rows.iter()
                    .find(|r| r.targets == t && r.size == size && r.op == op)
            };
            if let (Some(copy), Some(cp), Some(cps)) =
                (op("copy-bck"), op("cp -r"), op("cp -r + sync"))
            {
                let (vs_cp, vs_cps) = (
                    copy.mb_per_s() / cp.mb_per_s(),
                    copy.mb_per_s() / cps.mb_per_s(),
                );
                println!("targets={t}: {}KiB copy-bck / cp -r = {vs_cp:.2} (goal >= 0.8); / cp -r + sync = {vs_cps:.2}", size >> 10);
            }
        }
        if let (Some(direct), Some(nginx)) = (find(t, "GET direct"), find(t, "GET nginx")) {
            let ratio = direct.mb_per_s() / nginx.mb_per_s();
            println!("targets={t}: 8MiB GET direct / nginx sendfile = {ratio:.2} (goal >= 0.9)");
        }
    }
}

fn main() -> std::process::ExitCode {
    let run = || -> Result<Vec<Row>> {
        let lode = lode_bin()?;
        let spec = std::env::var("LODE_BENCH_TARGETS").unwrap_or_else(|_| "1,3".into());
        let counts: Vec<usize> = spec
            .split(',')
            .map(|t| {
                t.trim()
                    .parse()
                    .map_err(|_| format!("LODE_BENCH_TARGETS: bad count {t:?}"))
            })
            .collect::<Result<_>>()?;
        let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        let mut rows = Vec::new();
        for targets in counts {
            rt.block_on(bench_cluster(&lode, targets, &mut rows))?;
        }
        Ok(rows)
    };
    match run() {
        Ok(rows) => {
            print_table(&rows);
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("cluster bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
