//! What the exported entry points do (wasm32 only): the input buffer behind `lode_alloc`,
//! one object's run through a transform function, error reporting and the panic hook.
//!
//! `lode_abi_version` and `lode_alloc` are exported from here, so a module gets them once
//! however many of the transform macros it uses; the macros export the transform entries.

// unsafe here: the exported entry points the host calls (no_mangle); each block says why it is sound.
#![allow(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::sync::Once;

use lode_host_abi::{status, ABI_VERSION};

use crate::__private::{StreamFn, WholeFn};
use crate::{host, Error, Input, Output};

thread_local! {
    /// The buffer `lode_alloc` hands out, reused (and only ever grown) across objects.
    static INPUT_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Set when the host refused `input_read`/`output`: it reports the reason itself.
    static HOST_ERROR: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: `lode_abi_version` is this ABI's export name and nothing else defines it.
#[unsafe(no_mangle)]
extern "C" fn lode_abi_version() -> i32 {
    ABI_VERSION
}

// SAFETY: `lode_alloc` is this ABI's export name and nothing else defines it.
#[unsafe(no_mangle)]
extern "C" fn lode_alloc(len: i32) -> i32 {
    let Ok(len) = usize::try_from(len) else {
        return 0;
    };
    INPUT_BUFFER.with_borrow_mut(|buf| {
        if buf.len() < len {
            if buf.try_reserve_exact(len - buf.len()).is_err() {
                return 0;
            }
            buf.resize(len, 0);
        }
        // wasm32 addresses are 32 bits; the host reads the i32 back as an unsigned address.
        buf.as_mut_ptr() as usize as i32
    })
}

/// Runs `f` on the `len` bytes the host wrote at `ptr` (which must be the `lode_alloc` buffer)
/// and sends its output; returns a [`status`].
pub fn run_whole(f: WholeFn, ptr: i32, len: i32) -> i32 {
    begin_object();
    let input = INPUT_BUFFER.take();
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let in_buffer = input.as_ptr() as usize as i32 == ptr && len <= input.len();
    let result = if len == 0 {
        f(&[], &host::args())
    } else if in_buffer {
        f(&input[..len], &host::args())
    } else {
        Err(Error::new(
            "lode_transform: input is not in the buffer returned by lode_alloc",
        ))
    };
    INPUT_BUFFER.set(input);
    match result {
        Ok(out) => match host::output(&out) {
            Ok(()) => status::OK,
            Err(_) => status::ERROR,
        },
        Err(err) => report(&err),
    }
}

/// Runs `f` with the host's input and output streams; returns a [`status`].
pub fn run_stream(f: StreamFn) -> i32 {
    begin_object();
    let result = f(&mut Input::host(), &mut Output::host(), &host::args());
    match result {
        Ok(()) if HOST_ERROR.get() => status::ERROR,
        Ok(()) => status::OK,
        Err(err) => report(&err),
    }
}

/// Marks the current object as failed by the host (see [`HOST_ERROR`]).
pub(crate) fn note_host_error() {
    HOST_ERROR.set(true);
}

fn begin_object() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| std::panic::set_hook(Box::new(report_panic)));
    HOST_ERROR.set(false);
}

/// Hands `err` to the host unless the host already knows why the object failed.
fn report(err: &Error) -> i32 {
    if !HOST_ERROR.get() {
        host::fail(err.message());
    }
    status::ERROR
}

/// The panic hook: the message reaches the host through `fail` before the instance traps
/// (wasm32 panics abort, so this is the last code the guest runs for the object).
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
    let message = match info.location() {
        Some(at) => format!("panic: {message} (at {}:{})", at.file(), at.line()),
        None => format!("panic: {message}"),
    };
    host::fail(&message);
}
