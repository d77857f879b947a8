//! List objects: the request (AIS `apc.LsoMsg`: which properties, which flags) and the answer
//! (AIS `cmn.LsoRes`) in msgpack, exactly the keys the SDK's msgspec struct requires.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;

/// Default and maximum list page size (AIS's for ais buckets).
pub(crate) const MAX_PAGE: usize = 10_000;

/// Entry flag: the object is present ("cached") on its target.
pub(crate) const ENTRY_IS_CACHED: u64 = 1 << 6;
/// Entry flag: a member inside a shard (`shard.tar/member`, listed with `arch_dir`).
pub(crate) const ENTRY_IN_ARCH: u64 = 1 << 7;
/// Entry flag: a shard whose members follow (with `arch_dir`).
pub(crate) const ENTRY_IS_ARCHIVE: u64 = 1 << 9;

/// Request flags (AIS `apc.Ls*`, by bit position) lode honours. For an `ais://` bucket most
/// are vacuous: every object is present, there is no remote backend and no mirror copy.
pub(crate) mod flag {
    /// Only objects present in the cluster (all of them).
    pub(crate) const CACHED: u64 = 1 << 0;
    /// Also objects whose main copy is missing (there are none).
    pub(crate) const MISSING: u64 = 1 << 1;
    /// Also objects marked deleted (AIS does not implement it either).
    pub(crate) const DELETED: u64 = 1 << 2;
    /// Shards listed with their members.
    pub(crate) const ARCH_DIR: u64 = 1 << 3;
    /// Names only.
    pub(crate) const NAME_ONLY: u64 = 1 << 4;
    /// Names and sizes only.
    pub(crate) const NAME_SIZE: u64 = 1 << 5;
    /// The bucket must be present (it is, or the listing is 404).
    pub(crate) const BCK_PRESENT: u64 = 1 << 6;
    /// Remote buckets only: do not HEAD the remote bucket.
    pub(crate) const DONT_HEAD_REMOTE: u64 = 1 << 7;
    /// Remote buckets only: do not add the remote bucket.
    pub(crate) const DONT_ADD_REMOTE: u64 = 1 << 8;
    /// Only objects not present in the cluster: none, for an ais bucket.
    pub(crate) const NOT_CACHED: u64 = 1 << 9;
    /// Remote buckets only: only the remote's properties.
    pub(crate) const ONLY_REMOTE_PROPS: u64 = 1 << 10;
    /// No virtual directories (lode never lists any).
    pub(crate) const NO_DIRS: u64 = 1 << 13;

    /// Every flag above.
    pub(crate) const HONOURED: u64 = CACHED
        | MISSING
        | DELETED
        | ARCH_DIR
        | NAME_ONLY
        | NAME_SIZE
        | BCK_PRESENT
        | DONT_HEAD_REMOTE
        | DONT_ADD_REMOTE
        | NOT_CACHED
        | ONLY_REMOTE_PROPS
        | NO_DIRS;

    /// The flags lode refuses, by bit, with what they would need.
    pub(crate) const REFUSED: [(u32, &str); 4] = [
        (11, "no_recursion (listing one directory level)"),
        (12, "diff (comparing with a remote backend)"),
        (14, "is_s3 (the S3 compatibility API)"),
        (15, "nbi (bucket inventory)"),
    ];
}

/// Entry properties a listing can ask for (AIS `GetPropsAll`).
const PROPS: [&str; 11] = [
    "name", "size", "checksum", "atime", "version", "cached", "status", "copies", "ec", "custom",
    "location",
];

/// What an empty `props` means for an `ais://` bucket (AIS `GetPropsDefaultAIS`).
const DEFAULT_PROPS: [&str; 4] = ["name", "size", "checksum", "atime"];

