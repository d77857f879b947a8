//! Control messages: the action message and the job query.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// AIS `ActionMsg`: `{"action": ..., "name": ..., "value": ...}`, every key optional when read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionMsg {
    /// The action (`create-bck`, `etl-bck`, `list`, ...).
    #[serde(default)]
    pub action: String,
    /// A name some actions take (empty for most).
    #[serde(default)]
    pub name: String,
    /// The action's argument.
    #[serde(default)]
    pub value: Value,
}

impl ActionMsg {
    /// `action` with `value` and an empty name.
    pub fn new(action: &str, value: Value) -> ActionMsg {
        ActionMsg {
            action: action.to_owned(),
            name: String::new(),
            value,
        }
    }
}

/// The body of `GET /v1/cluster?what=status|qryxstats` and of a job `stop` (AIS `QueryMsg`,
/// Go field names): which job. Read case-insensitively by the gateway.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobQuery {
    /// The job's id (xid).
    #[serde(rename = "ID")]
    pub id: String,
    /// Its kind (`etl-bck`, ...), or empty for any.
    #[serde(rename = "Kind")]
    pub kind: String,
    /// One node only, or empty for all.
    #[serde(rename = "DaemonID")]
    pub daemon_id: String,
    /// A bucket filter (unused: always null).
    #[serde(rename = "Bck")]
    pub bck: Option<Value>,
    /// Buckets filter (unused: always null).
    #[serde(rename = "Buckets")]
    pub buckets: Option<Value>,
}

impl JobQuery {
    /// The query for job `id` of kind `kind` (empty: any).
    pub fn job(id: &str, kind: &str) -> JobQuery {
        JobQuery {
            id: id.to_owned(),
            kind: kind.to_owned(),
            ..JobQuery::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_as_the_sdk_sends_them() {
        let q = serde_json::to_value(JobQuery::job("x1", "")).unwrap();
        assert_eq!(
            q,
            serde_json::json!({"ID": "x1", "Kind": "", "DaemonID": "", "Bck": null, "Buckets": null})
        );
        let m: ActionMsg = serde_json::from_str(r#"{"action":"list"}"#).unwrap();
        assert_eq!(m, ActionMsg::new("list", Value::Null));
        let sent = serde_json::to_value(ActionMsg::new("stop", q)).unwrap();
        assert_eq!(sent["name"], "");
    }
}
