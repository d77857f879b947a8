//! The contract between a lode target (the host) and a WebAssembly transform (the guest).
//!
//! This crate is names and numbers only: no dependencies, no code that runs. The host
//! (`lode-runtime`) and the Rust guest SDK (`lode-guest`) both build on it, and a guest in any
//! other language can follow it from this page alone.
//!
//! # ABI version 1
//!
//! A module is one of two styles. The host decides which by its exports.
//!
//! ## SDK style (the fast path)
//!
//! The module exports [`export::ABI_VERSION`], [`export::ALLOC`] and at least one of
//! [`export::TRANSFORM`] / [`export::TRANSFORM_STREAM`]. One instance lives for many objects.
//!
//! | export | signature | meaning |
//! |---|---|---|
//! | `lode_abi_version` | `() -> i32` | must return [`ABI_VERSION`]; checked once at load |
//! | `lode_alloc` | `(len: i32) -> i32` | pointer to `len` writable bytes the host may fill; valid until the next `lode_alloc` call (the guest may reuse one buffer). `0` = out of memory |
//! | `lode_transform` | `(ptr: i32, len: i32) -> i32` | whole-object form: the object's bytes are at `ptr..ptr+len` (written there by the host after `lode_alloc(len)`: the one copy). Returns a [`status`] |
//! | `lode_transform_stream` | `() -> i32` | streaming form: the guest pulls input with `lode.input_read` until it returns 0 and pushes output with `lode.output`. Returns a [`status`] |
//! | `memory` | memory | the guest's linear memory |
//!
//! A `wasm32-wasip1` reactor also exports `_initialize`; the host calls it once after
//! instantiation, before anything else.
//!
//! When a module exports both forms the host uses the streaming form for inputs above its
//! streaming threshold and the whole-object form otherwise.
//!
//! Imports, all from module [`IMPORT_MODULE`] (`"lode"`); pointers are guest addresses:
//!
//! | import | signature | meaning |
//! |---|---|---|
//! | `args` | `(ptr: i32, cap: i32) -> i32` | copies the transform arguments (UTF-8, may be empty) to `ptr` if they fit in `cap`; returns their full length either way |
//! | `object` | `(ptr: i32, cap: i32) -> i32` | the same for the object name, `bucket/object` |
//! | `input_read` | `(ptr: i32, cap: i32) -> i32` | streaming form only: copies up to `cap` bytes of input to `ptr`; returns the count, `0` at end of input, or a negative [`error`] |
//! | `output` | `(ptr: i32, len: i32) -> i32` | appends `ptr..ptr+len` to the object's output; returns `0` or a negative [`error`] |
//! | `log` | `(level: i32, ptr: i32, len: i32)` | one UTF-8 log line for the ETL's log, at a [`LogLevel`] |
//! | `fail` | `(ptr: i32, len: i32)` | sets this object's error message (UTF-8); the guest then returns [`status::ERROR`] |
//!
//! After a negative [`error`] from `output` or `input_read` the guest should return
//! [`status::ERROR`] promptly; the host already knows why and reports that reason.
//!
//! ## WASI command style (any language)
//!
//! The module exports `_start` and none of the SDK exports. A fresh instance runs per object:
//! the object arrives on stdin, the result is whatever the module writes to stdout, stderr goes
//! to the ETL's log. The environment holds exactly [`env::ETL_ARGS`] and [`env::ETL_OBJECT`].
//! A non-zero exit code fails the object.
//!
//! ## Sandbox (both styles)
//!
//! Only the imports above and `wasi_snapshot_preview1` are linked; a module importing anything
//! else is rejected at load with the import's name. There are no preopened directories, no
//! sockets and no host environment beyond [`env`]; clocks and random numbers work.

#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

/// The ABI version this crate describes; `lode_abi_version` must return it.
pub const ABI_VERSION: i32 = 1;

/// The import module name of every lode host function.
pub const IMPORT_MODULE: &str = "lode";

