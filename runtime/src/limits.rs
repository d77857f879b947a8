//! The limits a transform runs under: the contract between lode and a guest it does not trust.
//!
//! Every limit is per loaded module (per ETL) and applies to each object separately. Breaking
//! a limit fails that one object with a [`TransformError`](crate::TransformError) whose
//! [`ErrorKind`](crate::ErrorKind) names the limit; the worker drops the instance and the
//! next object gets a fresh one. Nothing else in the process notices.
//!
//! | limit | field | unit | default | enforced by |
//! |---|---|---|---|---|
//! | linear memory | [`Limits::max_memory`] | bytes | [`DEFAULT_MAX_MEMORY`] (256 MiB) | a store resource limiter on every `memory.grow` and at instantiation |
//! | CPU deadline | [`Limits::deadline`] | time | [`DEFAULT_DEADLINE`] (10 s) | epoch interruption, one ticker thread per [`Runtime`](crate::Runtime) |
//! | stalled stream | [`Limits::deadline`] again, per wait | time | the same | a timed park in the host's stream calls, a timeout on the async writer |
//! | output size | [`Limits::max_output`] | bytes | [`DEFAULT_MAX_OUTPUT`] (1 GiB) | the `output` import and the command's stdout |
//!
//! Engine-wide ceilings (a [`RuntimeConfig`](crate::RuntimeConfig) setting, the same for
//! every module): the wasm stack ([`DEFAULT_MAX_WASM_STACK`]), the number of live instances
//! ([`DEFAULT_MAX_INSTANCES`]) and the largest memory any module may be given
//! ([`MEMORY_CEILING`]).
//!
//! # Linear memory
//!
//! Covers every linear memory the module defines, including its initial size: a module whose
//! declared minimum is above the limit fails at load. A refused `memory.grow` returns `-1` to
//! the guest, as the spec says; most guests then trap (Rust aborts on allocation failure),
//! and any failure of an object after a refused grow is reported as
//! [`ErrorKind::MemoryLimit`](crate::ErrorKind::MemoryLimit). It does not cover host memory
//! spent on the guest's behalf: an [`Output::Vec`](crate::Output::Vec) buffer (bounded by the
//! output limit), a command's buffered stdin, wasmtime's own per-instance structures, or the
//! compiled code.
//!
//! # CPU deadline
//!
//! Counts wall-clock time from the first guest instruction of an object to its last,
//! *minus* the time the host spends waiting on a network reader or writer (a slow client
//! does not make a transform time out). Checked at function entries and loop back-edges of
//! guest code every epoch tick ([`DEFAULT_EPOCH_TICK`], 10 ms), so the deadline fires up to
//! one tick late. It also covers `_initialize` and the load-time ABI probe. It does not cover
//! time blocked inside a WASI call (no WASI call in lode's sandbox can block for long: there
//! are no sockets and no files; `poll_oneoff` on a clock can, and counts as wall time).
//!
//! # Stalled streams
//!
//! A wait that is not charged to the deadline is bounded by it instead: when one read of the
//! caller's input or one write of the output makes no progress for [`Limits::deadline`] (the
//! client stopped reading the response, or stopped sending the body), the object fails with
//! [`ErrorKind::Stalled`](crate::ErrorKind::Stalled) naming the stream, and the worker and
//! its instance are free again. A slow stream that keeps moving is not cut off: each wait
//! counts on its own.
//!
//! # Output size
//!
//! Counts the bytes the guest hands to the `output` import, or writes to stdout. The write
//! that would cross the limit is refused (`output` returns
//! [`lode_host_abi::error::OUTPUT_LIMIT`]; a command's stdout write traps) and the object
//! fails with [`ErrorKind::OutputLimit`](crate::ErrorKind::OutputLimit) even if the guest
//! ignores the refusal. Input size is not limited here: the caller chooses what to feed.
//!
//! # What a malicious guest can still do
//!
//! Burn one core for up to the deadline per object (and the load probe); hold up to the
//! memory limit per worker; produce up to the output limit per object; write up to any amount
//! of log lines (each is passed to the log sink; the caller bounds what it keeps); read the
//! clocks and random numbers. It cannot open files or sockets, read the host environment,
//! see other objects' data (each worker's instance serves one object at a time, and command
//! instances are fresh per object; a *reused* SDK-style instance does see its own earlier
//! objects' leftovers in its memory, which is the guest's own business), or call anything
//! outside WASI preview1 and the lode ABI.

