//! The WebAssembly transform runtime of a lode target: one wasmtime engine per process,
//! modules checked against the lode ABI ([`lode_host_abi`]) and cached compiled on disk,
//! worker pools with one OS thread per core, and per-module [limits] enforced on every
//! object. It is not the ETL registry or the HTTP layer (`lode-etl`, `lode-node`): it runs
//! bytes through a module and says how that went.
//!
//! # Design
//!
//! A [`Runtime`] owns the [`wasmtime::Engine`] (pooling allocator, copy-on-write memory
//! images, epoch interruption with one ticker thread) and the linker (WASI preview1 and the
//! six `lode` imports, nothing else). [`Runtime::load`] compiles or fetches from the cache,
//! validates imports and exports, probes the ABI version, and returns a [`Module`] holding an
//! `InstancePre`. A [`Pool`] runs one module on dedicated worker threads, each owning its
//! store: an SDK-style instance serves object after object; a WASI command gets a fresh
//! instance per object. A trap or broken limit fails only that object, with a
//! [`TransformError`] naming the object and an [`ErrorKind`] naming the cause; that worker
//! replaces its instance. [`Worker`] is the same machinery driven synchronously on the
//! caller's thread (benches, tools).
//!
//! Input is bytes, a file (memory-mapped: one copy into guest memory, or streamed from the
//! mapping above [`PoolConfig::stream_threshold`]) or an async reader; output is a `Vec`, a
//! file (temp + rename) or an async writer. Guest log lines go to the pool's [`LogSink`] and
//! to `tracing`.
//!
//! # Example
//!
//! ```
//! use lode_runtime::{Input, Limits, ModuleStyle, Output, Pool, PoolConfig, Request, Runtime, RuntimeConfig};
//!
//! // An SDK-style module that returns its input: it hands the host's buffer back to `output`.
//! let wasm = wat::parse_str(r#"
//!     (module
//!       (import "lode" "output" (func $output (param i32 i32) (result i32)))
//!       (memory (export "memory") 1)
//!       (func (export "lode_abi_version") (result i32) i32.const 1)
//!       (func (export "lode_alloc") (param i32) (result i32) i32.const 1024)
//!       (func (export "lode_transform") (param i32 i32) (result i32)
//!         (drop (call $output (local.get 0) (local.get 1)))
//!         i32.const 0))
//! "#)?;
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let module = runtime.load(&wasm, Limits::default())?;
//! assert_eq!(module.style(), ModuleStyle::Sdk { whole: true, streaming: false });
//!
//! let pool = Pool::new(&module, PoolConfig { workers: 1, ..PoolConfig::default() })?;
//! let tokio = tokio::runtime::Runtime::new()?;
//! let request = Request::new("bucket/hello.txt", Input::Bytes("hello".into()), Output::Vec);
//! let outcome = tokio.block_on(pool.transform(request))?;
//! assert_eq!(outcome.output.as_deref(), Some(&b"hello"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod cache;
mod classify;
mod command;
mod error;
mod host;
mod imports;
mod io;
pub mod limits;
mod log;
mod module;
mod pool;
mod runtime;
mod sdk;
mod stdio;
mod unsafe_io;
mod validate;
mod worker;

pub use error::{ErrorKind, LoadError, TransformError};
pub use io::{Input, Output};
pub use limits::Limits;
pub use log::{discard_logs, LogLevel, LogLine, LogSink};
pub use module::Module;
pub use pool::{Pool, PoolConfig, DEFAULT_STREAM_THRESHOLD};
pub use runtime::{Runtime, RuntimeConfig};
pub use validate::ModuleStyle;
pub use worker::{Request, TransformOutcome, Worker};
