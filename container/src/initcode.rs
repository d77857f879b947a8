//! The legacy *init code* form (`runtime: "python3.Xv2"`): user Python code with a
//! `transform` function, served by lode's generated FastAPI server (see `pyserver`).

use base64::Engine as _;
use serde_json::Value;

use crate::{CommType, SpecError};

/// How the user's function receives the object (`argument` / `arg_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    /// `""`: the object's bytes (the default).
    Bytes,
    /// `"fqn"`: the path of the object's local file.
    Fqn,
    /// `"url"`: a URL the function fetches the object from; only with `hpull://`.
    Url,
}

impl Argument {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Argument::Bytes => "",
            Argument::Fqn => "fqn",
            Argument::Url => "url",
        }
    }
}

/// A validated init-code message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitCode {
    /// Python version from the runtime name, e.g. `"3.11"` for `python3.11v2`.
    pub python: String,
    /// The decoded source code.
    pub code: String,
    /// `funcs.transform`: the name of the function to call.
    pub transform: String,
    /// Requirement lines from the decoded `dependencies`.
    pub dependencies: Vec<String>,
    /// How the object is passed.
    pub argument: Argument,
    /// `chunk_size` > 0: the function gets an iterator of chunks of this size.
    pub chunk_size: u64,
}

impl InitCode {
    /// Validates the init-code fields of `msg`, whose `runtime` is the string `runtime`.
    pub(crate) fn parse(msg: &Value, runtime: &str, comm: CommType) -> Result<InitCode, SpecError> {
        let python = runtime
            .strip_prefix("python")
            .and_then(|r| r.strip_suffix("v2"))
            .filter(|v| {
                let mut parts = v.split('.');
                parts.next() == Some("3")
                    && parts
                        .next()
                        .is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
                    && parts.next().is_none()
            })
            .ok_or_else(|| {
                SpecError::new(
                    "runtime",
                    format!(
                        "unknown runtime {runtime:?} (expected python3.Xv2, e.g. python3.11v2)"
                    ),
                )
            })?
            .to_owned();
        let code = b64_text(msg, "code")?.ok_or_else(|| SpecError::new("code", "required"))?;
        if code.trim().is_empty() {
            return Err(SpecError::new("code", "must not be empty"));
        }
        let transform = match msg["funcs"]["transform"].as_str() {
            Some(f) if is_identifier(f) => f.to_owned(),
            Some(f) => {
                return Err(SpecError::new(
                    "funcs.transform",
                    format!("{f:?} is not a Python function name"),
                ))
            }
            None => return Err(SpecError::new("funcs.transform", "required")),
        };
        let dependencies = b64_text(msg, "dependencies")?
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        let (arg_field, arg) = match (&msg["argument"], &msg["arg_type"]) {
            (Value::Null, a) => ("arg_type", a),
            (a, _) => ("argument", a),
        };
        let argument = match arg {
            Value::Null => Argument::Bytes,
            Value::String(s) if s.is_empty() => Argument::Bytes,
            Value::String(s) if s == "fqn" => Argument::Fqn,
            Value::String(s) if s == "url" => Argument::Url,
            other => {
                return Err(SpecError::new(
                    arg_field,
                    format!("{other} is not one of \"\", \"fqn\", \"url\""),
                ))
            }
        };
        if argument == Argument::Url && comm != CommType::Hpull {
            return Err(SpecError::new(
                arg_field,
                "\"url\" is only supported with hpull:// communication",
            ));
        }
        let chunk_size = match &msg["chunk_size"] {
            Value::Null => 0,
            v => v
                .as_u64()
                .ok_or_else(|| SpecError::new("chunk_size", "must be a non-negative integer"))?,
        };
        Ok(InitCode {
            python,
            code,
            transform,
            dependencies,
            argument,
            chunk_size,
        })
    }
}

fn b64_text(msg: &Value, field: &str) -> Result<Option<String>, SpecError> {
    let Some(v) = msg.get(field).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let text = v
        .as_str()
        .ok_or_else(|| SpecError::new(field, "must be a base64 string"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| SpecError::new(field, format!("not valid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| SpecError::new(field, "not UTF-8 text"))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn msg() -> Value {
        json!({"name": "md5-code", "runtime": "python3.11v2", "code": b64("def transform(b):\n    return b\n"),
               "funcs": {"transform": "transform"}, "dependencies": b64("numpy==2.0\n# c\n\nrequests\n")})
    }

    fn err(m: &Value, comm: CommType) -> String {
        InitCode::parse(m, m["runtime"].as_str().unwrap_or(""), comm)
            .unwrap_err()
            .field
    }

    #[test]
    fn valid_message() {
        let c = InitCode::parse(&msg(), "python3.11v2", CommType::Hpush).unwrap();
        assert_eq!(c.python, "3.11");
        assert_eq!(c.transform, "transform");
        assert_eq!(c.dependencies, ["numpy==2.0", "requests"]);
        assert_eq!((c.argument, c.chunk_size), (Argument::Bytes, 0));
    }

    #[test]
    fn runtime_must_be_python3_x_v2() {
        for bad in [
            "python3.11",
            "python2.7v2",
            "python3v2",
            "python3.xv2",
            "go1.22",
        ] {
            let mut m = msg();
            m["runtime"] = bad.into();
            assert_eq!(err(&m, CommType::Hpush), "runtime", "{bad}");
        }
    }

    #[test]
    fn code_is_required_base64() {
        let mut m = msg();
        m.as_object_mut().unwrap().remove("code");
        assert_eq!(err(&m, CommType::Hpush), "code");
        m["code"] = "@@not base64@@".into();
        assert_eq!(err(&m, CommType::Hpush), "code");
        m["code"] = b64("  \n").into();
        assert_eq!(err(&m, CommType::Hpush), "code");
    }

    #[test]
    fn funcs_transform_is_required() {
        let mut m = msg();
        m.as_object_mut().unwrap().remove("funcs");
        assert_eq!(err(&m, CommType::Hpush), "funcs.transform");
        m["funcs"] = json!({"transform": "not a name"});
        assert_eq!(err(&m, CommType::Hpush), "funcs.transform");
    }

    #[test]
    fn dependencies_must_be_base64() {
        let mut m = msg();
        m["dependencies"] = 5.into();
        assert_eq!(err(&m, CommType::Hpush), "dependencies");
    }

    #[test]
    fn argument_values_and_url_only_with_hpull() {
        let mut m = msg();
        m["argument"] = "fqn".into();
        assert_eq!(
            InitCode::parse(&m, "python3.11v2", CommType::Hpush)
                .unwrap()
                .argument,
            Argument::Fqn
        );
        m["argument"] = "url".into();
        assert_eq!(err(&m, CommType::Hpush), "argument");
        assert_eq!(
            InitCode::parse(&m, "python3.11v2", CommType::Hpull)
                .unwrap()
                .argument,
            Argument::Url
        );
        m["argument"] = "path".into();
        assert_eq!(err(&m, CommType::Hpull), "argument");
        let mut m = msg();
        m["arg_type"] = "url".into();
        assert_eq!(err(&m, CommType::Ws), "arg_type");
    }

    #[test]
    fn chunk_size_is_a_non_negative_integer() {
        let mut m = msg();
        m["chunk_size"] = 65536.into();
        assert_eq!(
            InitCode::parse(&m, "python3.11v2", CommType::Hpush)
                .unwrap()
                .chunk_size,
            65536
        );
        m["chunk_size"] = (-1).into();
        assert_eq!(err(&m, CommType::Hpush), "chunk_size");
    }
}
