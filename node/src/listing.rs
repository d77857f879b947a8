//! The list-objects answer (AIS `cmn.LsoRes`) in msgpack, exactly the keys the SDK's msgspec
//! struct requires.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Entry flag: the object is present ("cached") on its target.
pub(crate) const ENTRY_IS_CACHED: u64 = 64;

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LsoEnt {
    pub(crate) n: String,
    pub(crate) s: u64,
    pub(crate) cs: String,
    pub(crate) a: String,
    pub(crate) v: String,
    pub(crate) t: String,
    pub(crate) c: u64,
    pub(crate) f: u64,
    /// Custom metadata, `k=v` pairs comma-separated as in `Ais-Custom-Md` (absent when none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) m: String,
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

    mod rmpv_like {
        #[derive(serde::Deserialize)]
        pub struct Map(pub std::collections::BTreeMap<String, serde::de::IgnoredAny>);
    }
}
