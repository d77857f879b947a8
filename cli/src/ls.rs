//! `lode ls [ais://bucket[/prefix]]`: list buckets, or a bucket's objects page by page through
//! the msgpack list-objects API (the one the SDK uses), printed as a `NAME SIZE` table.

use crate::client::{check, human_size, unreachable_err, BckObj, Client};
use anyhow::Context as _;
use reqwest::{header, Method};
use serde::Deserialize;

/// List buckets, or the objects of a bucket (optionally under a prefix).
#[derive(clap::Args)]
pub struct Args {
    /// `ais://bucket[/prefix]`; without it, list the buckets.
    bucket: Option<String>,
    /// Objects per page asked of the cluster (0 = the cluster's default).
    #[arg(long, default_value_t = 0)]
    page_size: u64,
    /// Print sizes in bytes instead of KiB/MiB/...
    #[arg(long)]
    raw: bool,
}

/// One page of `GET /v1/buckets/<b>` (`Accept: application/msgpack`).
#[derive(Deserialize)]
struct Page {
    #[serde(rename = "UUID")]
    uuid: String,
    #[serde(rename = "ContinuationToken")]
    continuation_token: String,
    #[serde(rename = "Entries")]
    entries: Option<Vec<Entry>>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "s", default)]
    size: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    let Some(arg) = args.bucket else {
        return crate::bucket::list(&client).await;
    };
    let bck = BckObj::parse(&arg)?;
    let prefix = bck.object.unwrap_or_default();
    let entries = list_entries(&client, &bck.bucket, &prefix, args.page_size).await?;
    print_table(&entries, args.raw);
    Ok(())
}

/// How many objects, and how many bytes, `bucket` holds under `prefix`.
pub(crate) async fn count(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> anyhow::Result<(u64, u64)> {
    let entries = list_entries(client, bucket, prefix, 0).await?;
    Ok((entries.len() as u64, entries.iter().map(|e| e.size).sum()))
}

/// Every object of `bucket` under `prefix`, page by page.
async fn list_entries(
    client: &Client,
    bucket: &str,
    prefix: &str,
    page_size: u64,
) -> anyhow::Result<Vec<Entry>> {
    let url = client.url(&format!("buckets/{bucket}?provider=ais"));
    let (mut uuid, mut token) = (String::new(), String::new());
    let mut entries = Vec::new();
    loop {
        let msg = serde_json::json!({"action": "list", "name": "", "value": {
            "prefix": prefix, "pagesize": page_size, "uuid": uuid, "props": "name,size",
            "continuation_token": token, "flags": "0", "target": "",
        }});
        let resp = client
            .request(Method::GET, &url)
            .header(header::ACCEPT, "application/msgpack")
            .json(&msg)
            .send()
            .await
            .map_err(|e| unreachable_err(&Method::GET, &url, &e))?;
        let body = check(resp)
            .await?
            .bytes()
            .await
            .context("reading the listing")?;
        let page: Page = rmp_serde::from_slice(&body).context("decoding the msgpack listing")?;
        entries.extend(page.entries.unwrap_or_default());
        if page.continuation_token.is_empty() {
            return Ok(entries);
        }
        (uuid, token) = (page.uuid, page.continuation_token);
    }
}

fn print_table(entries: &[Entry], raw: bool) {
    let size = |e: &Entry| {
        if raw {
            e.size.to_string()
        } else {
            human_size(e.size)
        }
    };
    let width = entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    println!("{:<width$}  SIZE", "NAME");
    for e in entries {
        println!("{:<width$}  {}", e.name, size(e));
    }
}
