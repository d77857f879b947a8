//! The `lode` host imports and safe wrappers around them.
//!
//! On `wasm32` every call crosses into the host. Elsewhere there is no host: the object
//! name and arguments read as empty and log lines go to stderr, so transforms can run
//! (and be tested, and benchmarked) as ordinary native functions.

// unsafe here: calls of the host imports the ABI defines; each block says why it is sound.
#![allow(unsafe_code)]

use lode_host_abi::LogLevel;

#[cfg(target_arch = "wasm32")]
mod ffi {
    // Import names come from `lode_host_abi::import`; `link_name` must be a literal.
    #[link(wasm_import_module = "lode")]
    extern "C" {
        #[link_name = "args"]
        pub fn args(ptr: *mut u8, cap: i32) -> i32;
        #[link_name = "object"]
        pub fn object(ptr: *mut u8, cap: i32) -> i32;
        #[link_name = "input_read"]
        pub fn input_read(ptr: *mut u8, cap: i32) -> i32;
        #[link_name = "output"]
        pub fn output(ptr: *const u8, len: i32) -> i32;
        #[link_name = "log"]
        pub fn log(level: i32, ptr: *const u8, len: i32);
        #[link_name = "fail"]
        pub fn fail(ptr: *const u8, len: i32);
    }
}

/// The length of a guest slice as the ABI's `i32`; wasm32 slices never exceed it in practice,
/// and a longer one is truncated rather than wrapped.
#[cfg(target_arch = "wasm32")]
fn abi_len(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Reads a host string through a `(ptr, cap) -> full_len` import, growing once if needed.
#[cfg(target_arch = "wasm32")]
fn host_string(call: unsafe extern "C" fn(*mut u8, i32) -> i32) -> String {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: `buf` is `buf.len()` writable bytes; the host writes at most `cap` of them.
        let full = unsafe { call(buf.as_mut_ptr(), abi_len(buf.len())) };
        let full = usize::try_from(full).unwrap_or(0);
        if full <= buf.len() {
            buf.truncate(full);
            return String::from_utf8_lossy(&buf).into_owned();
        }
        buf.resize(full, 0);
    }
}

/// The transform arguments (`etl_args`) for the current object; empty when none were given.
///
/// Outside a lode host (a native build) this is always empty.
pub fn args() -> String {
    imp::args()
}

/// The name of the object being transformed, `bucket/object`.
///
/// Outside a lode host (a native build) this is always empty.
pub fn object() -> String {
    imp::object()
}

/// Sends one line to the ETL's log; the [`info!`](crate::info) family of macros calls this.
///
/// Outside a lode host (a native build) the line goes to stderr.
pub fn log(level: LogLevel, message: &str) {
    imp::log(level, message)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{abi_len, ffi, host_string, LogLevel};

    pub(super) fn args() -> String {
        host_string(ffi::args)
    }

    pub(super) fn object() -> String {
        host_string(ffi::object)
    }

    pub(super) fn log(level: LogLevel, message: &str) {
        // SAFETY: `message` is a live slice of `message.len()` bytes the host only reads.
        unsafe { ffi::log(level as i32, message.as_ptr(), abi_len(message.len())) }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::LogLevel;

    pub(super) fn args() -> String {
        String::new()
    }

    pub(super) fn object() -> String {
        String::new()
    }

    pub(super) fn log(level: LogLevel, message: &str) {
        eprintln!("[{}] {message}", level.as_str());
    }
}

/// Sets the current object's error message.
#[cfg(target_arch = "wasm32")]
pub(crate) fn fail(message: &str) {
    // SAFETY: `message` is a live slice the host only reads.
    unsafe { ffi::fail(message.as_ptr(), abi_len(message.len())) }
}

/// Pulls up to `buf.len()` input bytes; `Err` carries the host's negative code.
#[cfg(target_arch = "wasm32")]
pub(crate) fn input_read(buf: &mut [u8]) -> Result<usize, i32> {
    // SAFETY: `buf` is `buf.len()` writable bytes; the host writes at most `cap` of them.
    let n = unsafe { ffi::input_read(buf.as_mut_ptr(), abi_len(buf.len())) };
    usize::try_from(n).map_err(|_| n)
}

/// Appends `bytes` to the object's output; `Err` carries the host's negative code.
#[cfg(target_arch = "wasm32")]
pub(crate) fn output(bytes: &[u8]) -> Result<(), i32> {
    for chunk in bytes.chunks(i32::MAX as usize) {
        // SAFETY: `chunk` is a live slice of `chunk.len()` bytes the host only reads.
        let rc = unsafe { ffi::output(chunk.as_ptr(), abi_len(chunk.len())) };
        if rc < 0 {
            return Err(rc);
        }
    }
    Ok(())
}

/// A readable name for a negative host result.
#[cfg(target_arch = "wasm32")]
pub(crate) fn describe(code: i32) -> &'static str {
    use lode_host_abi::error;
    match code {
        error::OUTPUT_LIMIT => "output size limit exceeded",
        error::BAD_POINTER => "bad pointer",
        error::IO => "host I/O error",
        error::NO_STREAM => "not in the streaming form",
        _ => "unknown host error",
    }
}
