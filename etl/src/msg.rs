//! ETL init messages: the shapes `PUT /v1/etl` accepts, parsed and validated in one place.
//!
//! | message | recognised by | lode reads it as |
//! |---|---|---|
//! | init code, `"runtime": "wasm32"` (lode's addition) | `runtime` is a string | a Wasm module inline in `code` (base64) |
//! | SDK 2.0 spec (`Etl.init(image=...)`) with `image: "ais://bucket/object"` | `runtime` is an object | a Wasm module stored in the cluster |
//!
//! Every other form is a container ETL, validated by [`lode_container::ContainerSpec::parse`]
//! (errors name the field): an SDK 2.0 message whose `runtime.image` is a container image
//! (with `command`), `init_class` (the `aistorage/runtime_python` image), a base64 Pod spec in
//! `spec`, and Python init code (`"runtime": "python3.Xv2"`).

use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::name;
use lode_wire::duration;

/// AIStore's default `init_timeout` when the message has none.
pub const DEFAULT_INIT_TIMEOUT: Duration = Duration::from_secs(45);
/// AIStore's default `obj_timeout` when the message has none; for Wasm it is the per-object
/// CPU deadline.
pub const DEFAULT_OBJ_TIMEOUT: Duration = Duration::from_secs(10);

/// An init message that failed validation; the text names the problem (HTTP 400).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidMsg(pub String);

/// One `{"name", "value"}` environment entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Its value (Kubernetes-style messages may omit it: empty).
    #[serde(default)]
    pub value: String,
}

/// How the module receives each object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ArgType {
    /// The object's bytes (`argument: ""`).
    #[default]
    Bytes,
    /// The object's local file, memory-mapped by the target (`argument: "fqn"`).
    Fqn,
}

/// What runs the ETL: where its Wasm module comes from, or a container transformer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// The module bytes, from init code's `code`.
    Inline(Vec<u8>),
    /// An object of this cluster, from the SDK message's `image: "ais://bucket/object"`.
    Object {
        /// Bucket name.
        bucket: String,
        /// Object name.
        object: String,
    },
    /// Not Wasm: a container transformer, run by the container backend.
    #[cfg(feature = "container")]
    Container(Box<lode_container::ContainerSpec>),
}

/// A validated init message.
#[derive(Clone, Debug)]
pub struct InitMsg {
    /// The ETL name (validated).
    pub name: String,
    /// `hpush://`, `hpull://` or `ws://` (ignored for Wasm, echoed back).
    pub communication: String,
    /// How long targets may take to get ready.
    pub init_timeout: Duration,
    /// Per-object deadline.
    pub obj_timeout: Duration,
    /// Environment for the transform: the runtime env, then the top-level env.
    pub env: Vec<EnvVar>,
    /// Input form.
    pub arg_type: ArgType,
    /// The module.
    pub module: ModuleSource,
    /// The message as received, with defaults filled in: what `GET /v1/etl/<name>` echoes.
    pub echo: Value,
}

const COMM_TYPES: [&str; 3] = ["hpush://", "hpull://", "ws://"];

impl InitMsg {
    /// Parses and validates the body of `PUT /v1/etl`.
    pub fn parse(body: &[u8]) -> Result<InitMsg, InvalidMsg> {
        InitMsg::parse_form(body, false)
    }

    /// The form cluster metadata keeps a valid `body` in: Wasm init code without its `code`
    /// (the module travels by hash, as a [`ModuleRef`](crate::ModuleRef)); every other form
    /// as received.
    pub fn stored_form(body: &[u8]) -> Result<String, InvalidMsg> {
        let mut value: Value = serde_json::from_slice(body)
            .map_err(|e| InvalidMsg(format!("invalid ETL init message: {e}")))?;
        if let Some(obj) = value.as_object_mut() {
            if obj.get("runtime").and_then(Value::as_str) == Some("wasm32") {
                obj.remove("code");
            }
        }
        Ok(value.to_string())
    }

    /// Parses a message kept in [`InitMsg::stored_form`]. Wasm init code without `code`
    /// parses, with an empty [`ModuleSource::Inline`]: the caller has the module by hash.
    pub fn parse_stored(init: &[u8]) -> Result<InitMsg, InvalidMsg> {
        InitMsg::parse_form(init, true)
    }