use std::time::Duration;

/// Default [`Limits::max_memory`]: 256 MiB.
pub const DEFAULT_MAX_MEMORY: u64 = 256 << 20;

/// Default [`Limits::deadline`]: 10 seconds of guest time per object.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// Default [`Limits::max_output`]: 1 GiB per object.
pub const DEFAULT_MAX_OUTPUT: u64 = 1 << 30;

/// The largest [`Limits::max_memory`] any module may be given: 4 GiB, all a 32-bit memory
/// can address.
pub const MEMORY_CEILING: u64 = 4 << 30;

/// Default epoch tick ([`RuntimeConfig::epoch_tick`](crate::RuntimeConfig::epoch_tick)):
/// the deadline's resolution.
pub const DEFAULT_EPOCH_TICK: Duration = Duration::from_millis(10);

/// Default wasm stack per call into the guest, in bytes (512 KiB): deeper recursion traps
/// with a stack overflow.
pub const DEFAULT_MAX_WASM_STACK: usize = 512 << 10;

/// Default number of instances that may be alive at once in one [`Runtime`](crate::Runtime)
/// (all pools and load probes together); each reserves address space (not memory) for a
/// 4 GiB linear memory.
pub const DEFAULT_MAX_INSTANCES: u32 = 128;

/// Per-module limits; see the [module docs](self) for what each covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest size of the guest's linear memory, in bytes (at most [`MEMORY_CEILING`]).
    pub max_memory: u64,
    /// Guest time allowed per object (rounded up to whole epoch ticks).
    pub deadline: Duration,
    /// Largest output of one object, in bytes.
    pub max_output: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory: DEFAULT_MAX_MEMORY,
            deadline: DEFAULT_DEADLINE,
            max_output: DEFAULT_MAX_OUTPUT,
        }
    }
}

impl Limits {
    /// Checks the limits are usable; the message says which one is not.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.max_memory > MEMORY_CEILING {
            return Err(format!(
                "max_memory {} exceeds the ceiling of {MEMORY_CEILING} bytes",
                self.max_memory
            ));
        }
        if self.deadline.is_zero() {
            return Err("deadline must be above zero".into());
        }
        Ok(())
    }

    /// The deadline in epoch ticks of `tick`, rounded up, at least one.
    pub(crate) fn deadline_ticks(&self, tick: Duration) -> u64 {
        ticks(self.deadline, tick)
    }
}

/// `span` in ticks of `tick`, rounded up, at least one.
pub(crate) fn ticks(span: Duration, tick: Duration) -> u64 {
    let tick = tick.as_nanos().max(1);
    let n = span.as_nanos().div_ceil(tick);
    u64::try_from(n).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_constants() {
        let limits = Limits::default();
        assert_eq!(limits.max_memory, 256 * 1024 * 1024);
        assert_eq!(limits.deadline, Duration::from_secs(10));
        assert_eq!(limits.max_output, 1024 * 1024 * 1024);
        assert!(limits.check().is_ok());
    }

    #[test]
    fn check_names_the_bad_limit() {
        let big = Limits {
            max_memory: MEMORY_CEILING + 1,
            ..Limits::default()
        };
        assert!(big.check().unwrap_err().contains("max_memory"));
        let zero = Limits {
            deadline: Duration::ZERO,
            ..Limits::default()
        };
        assert!(zero.check().unwrap_err().contains("deadline"));
    }

    #[test]
    fn ticks_round_up() {
        let tick = Duration::from_millis(10);
        assert_eq!(ticks(Duration::from_millis(10), tick), 1);
        assert_eq!(ticks(Duration::from_millis(11), tick), 2);
        assert_eq!(ticks(Duration::from_nanos(1), tick), 1);
        assert_eq!(ticks(Duration::from_secs(10), tick), 1000);
    }
}
