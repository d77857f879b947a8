//! The host side of one store: its data ([`Host`]), the per-object state the imports and
//! WASI streams share ([`ObjectState`]), the memory limiter and the deadline check.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::io::{Sink, Source, Waits};
use crate::limits::{ticks, Limits};
use crate::log::{LineSplitter, LogSink};

/// The data of every store lode creates.
pub(crate) struct Host {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) state: SharedState,
}

/// The object state, shared between the `lode` imports and a command's WASI streams.
pub(crate) type SharedState = Arc<Mutex<ObjectState>>;

/// Locks `state`; a poisoned lock (a host panic mid-call) still holds usable data.
pub(crate) fn lock(state: &SharedState) -> MutexGuard<'_, ObjectState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Why the host refused an `output`/`input_read` (or a stdio write) during this object.
#[derive(Debug)]
pub(crate) enum HostFailure {
    OutputLimit,
    Io(std::io::Error),
}

/// What the host knows about the object in flight.
pub(crate) struct ObjectState {
    pub(crate) object: String,
    pub(crate) args: String,
    /// The input for `input_read` / stdin; `None` in the whole-object form.
    pub(crate) source: Option<Source>,
    /// Where output goes; `None` outside an object (the load probe).
    pub(crate) sink: Option<Sink>,
    pub(crate) bytes_in: u64,
    pub(crate) bytes_out: u64,
    pub(crate) max_output: u64,
    /// Time spent blocked on the caller's reader/writer: not charged to the deadline, each
    /// wait bounded by the deadline instead.
    pub(crate) waits: Waits,
    pub(crate) started: Instant,
    pub(crate) budget: Duration,
    pub(crate) failure: Option<HostFailure>,
    pub(crate) fail_message: Option<String>,
    pub(crate) log: LogSink,
    pub(crate) stderr: LineSplitter,
    /// The pool's configured environment, set into every instance's WASI context.
    pub(crate) env: Arc<[(String, String)]>,
}

impl ObjectState {
    pub(crate) fn idle(log: LogSink, limits: &Limits) -> ObjectState {
        ObjectState {
            object: String::new(),
            args: String::new(),
            source: None,
            sink: None,
            bytes_in: 0,
            bytes_out: 0,
            max_output: limits.max_output,
            waits: Waits::new(limits.deadline),
            started: Instant::now(),
            budget: limits.deadline,
            failure: None,
            fail_message: None,
            log,
            stderr: LineSplitter::default(),
            env: Arc::new([]),
        }
    }

    /// Resets for a new object (the log sink and limits stay).
    pub(crate) fn begin(
        &mut self,
        object: String,
        args: String,
        source: Option<Source>,
        sink: Sink,
    ) {
        self.object = object;
        self.args = args;
        self.source = source;
        self.sink = Some(sink);
        self.bytes_in = 0;
        self.bytes_out = 0;
        self.waits = Waits::new(self.budget);
        self.started = Instant::now();
        self.failure = None;
        self.fail_message = None;
        self.stderr = LineSplitter::default();
    }

    /// Appends guest output, enforcing the output limit.
    pub(crate) fn write_output(&mut self, bytes: &[u8]) -> Result<(), i32> {
        use lode_host_abi::error;
        if self.failure.is_some() {
            return Err(match self.failure {
                Some(HostFailure::OutputLimit) => error::OUTPUT_LIMIT,
                _ => error::IO,
            });
        }
        if self.bytes_out.saturating_add(bytes.len() as u64) > self.max_output {
            self.failure = Some(HostFailure::OutputLimit);
            return Err(error::OUTPUT_LIMIT);
        }
        let Some(sink) = self.sink.as_mut() else {
            return Err(error::IO);
        };
        match sink.write(bytes, &mut self.waits) {
            Ok(()) => {
                self.bytes_out += bytes.len() as u64;
                Ok(())
            }
            Err(err) => {
                self.failure = Some(HostFailure::Io(err));
                Err(error::IO)
            }
        }
    }

    /// Reads guest input into `buf`; `Ok(0)` at the end.
    pub(crate) fn read_input(&mut self, buf: &mut [u8]) -> Result<usize, i32> {
        use lode_host_abi::error;
        let Some(source) = self.source.as_mut() else {
            return Err(error::NO_STREAM);
        };
        match source.read(buf, &mut self.waits) {
            Ok(n) => {
                self.bytes_in += n as u64;
                Ok(n)
            }
            Err(err) => {
                self.failure = Some(HostFailure::Io(err));
                Err(error::IO)
            }
        }
    }

    /// Guest time charged so far: wall time minus time waiting on the caller.
    fn charged(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.waits.total)
    }
}

/// Caps linear memory at the module's limit and remembers whether a grow was refused.
pub(crate) struct MemoryLimiter {
    max: usize,
    pub(crate) hit: bool,
}

/// Most elements any table may grow to (a guest cannot make the host allocate without bound
/// through `table.grow`); well above what compilers emit for indirect calls.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl MemoryLimiter {
    pub(crate) fn new(limits: &Limits) -> MemoryLimiter {
        MemoryLimiter {
            max: usize::try_from(limits.max_memory).unwrap_or(usize::MAX),
            hit: false,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Creates a store for one instance: memory limiter, deadline callback, no object yet.
pub(crate) fn new_store(engine: &wasmtime::Engine, host: Host, tick: Duration) -> Store<Host> {
    let mut store = Store::new(engine, host);
    store.limiter(|host| &mut host.limiter);
    store.epoch_deadline_callback(move |ctx| {
        let state = lock(&ctx.data().state);
        let charged = state.charged();
        if charged >= state.budget {
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::Continue(ticks(
            state.budget - charged,
            tick,
        )))
    });
    store
}

/// Arms the deadline for the object that is about to run.
pub(crate) fn arm_deadline(store: &mut Store<Host>, limits: &Limits, tick: Duration) {
    store.set_epoch_deadline(limits.deadline_ticks(tick));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::discard_logs;

    #[test]
    fn output_limit_refuses_the_crossing_write() {
        let limits = Limits {
            max_output: 4,
            ..Limits::default()
        };
        let mut st = ObjectState::idle(discard_logs(), &limits);
        st.begin("b/o".into(), String::new(), None, Sink::Vec(Vec::new()));
        assert_eq!(st.write_output(b"abc"), Ok(()));
        assert_eq!(
            st.write_output(b"de"),
            Err(lode_host_abi::error::OUTPUT_LIMIT)
        );
        assert!(matches!(st.failure, Some(HostFailure::OutputLimit)));
        assert_eq!(st.bytes_out, 3);
    }

    #[test]
    fn input_read_without_a_stream_says_so() {
        let mut st = ObjectState::idle(discard_logs(), &Limits::default());
        assert_eq!(
            st.read_input(&mut [0; 4]),
            Err(lode_host_abi::error::NO_STREAM)
        );
    }

    #[test]
    fn limiter_records_a_refused_grow() {
        let mut limiter = MemoryLimiter::new(&Limits {
            max_memory: 1 << 20,
            ..Limits::default()
        });
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!limiter.hit);
        assert!(!limiter.memory_growing(1 << 20, 2 << 20, None).unwrap());
        assert!(limiter.hit);
    }
}
