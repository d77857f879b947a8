//! `lode etl init`: init messages from a Wasm module file or a runtime-spec YAML (with the
//! override flags), PUT to the gateway one by one.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use reqwest::Method;
use serde::Deserialize as _;
use serde_json::{json, Value};

use crate::client::Client;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct InitArgs {
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
pub(super) enum InitCode {
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

pub(super) async fn init(client: &Client, args: InitArgs) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
