//! The large-GET row of the seed report: 8 MiB objects read straight from their target (the
//! address the gateway redirects to) against nginx with `sendfile on` serving the same files,
//! with the same client, one request at a time, in the same run. `Ok(None)` without nginx.

use std::path::Path;
use std::time::{Duration, Instant};

use lode_benches::{drain, expect_ok, Cluster, Nginx, Result};

const SIZE: usize = 8 << 20;
const OBJECTS: usize = 16;
const ROUNDS: usize = 4;
const BUCKET: &str = "get-row";

/// MB/s of the target and of nginx.
pub struct GetRow {
    pub target: f64,
    pub nginx: f64,
}

async fn read_all(client: &reqwest::Client, urls: &[String]) -> Result<Duration> {
    let start = Instant::now();
    for _ in 0..ROUNDS {
        for url in urls {
            drain(
                expect_ok(client.get(url).send().await, "GET").await?,
                SIZE,
                url,
            )
            .await?;
        }
    }
    Ok(start.elapsed())
}

pub async fn measure(lode: &Path) -> Result<Option<GetRow>> {
    let files = tempfile::tempdir().map_err(|e| e.to_string())?;
    let body: Vec<u8> = (0..SIZE)
        .map(|i| (i.wrapping_mul(131) >> 3) as u8)
        .collect();
    for i in 0..OBJECTS {
        std::fs::write(files.path().join(i.to_string()), &body).map_err(|e| e.to_string())?;
    }
    let Some(nginx) = Nginx::start(files.path())? else {
        return Ok(None);
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let cluster = Cluster::start(lode, super::run::TARGETS)?;
    let gw = cluster.endpoint();
    let create = serde_json::json!({"action": "create-bck", "name": "", "value": null});
    let bucket = format!("{gw}/v1/buckets/{BUCKET}?provider=ais");
    expect_ok(
        client.post(&bucket).json(&create).send().await,
        "create bucket",
    )
    .await?;
    let location = |resp: reqwest::Response| {
        let at = resp.headers().get("location").and_then(|v| v.to_str().ok());
        at.map(str::to_owned)
            .ok_or_else(|| format!("{}: {} without a Location", resp.url(), resp.status()))
    };
    let mut direct = Vec::with_capacity(OBJECTS);
    for i in 0..OBJECTS {
        // As `lode put` does: the gateway names the owner, the body goes there.
        let url = format!("{gw}/v1/objects/{BUCKET}/{i}?provider=ais");
        let owner = location(client.put(&url).send().await.map_err(|e| e.to_string())?)?;
        expect_ok(client.put(&owner).body(body.clone()).send().await, "PUT").await?;
        direct.push(location(
            client.get(&url).send().await.map_err(|e| e.to_string())?,
        )?);
    }
    let from_nginx: Vec<String> = (0..OBJECTS)
        .map(|i| format!("{}/{i}", nginx.url()))
        .collect();
    // Once each to warm the page cache and the connections, then timed.
    read_all(&client, &direct).await?;
    read_all(&client, &from_nginx).await?;
    let target = read_all(&client, &direct).await?;
    let nginx_time = read_all(&client, &from_nginx).await?;
    let mb = (SIZE * OBJECTS * ROUNDS) as f64 / 1e6;
    Ok(Some(GetRow {
        target: mb / target.as_secs_f64(),
        nginx: mb / nginx_time.as_secs_f64(),
    }))
}
