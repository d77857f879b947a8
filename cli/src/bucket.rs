//! `lode bucket create|ls|rm`: the `ais bucket` subcommands for ais:// buckets.

use crate::client::{BckObj, Client};
use reqwest::Method;
use serde::Deserialize;

/// Create, list and remove buckets.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Create buckets (`ais://b ...`).
    Create {
        /// Buckets to create.
        #[arg(required = true)]
        buckets: Vec<String>,
        /// Succeed if a bucket already exists.
        #[arg(long)]
        ignore_error: bool,
    },
    /// List buckets.
    Ls,
    /// Destroy buckets and everything in them.
    Rm {
        /// Buckets to destroy.
        #[arg(required = true)]
        buckets: Vec<String>,
        /// Succeed if a bucket does not exist.
        #[arg(long)]
        ignore_error: bool,
    },
}

/// A bucket as `GET /v1/buckets` lists it.
#[derive(Deserialize)]
pub(crate) struct BucketEntry {
    name: String,
    #[serde(default)]
    provider: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    let (buckets, ignore_error, method, action, done) = match args.command {
        Command::Ls => return list(&client).await,
        Command::Create {
            buckets,
            ignore_error,
        } => (buckets, ignore_error, Method::POST, "create-bck", "created"),
        Command::Rm {
            buckets,
            ignore_error,
        } => (
            buckets,
            ignore_error,
            Method::DELETE,
            "destroy-bck",
            "destroyed",
        ),
    };
    // One action per bucket; a failure stops here unless `ignore_error` (then it is printed).
    for arg in buckets {
        let b = BckObj::parse(&arg)?;
        let url = client.url(&format!("buckets/{}?provider=ais", b.bucket));
        match client
            .action(method.clone(), &url, action, serde_json::Value::Null)
            .await
        {
            Ok(_) => println!("\"ais://{}\" {done}", b.bucket),
            Err(err) if ignore_error => eprintln!("{err:#}"),
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Prints every bucket, one `provider://name` a line (also `lode ls` without arguments).
pub(crate) async fn list(client: &Client) -> anyhow::Result<()> {
    let url = client.url("buckets?provider=ais");
    let resp = client
        .action(Method::GET, &url, "list", serde_json::Value::Null)
        .await?;
    let mut buckets: Vec<BucketEntry> = resp.json().await?;
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    println!("NAME");
    for b in buckets {
        let provider = if b.provider.is_empty() {
            "ais"
        } else {
            &b.provider
        };
        println!("{provider}://{}", b.name);
    }
    Ok(())
}
