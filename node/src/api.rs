//! Request-side helpers shared by both roles: action messages, provider checks, list requests,
//! and the intra-cluster paths.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::Value;

use crate::error::ApiError;

/// Query parameters of a request.
pub(crate) type QueryMap = HashMap<String, String>;

/// Target → gateway: join the cluster (body: the target's `Snode`; answer: `ClusterMeta`).
pub(crate) const PATH_JOIN: &str = "/v1/cluster/join";
/// Gateway → target: new cluster map and bucket metadata (body: `ClusterMeta`).
pub(crate) const PATH_METASYNC: &str = "/v1/daemon/metasync";
/// Target → gateway: the bytes of the Wasm module with this sha256 (ETL metadata names
/// modules by hash; targets fetch each once).
pub(crate) const PATH_MODULE: &str = "/v1/etl/_module/{sha256}";

/// Default and maximum list page size (AIS's for ais buckets).
pub(crate) const MAX_PAGE: usize = 10_000;

pub(crate) use lode_wire::ActionMsg;

/// Parse an optional JSON action body (an empty body is `None`).
pub(crate) fn action(body: &Bytes) -> Result<Option<ActionMsg>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("invalid action message: {e}")))
}

/// The action message of a bucket request that takes the action `only` (or none): checks the
/// provider, parses the body, and rejects any other action.
pub(crate) fn bucket_action(
    node: &str,
    query: &QueryMap,
    body: &Bytes,
    only: &str,
) -> Result<ActionMsg, ApiError> {
    check_provider(query)?;
    let msg = action(body)?.unwrap_or_default();
    if msg.action.is_empty() || msg.action == only {
        Ok(msg)
    } else {
        Err(unsupported_bucket_action(node, &msg.action))
    }
}

/// The 400 for a bucket action that `node` does not handle.
pub(crate) fn unsupported_bucket_action(node: &str, action: &str) -> ApiError {
    ApiError::bad_request(format!("{node}: unsupported bucket action \"{action}\""))
}

/// Only `ais` buckets exist in lode (an absent or empty provider means `ais`).
pub(crate) fn check_provider(query: &QueryMap) -> Result<(), ApiError> {
    match query.get("provider").map(String::as_str) {
        None | Some("") | Some("ais") => Ok(()),
        Some(other) => Err(ApiError::bad_request(format!(
            "provider \"{other}\" is not supported: lode only has ais:// buckets"
        ))),
    }?;
    match query.get("namespace").map(String::as_str) {
        None | Some("") => Ok(()),
        Some(other) => Err(ApiError::bad_request(format!(
            "namespace \"{other}\" is not supported: lode has only the global namespace"
        ))),
    }
}

/// Query parameters every object and bucket request may carry: the provider, the namespace
/// (checked by [`check_provider`]), and the gateway's redirect stamps.
const COMMON_PARAMS: &[&str] = &["provider", "namespace", "pid", "utm"];

/// Refuse a query parameter that `what` (e.g. `GET object`) does not implement, with a 400
/// naming it, instead of ignoring it; `allowed` are the ones it does, besides the common ones.
pub(crate) fn only_params(q: &QueryMap, what: &str, allowed: &[&str]) -> Result<(), ApiError> {
    let mut unknown: Vec<&str> = q
        .keys()
        .map(String::as_str)
        .filter(|k| !COMMON_PARAMS.contains(k) && !allowed.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    Err(ApiError::bad_request(format!(
        "{what}: query parameter{} {} not supported",
        if unknown.len() > 1 { "s" } else { "" },
        unknown
            .iter()
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Validate a bucket name from a URL.
pub(crate) fn check_bucket_name(bucket: &str) -> Result<(), ApiError> {
    lode_store::validate_bucket_name(bucket).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// Validate an object name from a URL.
pub(crate) fn check_object_name(object: &str) -> Result<(), ApiError> {
    lode_store::object_rel_path(object)
        .map(|_| ())
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The `value` of a `list` action (AIS `apc.LsoMsg`), read leniently: `flags` may be a string
/// or a number, `props` a comma list or an array.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ListRequest {
    pub(crate) prefix: String,
    pub(crate) page_size: usize,
    pub(crate) uuid: String,
    pub(crate) token: String,
    pub(crate) start_after: String,
    pub(crate) target: String,
}

impl ListRequest {
    pub(crate) fn from_value(v: &Value) -> ListRequest {
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
        ListRequest {
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
        }
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
            "props": "", "continuation_token": self.after(), "flags": "0", "target": "",
        }})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_request_is_lenient() {
        let sdk = serde_json::json!({"prefix":"p","pagesize":0,"uuid":"","props":"","continuation_token":"",
            "flags":"0","target":""});
        let r = ListRequest::from_value(&sdk);
        assert_eq!(
            (r.prefix.as_str(), r.page_size, r.after()),
            ("p", MAX_PAGE, "")
        );
        let other = serde_json::json!({"pagesize":"20000","props":["name","size"],"start_after":"b",
            "continuation_token":"a"});
        let r = ListRequest::from_value(&other);
        assert_eq!((r.page_size, r.after()), (MAX_PAGE, "b"));
        assert_eq!(ListRequest::from_value(&Value::Null).page_size, MAX_PAGE);
    }

    #[test]
    fn actions_and_providers() {
        assert!(action(&Bytes::new()).unwrap().is_none());
        let a = action(&Bytes::from_static(
            br#"{"action":"create-bck","name":"","value":null}"#,
        ))
        .unwrap();
        assert_eq!(a.map(|a| a.action).as_deref(), Some("create-bck"));
        assert!(action(&Bytes::from_static(b"{nope")).is_err());
        let mut q = QueryMap::new();
        assert!(check_provider(&q).is_ok());
        q.insert("provider".into(), "aws".into());
        assert!(check_provider(&q).is_err());
    }
}
