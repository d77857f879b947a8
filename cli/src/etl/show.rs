//! `lode etl show` (all ETLs, named ones' init messages, `show errors NAME [JOB]`) and
//! `lode etl logs`.

use anyhow::{bail, Context as _};
use base64::Engine as _;
use serde_json::Value;

use super::get_json;
use crate::client::Client;

pub(super) async fn show(client: &Client, names: &[String]) -> anyhow::Result<()> {
    if names.first().map(String::as_str) == Some("errors") {
        let Some(name) = names.get(1) else {
            bail!("usage: lode etl show errors NAME [JOB]")
        };
        let job = names.get(2).map(String::as_str).unwrap_or("");
        let details = get_json(client, &format!("etl/{name}?uuid={job}")).await?;
        println!("{:<40}  {:<5}  ERROR", "OBJECT", "ECODE");
        for e in details["obj_errors"].as_array().into_iter().flatten() {
            println!(
                "{:<40}  {:<5}  {}",
                e["obj_name"].as_str().unwrap_or(""),
                e["ecode"],
                e["msg"].as_str().unwrap_or("")
            );
        }
        return Ok(());
    }
    if names.is_empty() {
        let list = get_json(client, "etl").await?;
        println!(
            "{:<32}  {:<12}  {:<24}  OBJECTS",
            "NAME", "STAGE", "XACTION"
        );
        for etl in list.as_array().into_iter().flatten() {
            let count = etl["obj_count"].as_u64().unwrap_or(0);
            let objects = if count == 0 {
                "-".to_owned()
            } else {
                count.to_string()
            };
            println!(
                "{:<32}  {:<12}  {:<24}  {objects}",
                etl["id"].as_str().unwrap_or(""),
                etl["stage"].as_str().unwrap_or(""),
                etl["xaction_id"].as_str().unwrap_or("")
            );
        }
        return Ok(());
    }
    for name in names {
        let mut details = get_json(client, &format!("etl/{name}?uuid=")).await?;
        // The module itself is not worth printing.
        if let Some(code) = details["init_msg"].get_mut("code") {
            *code = Value::String(format!(
                "<{} base64 chars>",
                code.as_str().map_or(0, str::len)
            ));
        }
        println!("{}", serde_json::to_string_pretty(&details["init_msg"])?);
        for t in details["transformers"].as_array().into_iter().flatten() {
            println!(
                "transformer on {}: {}",
                t["target_id"].as_str().unwrap_or("?"),
                t["network"].as_str().unwrap_or("?")
            );
        }
    }
    Ok(())
}

pub(super) async fn logs(client: &Client, name: &str, target: Option<&str>) -> anyhow::Result<()> {
    let path = match target {
        Some(t) => format!("etl/{name}/logs/{t}"),
        None => format!("etl/{name}/logs"),
    };
    let list = get_json(client, &path).await?;
    for entry in list.as_array().into_iter().flatten() {
        let raw = entry["logs"].as_str().unwrap_or("");
        let text = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .context("decoding logs")?;
        if target.is_none() {
            println!("{}:", entry["target_id"].as_str().unwrap_or("?"));
        }
        print!("{}", String::from_utf8_lossy(&text));
    }
    Ok(())
}