/// The `value` of a `list` action, checked: an unknown property or flag is refused naming it.
/// `flags` may be a string (as the SDK sends it) or a number, `props` a comma list or an array.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ListRequest {
    pub(crate) prefix: String,
    pub(crate) page_size: usize,
    pub(crate) uuid: String,
    pub(crate) token: String,
    pub(crate) start_after: String,
    pub(crate) target: String,
    /// The properties asked for, normalised (`name` first, then in [`PROPS`] order).
    pub(crate) props: Vec<&'static str>,
    pub(crate) flags: u64,
}

impl ListRequest {
    pub(crate) fn parse(v: &Value) -> Result<ListRequest, ApiError> {
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let page = match v.get("pagesize") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        let page = usize::try_from(page).unwrap_or(MAX_PAGE);
        let flags = match v.get("flags") {
            None | Some(Value::Null) => Some(0),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if s.is_empty() => Some(0),
            Some(Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        }
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "list objects: flags {} is not a bitmask",
                v["flags"]
            ))
        })?;
        if let Some((bit, what)) = flag::REFUSED
            .iter()
            .find(|(bit, _)| flags & (1 << bit) != 0)
        {
            return Err(ApiError::bad_request(format!(
                "list objects: flag {what} (bit {bit}) is not supported"
            )));
        }
        let unknown =
            flags & !flag::HONOURED & !flag::REFUSED.iter().fold(0, |m, (b, _)| m | 1 << b);
        if unknown != 0 {
            return Err(ApiError::bad_request(format!(
                "list objects: flags {unknown:#x} are not supported"
            )));
        }
        Ok(ListRequest {
            prefix: s("prefix"),
            page_size: if page == 0 {
                MAX_PAGE
            } else {
                page.min(MAX_PAGE)
            },
            uuid: s("uuid"),
            token: s("continuation_token"),
            start_after: s("start_after"),
            target: s("target"),
            props: props(v.get("props"), flags)?,
            flags,
        })
    }

    /// Whether flag `f` was asked for.
    pub(crate) fn has(&self, f: u64) -> bool {
        self.flags & f != 0
    }

    /// Whether property `p` is wanted.
    pub(crate) fn wants(&self, p: &str) -> bool {
        self.props.contains(&p)
    }

    /// Names strictly after this one are wanted.
    pub(crate) fn after(&self) -> &str {
        if self.token >= self.start_after {
            &self.token
        } else {
            &self.start_after
        }
    }

    /// The message a gateway sends to each target for one page.
    pub(crate) fn to_target_msg(&self) -> Value {
        serde_json::json!({"action": "list", "name": "", "value": {
            "prefix": self.prefix, "pagesize": self.page_size, "uuid": self.uuid,
            "props": self.props.join(","), "continuation_token": self.after(),
            "flags": self.flags.to_string(), "target": "",
        }})
    }
}

/// The properties a listing returns: as asked (an unknown one refused), the default when none,
/// name and size alone under `name_size`, the name alone under `name_only`.
fn props(v: Option<&Value>, flags: u64) -> Result<Vec<&'static str>, ApiError> {
    if flags & flag::NAME_ONLY != 0 {
        return Ok(vec!["name"]);
    }
    if flags & flag::NAME_SIZE != 0 {
        return Ok(vec!["name", "size"]);
    }
    let asked: Vec<String> = match v {
        None | Some(Value::Null) => vec![],
        Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_owned()).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| p.as_str().unwrap_or_default().trim().to_owned())
            .collect(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "list objects: props {other} is not a comma list"
            )))
        }
    };
    let asked: Vec<String> = asked.into_iter().filter(|p| !p.is_empty()).collect();
    if let Some(bad) = asked.iter().find(|p| !PROPS.contains(&p.as_str())) {
        return Err(ApiError::bad_request(format!(
            "list objects: property {bad:?} is not supported (one of: {})",
            PROPS.join(", ")
        )));
    }
    if asked.is_empty() {
        return Ok(DEFAULT_PROPS.to_vec());
    }
    Ok(PROPS
        .into_iter()
        .filter(|p| *p == "name" || asked.iter().any(|a| a == p))
        .collect())
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// Fields not asked for are left empty and not sent (the SDK's struct defaults them).
pub(crate) struct LsoEnt {
    pub(crate) n: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) s: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) cs: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) a: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) v: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) t: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) c: u64,
    #[serde(default)]
    pub(crate) f: u64,
    /// Custom metadata, `k=v` pairs comma-separated as in `Ais-Custom-Md` (absent when none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) m: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BucketList {
    #[serde(rename = "UUID")]
    pub(crate) uuid: String,
    #[serde(rename = "ContinuationToken")]
    pub(crate) continuation_token: String,
    #[serde(rename = "Flags")]
    pub(crate) flags: u64,
    #[serde(rename = "Entries")]
    pub(crate) entries: Vec<LsoEnt>,
}

