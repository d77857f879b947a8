//! [`EtlError`]: what can go wrong with an ETL, in one enum the node maps to HTTP statuses.

use crate::InvalidMsg;

/// Why an ETL operation failed. The node's error module maps each variant to a status and
/// AIStore's text; the messages here carry no node prefix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EtlError {
    /// The init message is invalid (400).
    #[error(transparent)]
    Invalid(#[from] InvalidMsg),
    /// The module was rejected at load: not wasm, a forbidden import, a wrong ABI... (400).
    #[error("ETL {name}: {reason}")]
    Rejected {
        /// The ETL.
        name: String,
        /// The runtime's reason (names e.g. the bad import).
        reason: String,
    },
    /// No running ETL of that name on this node (404).
    #[error("{0} does not exist")]
    NotFound(String),
    /// One object failed in the transform: a guest error, trap, deadline or limit. Deterministic,
    /// so 400 (the SDK would retry a 5xx for a minute and a half).
    #[error("ETL {name}: ais://{object}: {reason}")]
    Transform {
        /// The ETL (the pipeline stage) that failed.
        name: String,
        /// `bucket/object`.
        object: String,
        /// What happened.
        reason: String,
    },
    /// One object failed for a reason a retry may not meet: the transformer's connection
    /// broke, it died, the host could not read or write the object (503).
    #[error("ETL {name}: ais://{object}: {reason}")]
    Unavailable {
        /// The ETL (the pipeline stage) that failed.
        name: String,
        /// `bucket/object`.
        object: String,
        /// What happened.
        reason: String,
    },
    /// The host could not run the ETL (threads, runtime set-up): a 500.
    #[error("ETL runtime: {0}")]
    Host(String),
}
