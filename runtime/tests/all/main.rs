//! Integration tests of lode-runtime, one binary: tiny ABI edge cases as inline WAT
//! (`wat.rs`), hostile guests, I/O forms, the module cache, and the real example modules
//! built by `scripts/build-wasm.sh` (`examples.rs`).

mod cache;
mod command;
mod examples;
mod hostile;
mod io;
mod load;
mod wat;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lode_runtime::{
    Input, Limits, LogLevel, LogLine, LogSink, Module, Output, Pool, PoolConfig, Request, Runtime,
    RuntimeConfig, TransformError, TransformOutcome,
};

/// A runtime with few instance slots (tests run in parallel, each reserving address space).
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        max_instances: 16,
        ..RuntimeConfig::default()
    })
    .unwrap()
}

/// Loads WAT text under `limits`.
pub fn load_wat(wat: &str, limits: Limits) -> Module {
    runtime()
        .load(&::wat::parse_str(wat).unwrap(), limits)
        .unwrap()
}

/// Small limits (300 ms, 16 MiB memory, 64 KiB output), so hostile tests finish quickly.
pub fn short_limits() -> Limits {
    Limits {
        deadline: Duration::from_millis(300),
        max_memory: 16 << 20,
        max_output: 64 << 10,
    }
}

/// Log lines captured by a pool: (object, level, message).
pub type Captured = Arc<Mutex<Vec<(String, LogLevel, String)>>>;

/// A log sink that keeps every line.
pub fn capture_logs() -> (LogSink, Captured) {
    let lines: Captured = Arc::default();
    let keep = lines.clone();
    let sink: LogSink = Arc::new(move |line: &LogLine<'_>| {
        keep.lock().unwrap().push((
            line.object.to_string(),
            line.level,
            line.message.to_string(),
        ));
    });
    (sink, lines)
}

/// A one-worker pool (so consecutive objects share the worker) logging to `log`.
pub fn pool(module: &Module, log: LogSink) -> Pool {
    Pool::new(
        module,
        PoolConfig {
            workers: 1,
            log,
            ..PoolConfig::default()
        },
    )
    .unwrap()
}

/// Runs one request to completion on a fresh tokio runtime.
pub fn transform(pool: &Pool, request: Request) -> Result<TransformOutcome, TransformError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(pool.transform(request))
}

/// Transforms `input` bytes into a Vec.
pub fn run_bytes(
    pool: &Pool,
    object: &str,
    args: &str,
    input: &[u8],
) -> Result<Vec<u8>, TransformError> {
    let request =
        Request::new(object, Input::Bytes(input.to_vec().into()), Output::Vec).with_args(args);
    transform(pool, request).map(|o| o.output.unwrap())
}

/// Deterministic test data.
pub fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) % 251) as u8).collect()
}