impl IntoResponse for BucketList {
    fn into_response(self) -> Response {
        match rmp_serde::to_vec_named(&self) {
            Ok(bytes) => {
                let mut resp = bytes.into_response();
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/msgpack"),
                );
                resp
            }
            Err(e) => ApiError::internal(format!("encode listing: {e}")).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_keys_are_the_sdk_ones() {
        let page = BucketList {
            uuid: "u".into(),
            continuation_token: String::new(),
            flags: 0,
            entries: vec![LsoEnt {
                n: "o".into(),
                s: 1,
                cs: "x".into(),
                a: "t".into(),
                v: "1".into(),
                t: "t[t1]".into(),
                c: 1,
                f: ENTRY_IS_CACHED,
                m: String::new(),
            }],
        };
        let bytes = rmp_serde::to_vec_named(&page).unwrap();
        let generic: rmpv_like::Map = rmp_serde::from_slice(&bytes).unwrap();
        let keys: Vec<&str> = generic.0.keys().map(String::as_str).collect();
        assert_eq!(keys, ["ContinuationToken", "Entries", "Flags", "UUID"]);
        let back: BucketList = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, page);
    }

    #[test]
    fn list_request_is_lenient_in_form_and_strict_in_content() {
        let sdk = serde_json::json!({"prefix":"p","pagesize":0,"uuid":"","props":"","continuation_token":"",
            "flags":"0","target":""});
        let r = ListRequest::parse(&sdk).unwrap();
        assert_eq!(
            (r.prefix.as_str(), r.page_size, r.after()),
            ("p", MAX_PAGE, "")
        );
        assert_eq!(r.props, DEFAULT_PROPS);
        let other = serde_json::json!({"pagesize":"20000","props":["size","custom"],"start_after":"b",
            "continuation_token":"a","flags":8});
        let r = ListRequest::parse(&other).unwrap();
        assert_eq!((r.page_size, r.after()), (MAX_PAGE, "b"));
        assert_eq!(r.props, ["name", "size", "custom"]);
        assert!(r.has(flag::ARCH_DIR));
        assert_eq!(
            ListRequest::parse(&Value::Null).unwrap().page_size,
            MAX_PAGE
        );
        let r = ListRequest::parse(&serde_json::json!({"props":"checksum","flags":"16"})).unwrap();
        assert_eq!(r.props, ["name"], "name_only wins");
        let back = ListRequest::parse(&r.to_target_msg()["value"]).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn unknown_props_and_flags_are_refused_by_name() {
        let err = |v: Value| ListRequest::parse(&v).unwrap_err().message;
        assert!(err(serde_json::json!({"props":"name,etag"})).contains("\"etag\""));
        assert!(err(serde_json::json!({"flags":"2048"})).contains("no_recursion"));
        assert!(err(serde_json::json!({"flags":"4096"})).contains("diff"));
        assert!(err(serde_json::json!({"flags":"65536"})).contains("0x10000"));
        assert!(err(serde_json::json!({"flags":"lots"})).contains("bitmask"));
    }

    mod rmpv_like {
        #[derive(serde::Deserialize)]
        pub struct Map(pub std::collections::BTreeMap<String, serde::de::IgnoredAny>);
    }
}
