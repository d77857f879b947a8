//! The crate's three error types: one per layer (init forms, pod runners, communicators).

use std::time::Duration;

/// An init message or pod spec that fails validation. `field` names the offending field by
/// its path in the message (`spec.containers[0].ports[0].name`); the node answers 400 with
/// the whole text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ETL init message: {field}: {reason}")]
pub struct SpecError {
    /// Path of the offending field.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl SpecError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> SpecError {
        SpecError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Starting or supervising a transformer (process or pod) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The image has no command and no entry in the image map.
    #[error("image {image:?} has no command and is not in the process runner's image map; give `runtime.command` or map the image to a local command")]
    NoCommand {
        /// The image name.
        image: String,
    },
    /// The process could not be spawned, or a file could not be written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The transformer did not answer `GET /health` with 200 within the init timeout.
    #[error("transformer not ready after {timeout:?}; last output:\n{logs}")]
    NotReady {
        /// The init timeout.
        timeout: Duration,
        /// The tail of its stdout/stderr.
        logs: String,
    },
    /// The transformer exited before it became ready.
    #[error("transformer exited before it was ready ({status}); last output:\n{logs}")]
    Exited {
        /// Its exit status, as text.
        status: String,
        /// The tail of its stdout/stderr.
        logs: String,
    },
    /// The launch itself is unusable (e.g. an empty command).
    #[error("cannot start the transformer: {0}")]
    Invalid(String),
    /// Creating the Python virtualenv failed.
    #[error("python environment: {0}")]
    Python(String),
    /// The Kubernetes API server refused a request, or an ETL pod failed or was not ready in
    /// time (the text has the pod's last status and log lines).
    #[error("kubernetes: {0}")]
    Kube(String),
}

impl RunError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> RunError {
        let what = what.into();
        move |source| RunError::Io { what, source }
    }
}

/// One object's transformation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommError {
    /// The transformer answered with an error status; `text` is its body.
    #[error("ETL error ({status}): {text}")]
    Status {
        /// The HTTP status (or, for `io://`, 500).
        status: u16,
        /// The response body or the process's stderr.
        text: String,
    },
    /// The transformer could not be reached or the connection broke.
    #[error("ETL transport error: {0}")]
    Transport(String),
    /// The transformer broke the protocol (e.g. a WebSocket text frame that is not a length).
    #[error("ETL protocol error: {0}")]
    Protocol(String),
    /// The object took longer than `obj_timeout`.
    #[error("ETL timeout after {0:?}")]
    Timeout(Duration),
    /// The request itself is malformed (bad uname, no input).
    #[error("bad ETL request: {0}")]
    BadRequest(String),
}