/// The WASI preview1 import module, the only other import module a transform may use.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// Names a module exports.
pub mod export {
    /// `() -> i32`: the ABI version the guest was built for.
    pub const ABI_VERSION: &str = "lode_abi_version";
    /// `(len: i32) -> i32`: a guest buffer for the host to fill.
    pub const ALLOC: &str = "lode_alloc";
    /// `(ptr: i32, len: i32) -> i32`: transform one whole object.
    pub const TRANSFORM: &str = "lode_transform";
    /// `() -> i32`: transform one object by pulling input and pushing output.
    pub const TRANSFORM_STREAM: &str = "lode_transform_stream";
    /// The guest's linear memory.
    pub const MEMORY: &str = "memory";
    /// WASI reactor initialiser, called once after instantiation when present.
    pub const INITIALIZE: &str = "_initialize";
    /// WASI command entry point: marks a command-style module.
    pub const START: &str = "_start";
}

/// Names of the host functions in [`IMPORT_MODULE`](crate::IMPORT_MODULE).
pub mod import {
    /// `(ptr: i32, cap: i32) -> i32`: the transform arguments.
    pub const ARGS: &str = "args";
    /// `(ptr: i32, cap: i32) -> i32`: the object name, `bucket/object`.
    pub const OBJECT: &str = "object";
    /// `(ptr: i32, cap: i32) -> i32`: pull the next input chunk (streaming form).
    pub const INPUT_READ: &str = "input_read";
    /// `(ptr: i32, len: i32) -> i32`: push output bytes.
    pub const OUTPUT: &str = "output";
    /// `(level: i32, ptr: i32, len: i32)`: one log line.
    pub const LOG: &str = "log";
    /// `(ptr: i32, len: i32)`: set the object's error message.
    pub const FAIL: &str = "fail";
    /// Every host function name, for import validation.
    pub const ALL: &[&str] = &[ARGS, OBJECT, INPUT_READ, OUTPUT, LOG, FAIL];
}

/// What `lode_transform` / `lode_transform_stream` return.
pub mod status {
    /// The object was transformed; its output is what was passed to `output`.
    pub const OK: i32 = 0;
    /// The transform failed; the message is what was passed to `fail` (or a host error).
    pub const ERROR: i32 = 1;
}

/// Negative results of `output` and `input_read`.
pub mod error {
    /// The output exceeded the ETL's output size limit.
    pub const OUTPUT_LIMIT: i32 = -1;
    /// A pointer/length pair points outside guest memory.
    pub const BAD_POINTER: i32 = -2;
    /// The host failed to read the input or write the output (I/O error, client gone).
    pub const IO: i32 = -3;
    /// `input_read` was called outside the streaming form.
    pub const NO_STREAM: i32 = -4;
}

/// Environment variables a WASI command transform sees (and nothing else).
pub mod env {
    /// The transform arguments (`etl_args`), possibly empty.
    pub const ETL_ARGS: &str = "ETL_ARGS";
    /// The object being transformed, `bucket/object`.
    pub const ETL_OBJECT: &str = "ETL_OBJECT";
}

/// Levels for the `log` import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum LogLevel {
    /// Fine-grained detail.
    Debug = 0,
    /// Normal operation.
    Info = 1,
    /// Something odd, the object still succeeds.
    Warn = 2,
    /// Something failed.
    Error = 3,
}

impl LogLevel {
    /// The level for a raw `log` argument; unknown values read as [`LogLevel::Info`].
    pub fn from_raw(raw: i32) -> LogLevel {
        match raw {
            0 => LogLevel::Debug,
            2 => LogLevel::Warn,
            3 => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }

    /// The lower-case name used in ETL logs.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_round_trip() {
        for level in [
            LogLevel::Debug,
            LogLevel::Info,
            LogLevel::Warn,
            LogLevel::Error,
        ] {
            assert_eq!(LogLevel::from_raw(level as i32), level);
        }
        assert_eq!(LogLevel::from_raw(42), LogLevel::Info);
    }

    #[test]
    fn import_names_are_distinct() {
        for (i, a) in import::ALL.iter().enumerate() {
            for b in &import::ALL[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
