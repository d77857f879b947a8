//! `lode etl ...`: the `ais etl` commands. Init (Wasm init code, or a runtime-spec YAML),
//! show, errors, logs, stop/start/rm, and the transforms themselves: one object inline, or a
//! bucket (or a list / template of objects) offline with an optional live progress bar.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use reqwest::Method;
use serde::Deserialize as _;
use serde_json::{json, Value};

use crate::client::{check, BckObj, Client};
use crate::job;

/// Manage and run ETLs.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Initialize an ETL: `init code ...` for a Wasm module, or `init -f spec.yaml`.
    Init(InitArgs),
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
    Stop(NamesArgs),
    /// Start stopped ETLs again.
    Start(NamesArgs),
    /// Remove ETLs (stopping them first).
    Rm(NamesArgs),
    /// Transform one object: `lode etl object NAME ais://b/o OUT|-`.
    Object(ObjectArgs),
    /// Transform a bucket (or a list / template of its objects) into another bucket.
    Bucket(BucketArgs),
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct InitArgs {
    #[command(subcommand)]
    code: Option<InitCode>,
    /// Runtime-spec YAML (`name`, `runtime.image`, ...); several docs separated by `---`.
    #[arg(short = 'f', long = "spec")]
    spec: Option<PathBuf>,
    /// Override the spec's name.
    #[arg(long)]
    name: Option<String>,
    /// Override the communication type (hpush, hpull, ws; with or without `://`).
    #[arg(long)]
    comm_type: Option<String>,
    /// Override `init_timeout` (Go duration, e.g. 5m).
    #[arg(long)]
    init_timeout: Option<String>,
    /// Override `obj_timeout` (Go duration, e.g. 45s).
    #[arg(long)]
    object_timeout: Option<String>,
}

#[derive(clap::Subcommand)]
enum InitCode {
    /// Initialize from a module file: `--name N --runtime wasm32 --from-file X.wasm`.
    Code {
        /// ETL name (6-32 of [a-z0-9-]).
        #[arg(long)]
        name: String,
        /// The runtime; lode runs `wasm32`.
        #[arg(long, default_value = "wasm32")]
        runtime: String,
        /// The module.
        #[arg(long)]
        from_file: PathBuf,
        /// `fqn` hands the module the object's memory-mapped local file.
        #[arg(long, default_value = "")]
        arg_type: String,
        /// Go duration, e.g. 5m.
        #[arg(long)]
        init_timeout: Option<String>,
        /// Per-object deadline, Go duration, e.g. 10s.
        #[arg(long)]
        object_timeout: Option<String>,
    },
}

#[derive(clap::Args)]
struct NamesArgs {
    /// ETL names.
    names: Vec<String>,
    /// All ETLs.
    #[arg(long)]
    all: bool,
}

#[derive(clap::Args)]
struct ObjectArgs {
    /// ETL name, or a pipeline `a>>b>>c`.
    etl: String,
    /// `ais://bucket/object`.
    src: String,
    /// Output file, or `-` for stdout.
    out: String,
    /// Transform arguments (`etl_args`).
    #[arg(long)]
    args: Option<String>,
}

#[derive(clap::Args)]
struct BucketArgs {
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

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    match args.command {
        Command::Init(a) => init(&client, a).await,
        Command::Show { names } => show(&client, &names).await,
        Command::Logs { name, target } => logs(&client, &name, target.as_deref()).await,
        Command::Stop(a) => lifecycle(&client, a, "stop").await,
        Command::Start(a) => lifecycle(&client, a, "start").await,
        Command::Rm(a) => lifecycle(&client, a, "rm").await,
        Command::Object(a) => object(&client, a).await,
        Command::Bucket(a) => bucket(&client, a).await,
    }
}

