//! `lode etl ...`: the `ais etl` commands. Init (Wasm init code, or a runtime-spec YAML),
//! show, errors, logs, stop/start/rm, and the transforms themselves: one object inline, or a
//! bucket (or a list / template of objects) offline with an optional live progress bar.
//! One file per job (`init`, `show`, `manage`, `object`, `bucket`); this one holds the
//! command line and the two helpers they share.

mod bucket;
mod init;
mod manage;
mod object;
mod show;

use anyhow::Context as _;
use reqwest::Method;
use serde_json::Value;

use crate::client::{check, Client};

/// Manage and run ETLs.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Initialize an ETL: `init code ...` for a Wasm module, or `init -f spec.yaml`.
    Init(init::InitArgs),
    /// Show all ETLs, the init message of named ones, or `show errors NAME [JOB]`.
    Show {
        /// ETL names; `errors NAME [JOB]` lists per-object errors.
        names: Vec<String>,
    },
    /// Print each target's ETL log (guest log lines and stderr).
    #[command(alias = "view-logs")]
    Logs {
        /// The ETL.
        name: String,
        /// Only this target.
        target: Option<String>,
    },
    /// Stop ETLs (aborting their jobs).
    Stop(manage::NamesArgs),
    /// Start stopped ETLs again.
    Start(manage::NamesArgs),
    /// Remove ETLs (stopping them first).
    Rm(manage::NamesArgs),
    /// Transform one object: `lode etl object NAME ais://b/o OUT|-`.
    Object(object::ObjectArgs),
    /// Transform a bucket (or a list / template of its objects) into another bucket.
    Bucket(bucket::BucketArgs),
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    match args.command {
        Command::Init(a) => init::init(&client, a).await,
        Command::Show { names } => show::show(&client, &names).await,
        Command::Logs { name, target } => show::logs(&client, &name, target.as_deref()).await,
        Command::Stop(a) => manage::lifecycle(&client, a, "stop").await,
        Command::Start(a) => manage::lifecycle(&client, a, "start").await,
        Command::Rm(a) => manage::lifecycle(&client, a, "rm").await,
        Command::Object(a) => object::object(&client, a).await,
        Command::Bucket(a) => bucket::bucket(&client, a).await,
    }
}

/// `a>>b>>c` -> (`a`, `b,c`).
pub(super) fn split_pipeline(spec: &str) -> (String, Vec<String>) {
    let mut parts = spec.split(">>").map(|s| s.trim().to_owned());
    let first = parts.next().unwrap_or_default();
    (first, parts.collect())
}

pub(super) async fn get_json(client: &Client, path: &str) -> anyhow::Result<Value> {
    let resp = client.call(Method::GET, &client.url(path), None).await?;
    let resp = check(resp).await?;
    resp.json()
        .await
        .with_context(|| format!("decoding GET /v1/{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_split_like_ais() {
        assert_eq!(
            split_pipeline("a>>b>>c"),
            ("a".to_owned(), vec!["b".to_owned(), "c".to_owned()])
        );
        assert_eq!(split_pipeline("solo"), ("solo".to_owned(), vec![]));
    }
}
