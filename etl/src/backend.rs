//! [`Backend`]: the one trait a transform engine meets to serve the node: the Wasm backend
//! ([`crate::wasm`]) and the container backend ([`crate::container`]: a local process
//! speaking the AIStore ETL protocol).

use std::future::Future;
use std::pin::Pin;

use lode_runtime::Request;

/// A boxed future, as the trait's async methods return (the trait stays object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One object done by a backend.
#[derive(Debug, Default)]
pub struct Transformed {
    /// The output, when the request asked for [`Output::Vec`](lode_runtime::Output::Vec).
    pub output: Option<Vec<u8>>,
    /// Bytes the transform read.
    pub bytes_in: u64,
    /// Bytes it produced.
    pub bytes_out: u64,
    /// The engine delivered the output itself (a container's direct put): no `output`.
    pub delivered: bool,
}

/// Why a backend did not transform one object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The object's fault, the same on every retry for this input and these arguments: a
    /// guest error, trap, deadline or limit, a transformer's error answer (a 4xx to clients).
    #[error("{0}")]
    Object(String),
    /// The engine's fault, which a retry may not see: a connection reset, a transformer
    /// that died or broke the protocol, a closed worker pool, a host I/O error (a 5xx).
    #[error("{0}")]
    Transient(String),
}

/// A transform engine running one ETL on this node.
pub trait Backend: Send + Sync {
    /// What runs the ETL, for health and metrics (`"wasm"`, `"container"`).
    fn kind(&self) -> &'static str;

    /// How many objects it can transform at once (offline jobs size their concurrency by it).
    fn workers(&self) -> usize;

    /// What the engine itself logged (a transformer's stdout and stderr), newline-terminated;
    /// empty when everything goes to the ETL's own log ring.
    fn logs(&self) -> String {
        String::new()
    }

    /// How a container transformer is reached (its own network namespace, or its port
    /// rewritten and why), for `GET /v1/etl/<name>`; `None` for an in-process engine.
    fn network(&self) -> Option<String> {
        None
    }

    /// Where a client should be redirected to fetch `uname` (`<provider>/@<ns>/<bucket>/<object>`,
    /// stored at `fqn`) transformed, when the engine serves inline reads itself (a container
    /// speaking hpull); `None` when the node transforms the object.
    fn redirect(&self, uname: &str, fqn: &std::path::Path, args: &str) -> Option<String> {
        let _ = (uname, fqn, args);
        None
    }

    /// Transforms one object. The error is the reason only (the caller names the ETL and the
    /// object), typed by whose fault it is. `direct_put`
    /// is the destination target's URL (`Ais-Node-Url`), offered to an engine that can deliver
    /// the output itself; the others ignore it.
    fn transform(
        &self,
        request: Request,
        direct_put: Option<String>,
    ) -> BoxFuture<'_, Result<Transformed, BackendError>>;
}