    fn parse_form(body: &[u8], stored: bool) -> Result<InitMsg, InvalidMsg> {
        let bad = |text: String| InvalidMsg(text);
        let mut echo: Value = serde_json::from_slice(body)
            .map_err(|e| bad(format!("invalid ETL init message: {e}")))?;
        let obj = echo
            .as_object_mut()
            .ok_or_else(|| bad("invalid ETL init message: expected a JSON object".into()))?;

        let name = str_field(obj, "name")?.unwrap_or_default();
        name::validate(&name).map_err(bad)?;
        if is_container(obj) {
            return parse_container(body, name, echo);
        }
        let obj = echo
            .as_object_mut()
            .ok_or_else(|| bad("invalid ETL init message: expected a JSON object".into()))?;

        let communication = match str_field(obj, "communication")?.as_deref() {
            None | Some("") => "hpush://".to_owned(),
            Some(c) if COMM_TYPES.contains(&c) => c.to_owned(),
            Some(c) => {
                return Err(bad(format!(
                    "unknown communication type {c:?} (expected one of {COMM_TYPES:?})"
                )))
            }
        };
        obj.insert("communication".into(), Value::String(communication.clone()));
        let init_timeout = timeout_field(obj, "init_timeout", DEFAULT_INIT_TIMEOUT)?;
        let obj_timeout = timeout_field(obj, "obj_timeout", DEFAULT_OBJ_TIMEOUT)?;
        let top_env = env_field(obj.get("env"))?;

        let (module, arg_type, mut env) = match obj.get("runtime") {
            Some(Value::String(runtime)) => parse_code(runtime, obj, stored)?,
            Some(Value::Object(runtime)) => parse_image(runtime)?,
            Some(_) => return Err(bad("invalid ETL init message: \"runtime\" must be a string or an object".into())),
            None => return Err(bad("invalid ETL init message: missing \"runtime\" (\"wasm32\" with \"code\", or {\"image\": \"ais://bucket/module.wasm\"})".into())),
        };
        env.extend(top_env);
        Ok(InitMsg {
            name,
            communication,
            init_timeout,
            obj_timeout,
            env,
            arg_type,
            module,
            echo,
        })
    }
}

/// Whether the message is a container ETL: a runtime other than `wasm32`, an image other than
/// `ais://...`, or a Pod spec without a runtime.
fn is_container(obj: &serde_json::Map<String, Value>) -> bool {
    match obj.get("runtime") {
        Some(Value::String(runtime)) => runtime != "wasm32",
        Some(Value::Object(runtime)) => !runtime
            .get("image")
            .and_then(Value::as_str)
            .is_some_and(|i| i.starts_with("ais://")),
        Some(_) => false,
        None => obj.contains_key("spec"),
    }
}

/// A container ETL in a build without the container backend: refused, naming the feature.
#[cfg(not(feature = "container"))]
fn parse_container(_: &[u8], name: String, _: Value) -> Result<InitMsg, InvalidMsg> {
    Err(InvalidMsg(format!(
        "ETL {name:?} is a container ETL (image, command, spec or Python init code), and this \
         build of lode-etl leaves out its `container` feature"
    )))
}

