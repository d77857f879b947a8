//! The deprecated *init spec* form: a base64 Kubernetes Pod YAML, validated as AIStore's
//! ETL docs say (one container, a port named `default`, an HTTP readiness probe on it,
//! annotations, no `spec.affinity.nodeAffinity`). The YAML is read as a generic value: lode
//! only needs the handful of fields below, and every error names the offending path.

use serde_yaml_ng::Value;

use crate::{CommType, SpecError};

/// What lode takes from a validated pod spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSpec {
    /// `spec.containers[0].image`.
    pub image: String,
    /// `command` followed by `args` (Kubernetes semantics); empty = the image's entrypoint.
    pub command: Vec<String>,
    /// `spec.containers[0].env` (`name`/`value` pairs).
    pub env: Vec<(String, String)>,
    /// `ports[0].containerPort` (absent only for `io://`).
    pub port: Option<u16>,
    /// `metadata.annotations.communication_type`.
    pub comm: Option<CommType>,
    /// `metadata.annotations.wait_timeout`, unparsed (a Go duration; the ETL layer parses it).
    pub wait_timeout: Option<String>,
    /// `metadata.annotations.support_direct_put`.
    pub direct_put: Option<bool>,
    /// The whole pod as JSON: the `kubernetes` runner starts it with its additions.
    pub pod: serde_json::Value,
}

const C0: &str = "spec.containers[0]";

impl PodSpec {
    /// Parses and validates a Pod YAML. `message_comm` is the message's own
    /// `communication`, used when the pod has no `communication_type` annotation (it decides
    /// whether ports and the readiness probe are required: not for `io://`).
    pub fn parse(yaml: &[u8], message_comm: CommType) -> Result<PodSpec, SpecError> {
        let pod: Value = serde_yaml_ng::from_slice(yaml)
            .map_err(|e| SpecError::new("spec", format!("not a valid YAML pod spec: {e}")))?;
        if !pod.is_mapping() {
            return Err(SpecError::new(
                "spec",
                "the pod spec must be a YAML mapping",
            ));
        }
        let annotations = &pod["metadata"]["annotations"];
        let comm = opt_str(annotations, "metadata.annotations.communication_type")?
            .map(|c| CommType::parse(c, "metadata.annotations.communication_type"))
            .transpose()?;
        let wait_timeout =
            opt_str(annotations, "metadata.annotations.wait_timeout")?.map(str::to_owned);
        let direct_put = opt_str(annotations, "metadata.annotations.support_direct_put")?
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(SpecError::new(
                    "metadata.annotations.support_direct_put",
                    format!("must be \"true\" or \"false\", not {v:?}"),
                )),
            })
            .transpose()?;

        let spec = &pod["spec"];
        if !spec["affinity"]["nodeAffinity"].is_null() {
            return Err(SpecError::new(
                "spec.affinity.nodeAffinity",
                "forbidden: AIStore sets node affinity to colocate the ETL with its target",
            ));
        }
        let containers = spec["containers"]
            .as_sequence()
            .ok_or_else(|| SpecError::new("spec.containers", "required"))?;
        if containers.len() != 1 {
            return Err(SpecError::new(
                "spec.containers",
                format!("exactly one container required, found {}", containers.len()),
            ));
        }
        let c = &containers[0];
        let image = match c["image"].as_str() {
            Some(i) if !i.is_empty() => i.to_owned(),
            _ => return Err(SpecError::new(format!("{C0}.image"), "required")),
        };
        let mut command = string_list(&c["command"], &format!("{C0}.command"))?;
        command.extend(string_list(&c["args"], &format!("{C0}.args"))?);
        let env = env_list(&c["env"])?;

        let io = comm.unwrap_or(message_comm) == CommType::Io;
        let port = if io && c["ports"].is_null() {
            None
        } else {
            Some(default_port(c)?)
        };
        if !(io && c["readinessProbe"].is_null()) {
            check_probe(c)?;
        }
        // The kubernetes runner reads the rest of the pod (and reports what it cannot).
        let json = serde_json::to_value(&pod)
            .map_err(|e| SpecError::new("spec", format!("not a JSON-compatible pod: {e}")))?;
        Ok(PodSpec {
            image,
            command,
            env,
            port,
            comm,
            wait_timeout,
            direct_put,
            pod: json,
        })
    }
}

fn opt_str<'a>(map: &'a Value, field: &str) -> Result<Option<&'a str>, SpecError> {
    let key = field.rsplit('.').next().unwrap_or(field);
    match &map[key] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(SpecError::new(field, "must be a string")),
    }
}

fn string_list(v: &Value, field: &str) -> Result<Vec<String>, SpecError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, s)| match s {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(SpecError::new(format!("{field}[{i}]"), "must be a string")),
            })
            .collect(),
        _ => Err(SpecError::new(field, "must be a list of strings")),
    }
}

fn env_list(v: &Value) -> Result<Vec<(String, String)>, SpecError> {
    let Some(items) = v.as_sequence() else {
        return match v {
            Value::Null => Ok(Vec::new()),
            _ => Err(SpecError::new(format!("{C0}.env"), "must be a list")),
        };
    };
    items
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let field = format!("{C0}.env[{i}]");
            let name = match e["name"].as_str() {
                Some(n) if !n.is_empty() => n.to_owned(),
                _ => return Err(SpecError::new(format!("{field}.name"), "required")),
            };
            if !e["valueFrom"].is_null() {
                return Err(SpecError::new(
                    format!("{field}.valueFrom"),
                    "not supported outside Kubernetes; give a literal value",
                ));
            }
            let value = match &e["value"] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(SpecError::new(format!("{field}.value"), "must be a string")),
            };
            Ok((name, value))
        })
        .collect()
}

fn default_port(c: &Value) -> Result<u16, SpecError> {
    let ports = c["ports"]
        .as_sequence()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| SpecError::new(format!("{C0}.ports"), "at least one port required"))?;
    let p0 = &ports[0];
    if p0["name"].as_str() != Some("default") {
        return Err(SpecError::new(
            format!("{C0}.ports[0].name"),
            "the first port must be named \"default\"",
        ));
    }
    p0["containerPort"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| {
            SpecError::new(
                format!("{C0}.ports[0].containerPort"),
                "required: a port number 1-65535",
            )
        })
}

fn check_probe(c: &Value) -> Result<(), SpecError> {
    let probe = &c["readinessProbe"];
    if probe.is_null() {
        return Err(SpecError::new(format!("{C0}.readinessProbe"), "required"));
    }
    for key in ["timeoutSeconds", "periodSeconds"] {
        let v = &probe[key];
        if !v.is_null() && v.as_u64().filter(|s| *s > 0).is_none() {
            return Err(SpecError::new(
                format!("{C0}.readinessProbe.{key}"),
                "must be a positive number of seconds",
            ));
        }
    }
    let http = &probe["httpGet"];
    if http.is_null() {
        return Err(SpecError::new(
            format!("{C0}.readinessProbe.httpGet"),
            "required",
        ));
    }
    match http["path"].as_str() {
        Some(p) if !p.is_empty() => {}
        _ => {
            return Err(SpecError::new(
                format!("{C0}.readinessProbe.httpGet.path"),
                "required",
            ))
        }
    }
    if http["port"].as_str() != Some("default") {
        return Err(SpecError::new(
            format!("{C0}.readinessProbe.httpGet.port"),
            "required: must be the port named \"default\"",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "podspec_tests.rs"]
mod tests;
