//! `lode etl bucket`: an offline job (`etl-bck`, or `etl-listrange` for a list / template)
//! from one bucket into another, optionally waited for with a progress bar.

use anyhow::{bail, Context as _};
use reqwest::Method;
use serde_json::{json, Value};

use super::split_pipeline;
use crate::client::{BckObj, Client};
use crate::job;

#[derive(clap::Args)]
pub(super) struct BucketArgs {
    /// ETL name, or a pipeline `a>>b>>c`.
    etl: String,
    /// `ais://src[/prefix]`.
    src: String,
    /// `ais://dst` (created when missing).
    dst: String,
    /// Extension map, e.g. `{flac:wav}` or `{"flac":"wav"}`.
    #[arg(long)]
    ext: Option<String>,
    /// Prefix for every destination name.
    #[arg(long, default_value = "")]
    prepend: String,
    /// Only objects whose names start with this (also `ais://src/prefix`).
    #[arg(long)]
    prefix: Option<String>,
    /// Count what would be transformed; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Continue on errors (record them per object).
    #[arg(long)]
    cont_on_err: bool,
    /// Comma-separated object names instead of the whole bucket.
    #[arg(long)]
    list: Option<String>,
    /// Brace template of object names, e.g. `shard-{000..999}.flac`.
    #[arg(long)]
    template: Option<String>,
    /// Concurrent transforms per target (0 = one per core).
    #[arg(long, default_value_t = 0)]
    num_workers: i64,
    /// Overwrite even when the destination is newer.
    #[arg(short, long)]
    force: bool,
    /// Wait for the job, with a progress bar.
    #[arg(long)]
    wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(long)]
    timeout: Option<u64>,
}

pub(super) async fn bucket(client: &Client, args: BucketArgs) -> anyhow::Result<()> {
    let src = BckObj::parse(&args.src)?;
    let dst = BckObj::parse(&args.dst)?;
    let (etl, pipeline) = split_pipeline(&args.etl);
    let prefix = args
        .prefix
        .clone()
        .or(src.object.clone())
        .unwrap_or_default();
    let mut value = json!({
        "id": etl, "prefix": prefix, "prepend": args.prepend, "dry_run": args.dry_run,
        "force": args.force, "latest-ver": false, "synchronize": false, "request_timeout": "",
        "pipeline": if pipeline.is_empty() { Value::Null } else { json!(pipeline) },
    });
    if let Some(ext) = &args.ext {
        value["ext"] = parse_ext(ext)?;
    }
    if args.num_workers != 0 {
        value["num-workers"] = json!(args.num_workers);
    }
    let objnames: Option<Vec<String>> = args.list.as_ref().map(|l| {
        l.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    });
    let url = client.url(&format!("buckets/{}?provider=ais", src.bucket));
    let (action, total) = if objnames.is_some() || args.template.is_some() {
        value["coer"] = json!(args.cont_on_err);
        value["tobck"] = json!({"name": dst.bucket, "provider": "ais", "namespace": null});
        match (&objnames, &args.template) {
            (Some(names), _) => value["objnames"] = json!(names),
            (None, Some(t)) => value["template"] = json!(t),
            _ => {}
        }
        ("etl-listrange", objnames.as_ref().map(|n| n.len() as u64))
    } else {
        if args.cont_on_err {
            value["coer"] = json!(true);
        }
        ("etl-bck", None)
    };
    let url = if action == "etl-bck" {
        format!("{url}&bck_to=ais/@%23/{}/", dst.bucket)
    } else {
        url
    };
    let msg = json!({"action": action, "name": "", "value": value});
    let resp = client.call(Method::POST, &url, Some(&msg)).await?;
    let xid = resp
        .text()
        .await
        .context("reading the job id")?
        .trim()
        .trim_matches('"')
        .to_owned();
    println!(
        "ETL[{etl}]: job {xid:?} ({action}: ais://{} => ais://{})",
        src.bucket, dst.bucket
    );
    if !args.wait {
        return Ok(());
    }
    let total = match total {
        Some(n) => Some((n, None)),
        None => crate::ls::count(client, &src.bucket, &prefix)
            .await
            .ok()
            .map(|(n, b)| (n, Some(b))),
    };
    job::wait_with_progress(client, &xid, total, args.timeout).await
}

/// `{flac:wav}`, `{"flac":"wav"}` or `flac:wav` -> `{"flac":"wav"}`.
fn parse_ext(text: &str) -> anyhow::Result<Value> {
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    let mut map = serde_json::Map::new();
    for pair in inner.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((from, to)) = pair.split_once(':') else {
            bail!("--ext {text:?}: expected {{from:to, ...}}")
        };
        let clean = |s: &str| s.trim().trim_matches('"').trim_matches('\'').to_owned();
        map.insert(clean(from), Value::String(clean(to)));
    }
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_maps_parse_with_and_without_quotes() {
        assert_eq!(parse_ext("{flac:wav}").unwrap(), json!({"flac": "wav"}));
        assert_eq!(
            parse_ext(r#"{"jpg":"png","a":"b"}"#).unwrap(),
            json!({"jpg": "png", "a": "b"})
        );
        assert_eq!(parse_ext("flac:wav").unwrap(), json!({"flac": "wav"}));
        assert!(parse_ext("{flac}").is_err());
    }
}