/// A container ETL: the container crate validates the forms; the timeouts and the echo are
/// read here as for Wasm.
#[cfg(feature = "container")]
fn parse_container(body: &[u8], name: String, mut echo: Value) -> Result<InitMsg, InvalidMsg> {
    let spec = lode_container::ContainerSpec::parse(body).map_err(|e| InvalidMsg(e.to_string()))?;
    let obj = echo
        .as_object_mut()
        .ok_or_else(|| InvalidMsg("invalid ETL init message: expected a JSON object".into()))?;
    let communication = spec.comm.as_str().to_owned();
    obj.insert("communication".into(), Value::String(communication.clone()));
    let init_timeout = timeout_field(obj, "init_timeout", DEFAULT_INIT_TIMEOUT)?;
    let obj_timeout = timeout_field(obj, "obj_timeout", DEFAULT_OBJ_TIMEOUT)?;
    let arg_type = match spec.env_var("ETL_DIRECT_FQN") {
        Some("true") => ArgType::Fqn,
        _ => ArgType::Bytes,
    };
    let env = spec
        .env
        .iter()
        .map(|(name, value)| EnvVar {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    Ok(InitMsg {
        name,
        communication,
        init_timeout,
        obj_timeout,
        env,
        arg_type,
        module: ModuleSource::Container(Box::new(spec)),
        echo,
    })
}

fn parse_code(
    runtime: &str,
    obj: &serde_json::Map<String, Value>,
    stored: bool,
) -> Result<(ModuleSource, ArgType, Vec<EnvVar>), InvalidMsg> {
    debug_assert_eq!(runtime, "wasm32", "other runtimes are container ETLs");
    let code = str_field(obj, "code")?.filter(|c| !c.is_empty());
    let bytes = match code {
        Some(code) => base64::engine::general_purpose::STANDARD
            .decode(code.trim())
            .map_err(|e| InvalidMsg(format!("init code: \"code\" is not valid base64: {e}")))?,
        None if stored => Vec::new(),
        None => {
            return Err(InvalidMsg(
                "init code: missing \"code\" (the base64-encoded Wasm module)".into(),
            ))
        }
    };
    let arg_type = match str_field(obj, "argument")?
        .or(str_field(obj, "arg_type")?)
        .as_deref()
    {
        None | Some("") => ArgType::Bytes,
        Some("fqn") => ArgType::Fqn,
        Some(other) => {
            return Err(InvalidMsg(format!(
            "init code: unsupported argument type {other:?} for wasm32 (expected \"\" or \"fqn\")"
        )))
        }
    };
    Ok((ModuleSource::Inline(bytes), arg_type, Vec::new()))
}

fn parse_image(
    runtime: &serde_json::Map<String, Value>,
) -> Result<(ModuleSource, ArgType, Vec<EnvVar>), InvalidMsg> {
    let image = str_field(runtime, "image")?.unwrap_or_default();
    let Some(path) = image.strip_prefix("ais://") else {
        return Err(InvalidMsg(format!(
            "container image {image:?} needs the container backend, which this cluster does not run yet; \
             give a Wasm module stored in the cluster as \"ais://bucket/module.wasm\""
        )));
    };
    let (bucket, object) = path
        .split_once('/')
        .filter(|(b, o)| !b.is_empty() && !o.is_empty())
        .ok_or_else(|| InvalidMsg(format!("image {image:?}: expected \"ais://bucket/object\"")))?;
    let env = env_field(runtime.get("env"))?;
    // The SDK's `direct_file_access=True` arrives as this variable: it selects FQN input.
    let arg_type = if env
        .iter()
        .any(|e| e.name == "ETL_DIRECT_FQN" && e.value == "true")
    {
        ArgType::Fqn
    } else {
        ArgType::Bytes
    };
    let module = ModuleSource::Object {
        bucket: bucket.to_owned(),
        object: object.to_owned(),
    };
    Ok((module, arg_type, env))
}

fn str_field(
    obj: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, InvalidMsg> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(InvalidMsg(format!(
            "invalid ETL init message: {key:?} must be a string, got {other}"
        ))),
    }
}

/// Reads a timeout (Go duration string, or integer nanoseconds), fills in the default and
/// writes the normalised string back for the echo.
fn timeout_field(
    obj: &mut serde_json::Map<String, Value>,
    key: &str,
    default: Duration,
) -> Result<Duration, InvalidMsg> {
    let parsed = match obj.get(key) {
        None | Some(Value::Null) => Duration::ZERO,
        Some(Value::String(s)) if s.is_empty() => Duration::ZERO,
        Some(Value::String(s)) => {
            duration::parse(s).map_err(|e| InvalidMsg(format!("{key}: {e}")))?
        }
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Duration::from_nanos)
            .ok_or_else(|| InvalidMsg(format!("{key}: invalid duration {n}")))?,
        Some(other) => return Err(InvalidMsg(format!("{key}: invalid duration {other}"))),
    };
    let value = if parsed.is_zero() { default } else { parsed };
    obj.insert(key.to_owned(), Value::String(duration::format(value)));
    Ok(value)
}

