//! Request-side helpers shared by both roles: action messages, provider checks, and the
//! intra-cluster paths.

use std::collections::HashMap;

use bytes::Bytes;

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

#[cfg(test)]
mod tests {
    use super::*;

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
