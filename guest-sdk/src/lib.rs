//! Write a lode transform in Rust as a plain function, and build it for `wasm32-wasip1`.
//!
//! This crate is the guest side of the lode Wasm ABI ([`lode_host_abi`], version 1): two
//! declarative macros turn a function into the module's exports, [`Input`]/[`Output`] make
//! the object a `std::io` stream, [`info!`] and friends reach the ETL's log, and a panic
//! becomes that one object's error. It is not a host: running modules is `lode-runtime`'s job.
//! Off `wasm32` the crate still builds (the host calls are compiled out), so a transform crate
//! is also an ordinary native library for tests and benchmarks.
//!
//! # Example
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib", "rlib"]
//!
//! [dependencies]
//! lode-guest = { path = "../guest-sdk" }
//! ```
//!
//! `src/lib.rs`, built with `cargo build --release --target wasm32-wasip1` into
//! `target/wasm32-wasip1/release/<crate>.wasm`:
//!
//! ```
//! use std::io::Write;
//! use lode_guest::{Error, Input, Output};
//!
//! /// Whole-object form: the object's bytes in, the result out.
//! pub fn transform(input: &[u8], args: &str) -> Result<Vec<u8>, Error> {
//!     if args == "fail" {
//!         return Err(Error::new("asked to fail"));
//!     }
//!     lode_guest::info!("{} bytes of {}", input.len(), lode_guest::object());
//!     Ok(input.to_ascii_uppercase())
//! }
//!
//! /// Streaming form: used by the host for objects above its streaming threshold.
//! pub fn transform_stream(input: &mut Input, output: &mut Output, _args: &str) -> Result<(), Error> {
//!     input.for_each_chunk(|chunk| {
//!         chunk.make_ascii_uppercase();
//!         Ok(output.write_all(chunk)?)
//!     })
//! }
//!
//! lode_guest::transform!(transform);
//! lode_guest::stream_transform!(transform_stream);
//! # assert_eq!(transform(b"abc", "").unwrap(), b"ABC");
//! ```
//!
//! # What the macros export
//!
//! On `wasm32` only: [`transform!`] exports `lode_transform`, [`stream_transform!`] exports
//! `lode_transform_stream`; a module uses one or both. Every module built with this crate also
//! exports `lode_abi_version` and `lode_alloc` (one reusable input buffer that only grows).
//! Off `wasm32` the macros only check the function's signature.
//!
//! # Errors and panics
//!
//! An `Err` fails that object with its message. A panic does too: the panic hook hands the
//! message (with its source location) to the host before the instance traps, since `wasm32`
//! panics abort. When the host refuses `input_read`/`output` (output limit, client gone) the
//! I/O call returns an error; propagate it, and the host reports its own reason.

#![deny(missing_docs)]

mod error;
mod host;
mod io;

#[cfg(target_arch = "wasm32")]
mod entry;

pub use error::Error;
pub use host::{args, log, object};
pub use io::{Input, Output};
pub use lode_host_abi::LogLevel;

/// Support for the macros; not part of the API.
#[doc(hidden)]
pub mod __private {
    use crate::{Error, Input, Output};

    /// A whole-object transform, as `transform!` takes it.
    pub type WholeFn = fn(&[u8], &str) -> Result<Vec<u8>, Error>;

    /// A streaming transform, as `stream_transform!` takes it.
    pub type StreamFn = fn(&mut Input<'_>, &mut Output<'_>, &str) -> Result<(), Error>;

    #[cfg(target_arch = "wasm32")]
    pub use crate::entry::{run_stream, run_whole};
}

/// Exports `f: fn(&[u8], &str) -> Result<Vec<u8>, Error>` as the module's whole-object
/// transform (`lode_transform`); the arguments are the object's bytes and the transform
/// arguments.
#[macro_export]
macro_rules! transform {
    ($f:path) => {
        #[cfg(target_arch = "wasm32")]
        // SAFETY: `lode_transform` is this ABI's export name; one `transform!` per module.
        #[unsafe(no_mangle)]
        #[allow(unsafe_code)]
        extern "C" fn lode_transform(ptr: i32, len: i32) -> i32 {
            $crate::__private::run_whole($f, ptr, len)
        }
        #[cfg(not(target_arch = "wasm32"))]
        const _: $crate::__private::WholeFn = $f;
    };
}

/// Exports `f: fn(&mut Input, &mut Output, &str) -> Result<(), Error>` as the module's
/// streaming transform (`lode_transform_stream`).
#[macro_export]
macro_rules! stream_transform {
    ($f:path) => {
        #[cfg(target_arch = "wasm32")]
        // SAFETY: `lode_transform_stream` is this ABI's export name; one per module.
        #[unsafe(no_mangle)]
        #[allow(unsafe_code)]
        extern "C" fn lode_transform_stream() -> i32 {
            $crate::__private::run_stream($f)
        }
        #[cfg(not(target_arch = "wasm32"))]
        const _: $crate::__private::StreamFn = $f;
    };
}

/// Logs a `format!`-style line at [`LogLevel::Debug`].
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log($crate::LogLevel::Debug, &::std::format!($($arg)*)) };
}

/// Logs a `format!`-style line at [`LogLevel::Info`].
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log($crate::LogLevel::Info, &::std::format!($($arg)*)) };
}

/// Logs a `format!`-style line at [`LogLevel::Warn`].
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log($crate::LogLevel::Warn, &::std::format!($($arg)*)) };
}

/// Logs a `format!`-style line at [`LogLevel::Error`].
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log($crate::LogLevel::Error, &::std::format!($($arg)*)) };
}
