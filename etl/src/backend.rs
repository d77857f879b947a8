//! [`Backend`]: the one trait a transform engine meets to serve the node. The Wasm backend
//! ([`crate::wasm`]) is the first; a container backend (pods or local processes speaking the
//! AIStore ETL protocol) fits behind the same trait.

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
}

/// A transform engine running one ETL on this node.
pub trait Backend: Send + Sync {
    /// What runs the ETL, for health and metrics (`"wasm"`).
    fn kind(&self) -> &'static str;

    /// How many objects it can transform at once (offline jobs size their concurrency by it).
    fn workers(&self) -> usize;

    /// Transforms one object. The error is the reason only (the caller names the ETL and the
    /// object); every error is deterministic for the given input and arguments.
    fn transform(&self, request: Request) -> BoxFuture<'_, Result<Transformed, String>>;
}
