//! What an ETL keeps for people to look at, in [`Ring`]s (lode-wire's bounded FIFO): its
//! log lines ([`LOG_LINES`]) and the inline object errors ([`OBJ_ERRORS`]).

use std::time::SystemTime;

pub(crate) use lode_wire::ring::Ring;
pub use lode_wire::ring::LOG_LINES;
use serde::Serialize;

/// Inline object errors kept per ETL on one node.
pub const OBJ_ERRORS: usize = 1000;

/// One failed object, as `GET /v1/etl/<name>` reports it (`obj_errors`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ObjError {
    /// `ais://bucket/object`.
    pub obj_name: String,
    /// What went wrong.
    pub msg: String,
    /// The HTTP status the failure was (or would have been) answered with.
    pub ecode: u16,
}

/// A log line with a wall-clock prefix: `2024-05-01T10:00:00Z LEVEL text`.
pub(crate) fn stamp(level: &str, text: &str) -> String {
    format!("{} {level} {text}", crate::time::rfc3339(SystemTime::now()))
}
