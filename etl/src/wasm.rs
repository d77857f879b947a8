//! The Wasm backend: a [`lode_runtime::Pool`] of one worker thread per core running the
//! ETL's module, with the message's `obj_timeout` as the per-object CPU deadline.

use lode_runtime::{
    ErrorKind, Limits, LoadError, LogSink, Module, Pool, PoolConfig, Request, Runtime,
};

use crate::backend::{Backend, BackendError, BoxFuture, Transformed};
use crate::InitMsg;

/// The limits an ETL's module runs under: the runtime's defaults, with `obj_timeout` as the
/// CPU deadline.
pub(crate) fn limits(msg: &InitMsg) -> Limits {
    Limits {
        deadline: msg.obj_timeout,
        ..Limits::default()
    }
}

/// Compiles (or fetches from the on-disk cache) and checks a module against the ABI.
pub(crate) fn load(runtime: &Runtime, msg: &InitMsg, wasm: &[u8]) -> Result<Module, LoadError> {
    runtime.load(wasm, limits(msg))
}

/// A pool of workers running one module.
pub(crate) struct WasmBackend {
    pool: Pool,
}

impl WasmBackend {
    pub(crate) fn start(
        module: &Module,
        workers: usize,
        log: LogSink,
        env: Vec<(String, String)>,
    ) -> std::io::Result<Self> {
        let config = PoolConfig {
            workers,
            log,
            env,
            ..PoolConfig::default()
        };
        Ok(WasmBackend {
            pool: Pool::new(module, config)?,
        })
    }
}

impl Backend for WasmBackend {
    fn kind(&self) -> &'static str {
        "wasm"
    }

    fn workers(&self) -> usize {
        self.pool.workers()
    }

    fn transform(
        &self,
        request: Request,
        _direct_put: Option<String>,
    ) -> BoxFuture<'_, Result<Transformed, BackendError>> {
        Box::pin(async move {
            match self.pool.transform(request).await {
                Ok(done) => Ok(Transformed {
                    output: done.output,
                    bytes_in: done.bytes_in,
                    bytes_out: done.bytes_out,
                    delivered: false,
                }),
                Err(err) => Err(match err.kind() {
                    k @ (ErrorKind::Io(_)
                    | ErrorKind::Stalled { .. }
                    | ErrorKind::PoolClosed
                    | ErrorKind::Host(_)) => BackendError::Transient(k.to_string()),
                    k => BackendError::Object(k.to_string()),
                }),
            }
        })
    }
}
