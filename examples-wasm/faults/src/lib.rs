//! Test lode transform: misbehaves on request, for the runtime's hostile-guest tests.
//!
//! The transform arguments pick the behaviour (both forms behave the same):
//!
//! | args | behaviour |
//! |---|---|
//! | `panic` | panics with [`PANIC_MESSAGE`] (on wasm32: the message reaches the host, then a trap) |
//! | `fail` | returns an error with [`FAIL_MESSAGE`] |
//! | `loop` | spins forever (the host's CPU deadline must stop it) |
//! | `alloc` | allocates and touches 1 MiB blocks until memory runs out (a trap on wasm32) |
//! | `recurse` | recurses without bound until the stack overflows (a trap on wasm32) |
//! | `log` | logs one line at each level, then echoes |
//! | `object` | the output is the object name (`bucket/object`) instead of the input |
//! | `env:NAME` | the output is the value of environment variable `NAME` (empty when unset) |
//! | `truncate` | streaming form: writes the first half of the input, then fails with [`FAIL_MESSAGE`]; whole form: fails |
//! | anything else | echoes the input |
//!
//! With no arguments (offline jobs pass none), an object named `*.truncate` behaves as `truncate`.
//!
//! Natively `loop`, `alloc` and `recurse` do what they say to the calling process: call them
//! only inside a sandbox.

#![deny(missing_docs)]

use std::hint::black_box;
use std::io::Write;

use lode_guest::{Error, Input, Output};

/// The message `panic` panics with.
pub const PANIC_MESSAGE: &str = "lode-example-faults: panic requested";

/// The error message `fail` returns.
pub const FAIL_MESSAGE: &str = "lode-example-faults: failure requested";

/// Whole-object form.
pub fn transform(input: &[u8], args: &str) -> Result<Vec<u8>, Error> {
    match misbehave(args)? {
        Some(replacement) => Ok(replacement),
        None => Ok(input.to_vec()),
    }
}

/// Streaming form.
pub fn transform_stream(input: &mut Input, output: &mut Output, args: &str) -> Result<(), Error> {
    if mode(args) == "truncate" {
        let mut data = Vec::new();
        input.for_each_chunk(|chunk| {
            data.extend_from_slice(chunk);
            Ok(())
        })?;
        output.write_all(&data[..data.len() / 2])?;
        output.flush()?;
        return Err(Error::new(FAIL_MESSAGE));
    }
    match misbehave(args)? {
        Some(replacement) => Ok(output.write_all(&replacement)?),
        None => input.for_each_chunk(|chunk| Ok(output.write_all(chunk)?)),
    }
}

lode_guest::transform!(transform);
lode_guest::stream_transform!(transform_stream);

/// The behaviour asked for: `args`, or `truncate` for an object named `*.truncate` when there
/// are no arguments.
fn mode(args: &str) -> String {
    let args = args.trim();
    if args.is_empty() && lode_guest::object().ends_with(".truncate") {
        return "truncate".to_owned();
    }
    args.to_owned()
}

/// Does what `args` asks; `Ok(Some(bytes))` replaces the output, `Ok(None)` means echo.
fn misbehave(args: &str) -> Result<Option<Vec<u8>>, Error> {
    match mode(args).as_str() {
        "panic" => panic!("{PANIC_MESSAGE}"),
        "fail" | "truncate" => Err(Error::new(FAIL_MESSAGE)),
        "loop" => spin(),
        "alloc" => hoard(),
        "recurse" => Ok(Some(recurse(0).to_le_bytes().to_vec())),
        "log" => {
            lode_guest::debug!("faults: debug line");
            lode_guest::info!("faults: info line");
            lode_guest::warn!("faults: warn line");
            lode_guest::error!("faults: error line");
            Ok(None)
        }
        "object" => Ok(Some(lode_guest::object().into_bytes())),
        other => match other.strip_prefix("env:") {
            Some(name) => Ok(Some(std::env::var(name).unwrap_or_default().into_bytes())),
            None => Ok(None),
        },
    }
}

fn spin() -> ! {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn hoard() -> ! {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        blocks.push(vec![0xa5; 1 << 20]);
        black_box(&blocks);
    }
}

/// Recurses until the stack runs out; each frame keeps 512 bytes live.
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 64]);
    if black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(frame[(depth % 64) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_returns_the_known_message() {
        assert_eq!(transform(b"x", "fail").unwrap_err().message(), FAIL_MESSAGE);
    }

    #[test]
    fn panic_carries_the_known_message() {
        let caught = std::panic::catch_unwind(|| transform(b"x", "panic")).unwrap_err();
        let message = caught.downcast_ref::<String>().map(String::as_str);
        assert_eq!(message, Some(PANIC_MESSAGE));
    }

    #[test]
    fn other_args_echo() {
        assert_eq!(transform(b"bytes", "").unwrap(), b"bytes");
        assert_eq!(transform(b"bytes", "log").unwrap(), b"bytes");
        let (mut src, mut dst) = (&b"streamed"[..], Vec::new());
        transform_stream(
            &mut Input::from_reader(&mut src),
            &mut Output::from_writer(&mut dst),
            "",
        )
        .unwrap();
        assert_eq!(dst, b"streamed");
    }
}