async fn init(client: &Client, args: InitArgs) -> anyhow::Result<()> {
    let msgs = match (args.code, &args.spec) {
        (
            Some(InitCode::Code {
                name,
                runtime,
                from_file,
                arg_type,
                init_timeout,
                object_timeout,
            }),
            _,
        ) => {
            let module = std::fs::read(&from_file)
                .with_context(|| format!("reading {}", from_file.display()))?;
            let mut msg = json!({
                "name": name, "runtime": runtime, "argument": arg_type,
                "code": base64::engine::general_purpose::STANDARD.encode(module),
            });
            set_opt(&mut msg, "init_timeout", init_timeout);
            set_opt(&mut msg, "obj_timeout", object_timeout);
            vec![msg]
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let mut docs =
                spec_docs(&text).with_context(|| format!("parsing {}", path.display()))?;
            let overrides = args.name.is_some()
                || args.comm_type.is_some()
                || args.init_timeout.is_some()
                || args.object_timeout.is_some();
            if overrides && docs.len() > 1 {
                bail!(
                    "{}: override flags cannot be used with a multi-document spec",
                    path.display()
                );
            }
            if let Some(doc) = docs.first_mut() {
                set_opt(doc, "name", args.name);
                set_opt(
                    doc,
                    "communication",
                    args.comm_type.map(|c| {
                        if c.contains("://") {
                            c
                        } else {
                            format!("{c}://")
                        }
                    }),
                );
                set_opt(doc, "init_timeout", args.init_timeout);
                set_opt(doc, "obj_timeout", args.object_timeout);
            }
            docs
        }
        (None, None) => {
            bail!("give `init code --name N --from-file X.wasm` or `init -f spec.yaml`")
        }
    };
    for msg in msgs {
        let name = msg
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let resp = client
            .call(Method::PUT, &client.url("etl"), Some(&msg))
            .await?;
        let xid = resp.text().await.context("reading the init response")?;
        println!("ETL[{name}]: job {:?}", xid.trim());
    }
    Ok(())
}

/// YAML runtime-spec documents as JSON init messages (`support_direct_put` etc. pass through).
fn spec_docs(text: &str) -> anyhow::Result<Vec<Value>> {
    let mut docs = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let value = Value::deserialize(doc)?;
        if value.is_null() {
            continue;
        }
        if !value.is_object() {
            bail!("each spec document must be a mapping");
        }
        docs.push(value);
    }
    if docs.is_empty() {
        bail!("the spec holds no document");
    }
    Ok(docs)
}

fn set_opt(msg: &mut Value, key: &str, value: Option<String>) {
    if let (Some(v), Some(obj)) = (value, msg.as_object_mut()) {
        obj.insert(key.to_owned(), Value::String(v));
    }
}

async fn show(client: &Client, names: &[String]) -> anyhow::Result<()> {
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
    }
    Ok(())
}

async fn logs(client: &Client, name: &str, target: Option<&str>) -> anyhow::Result<()> {
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

async fn lifecycle(client: &Client, args: NamesArgs, op: &str) -> anyhow::Result<()> {
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

/// `a>>b>>c` -> (`a`, `b,c`).
fn split_pipeline(spec: &str) -> (String, Vec<String>) {
    let mut parts = spec.split(">>").map(|s| s.trim().to_owned());
    let first = parts.next().unwrap_or_default();
    (first, parts.collect())
}

async fn object(client: &Client, args: ObjectArgs) -> anyhow::Result<()> {
    let src = BckObj::parse(&args.src)?;
    let (etl, pipeline) = split_pipeline(&args.etl);
    let mut url = format!(
        "{}&etl_name={etl}",
        client.object_url(&src.bucket, src.require_object()?)
    );
    if !pipeline.is_empty() {
        url.push_str(&format!("&etl_pipeline={}", pipeline.join(",")));
    }
    if let Some(a) = &args.args {
        let enc = percent_encoding::utf8_percent_encode(a, percent_encoding::NON_ALPHANUMERIC);
        url.push_str(&format!("&etl_args={enc}"));
    }
    let resp = client.call(Method::GET, &url, None).await?;
    let what = format!(
        "ais://{}/{} via {}",
        src.bucket,
        src.require_object()?,
        args.etl
    );
    crate::object::save_body(resp, std::path::Path::new(&args.out), &what).await
}

async fn bucket(client: &Client, args: BucketArgs) -> anyhow::Result<()> {
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

async fn get_json(client: &Client, path: &str) -> anyhow::Result<Value> {
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

    #[test]
    fn multi_doc_specs_parse() {
        let docs = spec_docs(
            "name: a-etl1\nruntime:\n  image: x\n---\nname: b-etl1\nruntime:\n  image: y\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["runtime"]["image"], "y");
        assert!(spec_docs("").is_err());
    }
}