fn env_field(value: Option<&Value>) -> Result<Vec<EnvVar>, InvalidMsg> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            InvalidMsg(format!(
                "invalid \"env\": expected [{{\"name\", \"value\"}}]: {e}"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<InitMsg, InvalidMsg> {
        InitMsg::parse(v.to_string().as_bytes())
    }

    #[test]
    fn wasm_init_code() {
        let msg = parse(json!({"name": "flac2wav", "runtime": "wasm32", "code": "AGFzbQEAAAA=", "argument": "fqn"})).unwrap();
        assert_eq!(
            msg.module,
            ModuleSource::Inline(b"\0asm\x01\0\0\0".to_vec())
        );
        assert_eq!(msg.arg_type, ArgType::Fqn);
        assert_eq!(msg.communication, "hpush://");
        assert_eq!(msg.init_timeout, DEFAULT_INIT_TIMEOUT);
        assert_eq!(msg.echo["obj_timeout"], "10s");
    }

    #[test]
    fn stored_wasm_init_code_keeps_no_module_and_parses_back() {
        let body = json!({"name": "upper-etl", "runtime": "wasm32", "code": "AGFzbQEAAAA=", "argument": "fqn"});
        let stored = InitMsg::stored_form(body.to_string().as_bytes()).unwrap();
        assert!(!stored.contains("AGFzbQEAAAA="), "{stored}");
        let msg = InitMsg::parse_stored(stored.as_bytes()).unwrap();
        assert_eq!(
            (msg.name.as_str(), msg.arg_type),
            ("upper-etl", ArgType::Fqn)
        );
        assert_eq!(msg.module, ModuleSource::Inline(Vec::new()));
        assert!(
            InitMsg::parse(stored.as_bytes()).is_err(),
            "a client must send code"
        );

        let python = json!({"name": "py", "runtime": "python3.11v2", "code": "ZGVm", "funcs": {"transform": "t"}});
        let kept = InitMsg::stored_form(python.to_string().as_bytes()).unwrap();
        assert!(
            kept.contains("ZGVm"),
            "container init code keeps its source: {kept}"
        );
    }

    #[test]
    fn sdk_message_with_ais_image() {
        let msg = parse(json!({
            "name": "my-etl1", "communication": "hpush://", "init_timeout": "5m", "obj_timeout": "45s",
            "support_direct_put": false,
            "runtime": {"image": "ais://mods/md5.wasm", "env": [{"name": "FOO", "value": "bar"}]},
            "env": [{"name": "TOP", "value": "1"}]
        }))
        .unwrap();
        assert_eq!(
            msg.module,
            ModuleSource::Object {
                bucket: "mods".into(),
                object: "md5.wasm".into()
            }
        );
        assert_eq!(msg.obj_timeout, Duration::from_secs(45));
        assert_eq!(
            msg.env.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["FOO", "TOP"]
        );
        assert_eq!(msg.echo["init_timeout"], "5m");
    }

    #[test]
    fn direct_fqn_env_selects_fqn() {
        let msg = parse(
            json!({"name": "my-etl1", "runtime": {"image": "ais://m/x.wasm",
            "env": [{"name": "ETL_DIRECT_FQN", "value": "true"}]}}),
        )
        .unwrap();
        assert_eq!(msg.arg_type, ArgType::Fqn);
    }

    #[test]
    #[cfg(feature = "container")]
    fn container_image_is_a_container_etl() {
        let msg = parse(json!({
            "name": "md5-etl", "communication": "hpull://", "obj_timeout": "20s",
            "runtime": {"image": "local/md5", "command": ["python", "srv.py", "--port", "8000"],
                        "env": [{"name": "ETL_DIRECT_FQN", "value": "true"}]}
        }))
        .unwrap();
        let ModuleSource::Container(spec) = &msg.module else {
            panic!("not a container ETL: {:?}", msg.module)
        };
        assert_eq!(spec.comm, lode_container::CommType::Hpull);
        assert_eq!(msg.arg_type, ArgType::Fqn);
        assert_eq!(msg.obj_timeout, Duration::from_secs(20));
        assert_eq!(msg.echo["communication"], "hpull://");
    }

    #[test]
    fn rejections_name_the_problem() {
        let cases = [
            (
                json!({"name": "ab", "runtime": "wasm32", "code": "AA=="}),
                "too short",
            ),
            (
                json!({"name": "my-etl1", "runtime": "wasm32"}),
                "missing \"code\"",
            ),
            (
                json!({"name": "my-etl1", "runtime": "wasm32", "code": "!!"}),
                "base64",
            ),
            (
                json!({"name": "my-etl1", "runtime": {"image": "ais://onlybucket"}}),
                "ais://bucket/object",
            ),
            (
                json!({"name": "my-etl1", "communication": "hpush", "runtime": "wasm32", "code": "AA=="}),
                "communication",
            ),
            (
                json!({"name": "my-etl1", "obj_timeout": "soon", "runtime": "wasm32", "code": "AA=="}),
                "obj_timeout",
            ),
            (json!({"name": "my-etl1"}), "missing \"runtime\""),
            (json!([1, 2]), "JSON object"),
        ];
        for (msg, needle) in cases {
            let err = parse(msg.clone()).unwrap_err().to_string();
            assert!(err.contains(needle), "{msg}: {err:?} lacks {needle:?}");
        }
    }

    /// Container messages: refused by the container crate's validation, or, in a build without
    /// the container backend, by the missing feature's name.
    #[test]
    fn container_rejections_name_the_problem() {
        let cases = [
            (
                json!({"name": "my-etl1", "runtime": "python3.11v2", "code": "AA=="}),
                "transform",
            ),
            (
                json!({"name": "my-etl1", "communication": "ws://", "runtime": {"image": "aistorage/transformer_md5"}}),
                "support_direct_put",
            ),
            (json!({"name": "my-etl1", "spec": "!!"}), "spec"),
        ];
        for (msg, needle) in cases {
            let err = parse(msg.clone()).unwrap_err().to_string();
            let needle = if cfg!(feature = "container") {
                needle
            } else {
                "its `container` feature"
            };
            assert!(err.contains(needle), "{msg}: {err:?} lacks {needle:?}");
        }
    }
}
