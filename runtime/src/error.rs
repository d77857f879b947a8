//! The two error types: a module that cannot be loaded, and an object that failed.

use std::time::Duration;

/// Why [`Runtime::new`](crate::Runtime::new) or [`Runtime::load`](crate::Runtime::load)
/// failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The runtime could not be set up (engine configuration, cache directory, ticker).
    #[error("cannot set up the wasm runtime: {0}")]
    Config(String),
    /// The limits given with the module are unusable.
    #[error("bad limits: {0}")]
    Limits(String),
    /// The bytes are not a valid WebAssembly module.
    #[error("not a valid WebAssembly module: {0}")]
    Invalid(String),
    /// The module imports something outside WASI preview1 and the lode ABI.
    #[error(
        "module imports `{module}::{name}`, which lode does not provide \
         (only `wasi_snapshot_preview1` and the `lode` ABI imports are linked)"
    )]
    ForbiddenImport {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
    },
    /// An import or export has the wrong kind or signature.
    #[error("{0}")]
    Signature(String),
    /// The module is neither SDK style nor a WASI command.
    #[error(
        "module is not a lode transform: it exports neither the SDK entries \
         (`lode_abi_version`, `lode_alloc`, `memory` and `lode_transform` or \
         `lode_transform_stream`) nor a WASI command's `_start`{0}"
    )]
    NotATransform(String),
    /// `lode_abi_version` returned a version this host does not speak.
    #[error("module was built for lode ABI version {found}; this host speaks version {expected}")]
    AbiVersion {
        /// What the module returned.
        found: i32,
        /// [`lode_host_abi::ABI_VERSION`].
        expected: i32,
    },
    /// The load-time probe instance could not be created or failed (initial memory above the
    /// limit, a trap in `_initialize`, ...).
    #[error("module failed its load-time check: {0}")]
    Probe(String),
}

/// Why one object failed: which object, and what happened.
#[derive(Debug, thiserror::Error)]
#[error("transform of `{object}` failed: {kind}")]
pub struct TransformError {
    object: String,
    kind: ErrorKind,
}

impl TransformError {
    pub(crate) fn new(object: impl Into<String>, kind: ErrorKind) -> TransformError {
        TransformError {
            object: object.into(),
            kind,
        }
    }

    /// The object that failed, `bucket/object` as given in the request.
    pub fn object(&self) -> &str {
        &self.object
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

/// What went wrong with one object; see [`limits`](crate::limits) for the limits.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The guest trapped (unreachable, out-of-bounds access, stack overflow, a Rust panic...).
    #[error("the guest trapped: {trap}{}", guest_suffix(.guest_message))]
    Trap {
        /// wasmtime's description of the trap.
        trap: String,
        /// What the guest passed to `fail` before trapping (a panic message), if anything.
        guest_message: Option<String>,
    },
    /// The object ran past its CPU deadline.
    #[error("CPU deadline of {0:?} exceeded")]
    Deadline(Duration),
    /// The guest waited on the caller's input or output stream for longer than the deadline
    /// (the caller stopped writing the input or reading the output).
    #[error("the caller's {stream} stream made no progress for {limit:?}")]
    Stalled {
        /// `"input"` or `"output"`.
        stream: &'static str,
        /// How long the wait lasted: [`Limits::deadline`](crate::Limits::deadline).
        limit: Duration,
    },
    /// The guest tried to grow its memory past the limit.
    #[error("memory limit of {limit} bytes exceeded{}", guest_suffix(.guest_message))]
    MemoryLimit {
        /// [`Limits::max_memory`](crate::Limits::max_memory).
        limit: u64,
        /// What the guest reported, if anything.
        guest_message: Option<String>,
    },
    /// The output grew past the limit.
    #[error("output limit of {limit} bytes exceeded")]
    OutputLimit {
        /// [`Limits::max_output`](crate::Limits::max_output).
        limit: u64,
    },
    /// The guest reported a failure: the message it passed to `fail`, or a command's exit code.
    #[error("the guest reported an error: {0}")]
    GuestError(String),
    /// Reading the input or writing the output failed on the host side.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The pool was shut down, or its worker died, before the object finished.
    #[error("the worker pool is shut down")]
    PoolClosed,
    /// The host could not run the object (no free instance slot, an ABI violation by the
    /// guest that is not a trap, an internal error).
    #[error("host error: {0}")]
    Host(String),
}

impl ErrorKind {
    /// An I/O error on the caller's streams: [`ErrorKind::Stalled`] when a wait outlasted the
    /// limit, else [`ErrorKind::Io`].
    pub(crate) fn from_io(err: std::io::Error) -> ErrorKind {
        match crate::io::Stalled::of(&err) {
            Some(stall) => ErrorKind::Stalled {
                stream: stall.stream,
                limit: stall.limit,
            },
            None => ErrorKind::Io(err),
        }
    }
}

fn guest_suffix(message: &Option<String>) -> String {
    match message {
        Some(m) => format!(" (guest said: {m})"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_object_and_the_cause() {
        let err = TransformError::new("b/o.flac", ErrorKind::Deadline(Duration::from_secs(10)));
        assert_eq!(
            err.to_string(),
            "transform of `b/o.flac` failed: CPU deadline of 10s exceeded"
        );
        let trap = ErrorKind::Trap {
            trap: "wasm trap: wasm `unreachable` instruction executed".into(),
            guest_message: Some("panic: boom".into()),
        };
        assert!(TransformError::new("b/o", trap)
            .to_string()
            .ends_with("(guest said: panic: boom)"));
    }

    #[test]
    fn forbidden_import_names_it() {
        let err = LoadError::ForbiddenImport {
            module: "env".into(),
            name: "system".into(),
        };
        assert!(err.to_string().contains("`env::system`"));
    }
}
