//! `lode job show|wait|stop`, and the live progress bar that `lode etl bucket --wait` shows:
//! both read the job's snapshots (`what=qryxstats`) and status (`what=status`), as the SDK does.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;
use serde_json::{json, Value};

use lode_wire::JobQuery;

use crate::client::{check, human_size, Client};

/// Show, wait for, or stop jobs.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Per-target snapshots of a job (objects, bytes, times, state); no id = running jobs.
    Show {
        /// Job id.
        id: Option<String>,
    },
    /// Wait until a job ends; exits non-zero when it failed or was aborted.
    Wait {
        /// Job id.
        id: String,
        /// Give up after this many seconds.
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Abort a job.
    Stop {
        /// Job id.
        id: String,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    match args.command {
        Command::Show { id: None } => {
            let running = query(
                &client,
                "running_all",
                json!({"kind": "", "node": "", "show_active": true}),
            )
            .await?;
            for job in running.as_array().into_iter().flatten() {
                println!("{}", job.as_str().unwrap_or_default());
            }
            Ok(())
        }
        Command::Show { id: Some(id) } => show(&client, &id).await,
        Command::Wait { id, timeout } => wait_with_progress(&client, &id, None, timeout).await,
        Command::Stop { id } => {
            client
                .action(Method::PUT, &client.url("cluster"), "stop", job_query(&id))
                .await?;
            println!("job {id:?} aborted");
            Ok(())
        }
    }
}

fn job_query(id: &str) -> Value {
    serde_json::to_value(JobQuery::job(id, "")).unwrap_or_default()
}

async fn query(client: &Client, what: &str, body: Value) -> anyhow::Result<Value> {
    let url = client.url(&format!("cluster?what={what}"));
    let resp = check(client.call(Method::GET, &url, Some(&body)).await?).await?;
    resp.json()
        .await
        .with_context(|| format!("decoding what={what}"))
}

/// Go sends int64 stats as strings; accept both.
fn stat(snap: &Value, key: &str) -> u64 {
    match &snap["stats"][key] {
        Value::String(s) => s.parse().unwrap_or(0),
        v => v.as_u64().unwrap_or(0),
    }
}

async fn show(client: &Client, id: &str) -> anyhow::Result<()> {
    let snaps = query(client, "qryxstats", job_query(id)).await?;
    println!(
        "{:<6}  {:<14}  {:>8}  {:>10}  {:<25}  STATE",
        "NODE", "KIND", "OBJECTS", "BYTES", "END"
    );
    for (node, list) in snaps.as_object().into_iter().flatten() {
        for snap in list.as_array().into_iter().flatten() {
            let state = if snap["aborted"].as_bool() == Some(true) {
                "aborted"
            } else if snap["end-time"]
                .as_str()
                .is_some_and(|t| !t.starts_with("0001"))
            {
                "finished"
            } else {
                "running"
            };
            println!(
                "{node:<6}  {:<14}  {:>8}  {:>10}  {:<25}  {state}",
                snap["kind"].as_str().unwrap_or(""),
                stat(snap, "loc-objs"),
                human_size(stat(snap, "loc-bytes")),
                snap["end-time"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

/// Polls the job until it ends, showing objects, bytes, rate and ETA; fails when the job
/// failed or was aborted. `total` is (objects, bytes) when known up front.
pub(crate) async fn wait_with_progress(
    client: &Client,
    id: &str,
    total: Option<(u64, Option<u64>)>,
    timeout: Option<u64>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let bar = match total {
        Some((n, _)) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} objects  {msg}  ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    loop {
        let snaps = query(client, "qryxstats", job_query(id)).await?;
        let all: Vec<&Value> = snaps
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(_, l)| l.as_array().into_iter().flatten())
            .collect();
        let (objs, bytes) = all.iter().fold((0, 0), |(o, b), s| {
            (o + stat(s, "loc-objs"), b + stat(s, "loc-bytes"))
        });
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(objs);
        bar.set_message(format!(
            "{}  {:.1} obj/s  {}/s",
            human_size(bytes),
            objs as f64 / secs,
            human_size((bytes as f64 / secs) as u64)
        ));
        let status = query(client, "status", job_query(id)).await?;
        if status["end_time"].as_i64().unwrap_or(0) != 0 {
            bar.finish();
            let err = status["err"].as_str().unwrap_or("");
            if status["aborted"].as_bool() == Some(true) {
                bail!(
                    "job {id} aborted{}",
                    if err.is_empty() {
                        String::new()
                    } else {
                        format!(": {err}")
                    }
                );
            }
            if !err.is_empty() {
                bail!("job {id} failed: {err}");
            }
            println!(
                "job {id}: {objs} objects, {} in {:.1}s",
                human_size(bytes),
                secs
            );
            return Ok(());
        }
        if timeout.is_some_and(|t| started.elapsed() > Duration::from_secs(t)) {
            bar.abandon();
            bail!("job {id}: still running after {}s", timeout.unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
