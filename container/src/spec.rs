//! [`ContainerSpec`]: the container-relevant part of a `PUT /v1/etl` message, in any of
//! its forms — SDK 2.0 `runtime.image` (+ `command`, `env`), `init_class` (the
//! `aistorage/runtime_python:<ver>` image with `ETL_CLASS_PAYLOAD`), the base64 pod spec,
//! and init code (`python3.Xv2`). Name and timeouts are the ETL layer's business.

use base64::Engine as _;
use serde_json::Value;

use crate::{Argument, CommType, InitCode, PodSpec, SpecError};

/// The port transformers listen on in AIStore's pods (`DefaultContainerPort`).
pub const DEFAULT_PORT: u16 = 8000;

/// The image prefix the SDK's `init_class` uses.
pub const RUNTIME_PYTHON_IMAGE: &str = "aistorage/runtime_python:";

/// A validated container ETL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    /// How the target talks to the transformer.
    pub comm: CommType,
    /// `support_direct_put` (or the pod annotation).
    pub direct_put: bool,
    /// The user env: `runtime.env`, the pod container's env, then top-level `env`.
    pub env: Vec<(String, String)>,
    /// What runs.
    pub workload: Workload,
    /// The pod spec's `wait_timeout` annotation, unparsed.
    pub wait_timeout: Option<String>,
    /// The user's pod (the init-spec form), as JSON: the `kubernetes` runner starts it.
    pub pod: Option<serde_json::Value>,
}

/// What a container ETL runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    /// A container image with an optional command (empty = the image's entrypoint).
    Image {
        /// The image name.
        image: String,
        /// The command and its args.
        command: Vec<String>,
        /// The declared container port (8000 unless a pod spec says otherwise).
        port: u16,
    },
    /// `init_class`: a pickled `ETLServer` subclass in `ETL_CLASS_PAYLOAD`.
    PythonClass {
        /// Python version from the image tag, e.g. `"3.11"`.
        python: String,
        /// pip packages from `PACKAGES` (comma-separated).
        packages: Vec<String>,
    },
    /// Init code.
    PythonCode(InitCode),
}

impl ContainerSpec {
    /// Parses a JSON init message. Errors name the offending field.
    pub fn parse(body: &[u8]) -> Result<ContainerSpec, SpecError> {
        let msg: Value = serde_json::from_slice(body)
            .map_err(|e| SpecError::new("body", format!("not a JSON init message: {e}")))?;
        if !msg.is_object() {
            return Err(SpecError::new(
                "body",
                "the init message must be a JSON object",
            ));
        }
        let comm_text = match &msg["communication"] {
            Value::Null => "",
            Value::String(s) => s,
            _ => return Err(SpecError::new("communication", "must be a string")),
        };
        let mut comm = CommType::parse(comm_text, "communication")?;
        let mut direct_put = match &msg["support_direct_put"] {
            Value::Null => false,
            Value::Bool(b) => *b,
            _ => return Err(SpecError::new("support_direct_put", "must be a boolean")),
        };
        let mut env = Vec::new();
        let mut wait_timeout = None;
        let mut user_pod = None;
        let workload = match (&msg["runtime"], &msg["spec"]) {
            (Value::Object(rt), _) => {
                let image = match rt.get("image").and_then(Value::as_str) {
                    Some(i) if !i.is_empty() => i.to_owned(),
                    _ => return Err(SpecError::new("runtime.image", "required")),
                };
                let command = command(rt.get("command").unwrap_or(&Value::Null))?;
                env.extend(env_list(rt.get("env").unwrap_or(&Value::Null), "runtime.env")?);
                image_workload(image, command, &env)?
            }
            (Value::Null, Value::String(b64)) => {
                let yaml = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| SpecError::new("spec", format!("not valid base64: {e}")))?;
                let pod = PodSpec::parse(&yaml, comm)?;
                comm = pod.comm.unwrap_or(comm);
                direct_put = pod.direct_put.unwrap_or(direct_put);
                wait_timeout = pod.wait_timeout;
                user_pod = Some(pod.pod);
                env.extend(pod.env);
                image_workload(pod.image, pod.command, &env).map(|w| match w {
                    Workload::Image { image, command, .. } => Workload::Image {
                        image,
                        command,
                        port: pod.port.unwrap_or(DEFAULT_PORT),
                    },
                    other => other,
                })?
            }
            (Value::String(runtime), _) => {
                let code = InitCode::parse(&msg, runtime, comm)?;
                if code.argument == Argument::Fqn {
                    env.push(("ETL_DIRECT_FQN".into(), "true".into()));
                }
                Workload::PythonCode(code)
            }
            (Value::Null, Value::Null) => {
                return Err(SpecError::new(
                    "runtime",
                    "required: runtime.image, a pod spec in \"spec\", or a python3.Xv2 runtime with \"code\"",
                ))
            }
            (Value::Null, _) => return Err(SpecError::new("spec", "must be a base64 string")),
            (_, _) => return Err(SpecError::new("runtime", "must be an object or a runtime name")),
        };
        env.extend(env_list(&msg["env"], "env")?);
        comm.check_direct_put(direct_put)?;
        Ok(ContainerSpec {
            comm,
            direct_put,
            env,
            workload,
            wait_timeout,
            pod: user_pod,
        })
    }

    /// The value of a user env var, if set.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn image_workload(
    image: String,
    command: Vec<String>,
    env: &[(String, String)],
) -> Result<Workload, SpecError> {
    let payload = env.iter().any(|(k, _)| k == "ETL_CLASS_PAYLOAD");
    match image.strip_prefix(RUNTIME_PYTHON_IMAGE) {
        Some(python) if command.is_empty() => {
            if !payload {
                return Err(SpecError::new(
                    "runtime.env.ETL_CLASS_PAYLOAD",
                    format!("required with the {RUNTIME_PYTHON_IMAGE}<version> image"),
                ));
            }
            let packages = env
                .iter()
                .filter(|(k, _)| k == "PACKAGES")
                .flat_map(|(_, v)| v.split(','))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            Ok(Workload::PythonClass {
                python: python.to_owned(),
                packages,
            })
        }
        _ => Ok(Workload::Image {
            image,
            command,
            port: DEFAULT_PORT,
        }),
    }
}

fn command(v: &Value) -> Result<Vec<String>, SpecError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(s.split_whitespace().map(str::to_owned).collect()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_str().map(str::to_owned).ok_or_else(|| {
                    SpecError::new(format!("runtime.command[{i}]"), "must be a string")
                })
            })
            .collect(),
        _ => Err(SpecError::new(
            "runtime.command",
            "must be a list of strings",
        )),
    }
}

fn env_list(v: &Value, field: &str) -> Result<Vec<(String, String)>, SpecError> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err(SpecError::new(field, "must be a list of {name, value}")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let name = match e["name"].as_str() {
                Some(n) if !n.is_empty() => n.to_owned(),
                _ => return Err(SpecError::new(format!("{field}[{i}].name"), "required")),
            };
            let value = match &e["value"] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                _ => {
                    return Err(SpecError::new(
                        format!("{field}[{i}].value"),
                        "must be a string",
                    ))
                }
            };
            Ok((name, value))
        })
        .collect()
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
