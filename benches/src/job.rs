//! A bucket-to-bucket job (`etl-bck`, `copy-bck`) run to its end, as the SDK's `Job.wait` does.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{expect_ok, Result};

const JOB_TIMEOUT: Duration = Duration::from_secs(900);

/// Posts the action `msg` on bucket `src` with `bck_to` = `dst`, then polls the job's status
/// to its end; returns the wall time from the request to the end. A failed job is an error.
pub async fn run_bucket_job(
    http: &reqwest::Client,
    gw: &str,
    src: &str,
    dst: &str,
    msg: &Value,
) -> Result<Duration> {
    let start = Instant::now();
    let kind = msg["action"].as_str().unwrap_or_default();
    // bck_to = ais/@#/<dst>/ (the uname of a bucket), percent-encoded.
    let url = format!("{gw}/v1/buckets/{src}?provider=ais&bck_to=ais%2F%40%23%2F{dst}%2F");
    let resp = http.post(&url).json(msg).send().await;
    let xid = expect_ok(resp, kind)
        .await?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let query = json!({"ID": xid, "Kind": kind, "DaemonID": "", "Bck": null, "Buckets": null});
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
                let aborted = &status["aborted"];
                return Err(format!("job {xid} failed: {err:?} (aborted: {aborted})"));
            }
            return Ok(start.elapsed());
        }
        if start.elapsed() > JOB_TIMEOUT {
            return Err(format!("job {xid} still running after {JOB_TIMEOUT:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
