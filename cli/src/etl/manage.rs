//! `lode etl stop|start|rm`: the lifecycle calls, for named ETLs or `--all`.

use anyhow::bail;
use reqwest::Method;

use super::get_json;
use crate::client::Client;

#[derive(clap::Args)]
pub(super) struct NamesArgs {
    /// ETL names.
    names: Vec<String>,
    /// All ETLs.
    #[arg(long)]
    all: bool,
}

pub(super) async fn lifecycle(client: &Client, args: NamesArgs, op: &str) -> anyhow::Result<()> {
    let mut names = args.names;
    if args.all {
        let list = get_json(client, "etl").await?;
        names = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["id"].as_str().map(str::to_owned))
            .collect();
    }
    if names.is_empty() {
        bail!("name at least one ETL (or --all)");
    }
    for name in names {
        match op {
            "rm" => {
                client
                    .call(Method::DELETE, &client.url(&format!("etl/{name}")), None)
                    .await?
            }
            _ => {
                client
                    .call(Method::POST, &client.url(&format!("etl/{name}/{op}")), None)
                    .await?
            }
        };
        println!(
            "ETL[{name}]: {}",
            match op {
                "rm" => "removed",
                "stop" => "stopped",
                _ => "started",
            }
        );
    }
    Ok(())
}
