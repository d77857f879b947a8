//! [`Worker`]: one instance slot and the synchronous run of one object. Pool threads each own
//! one; benches and tests may drive one directly on their own thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::error::{ErrorKind, TransformError};
use crate::host::{lock, ObjectState, SharedState};
use crate::io::{InChunk, Sink, Source};
use crate::pool::PoolConfig;
use crate::sdk::SdkInstance;
use crate::validate::ModuleStyle;
use crate::{command, Input, Module, Output};

/// One object to transform.
#[derive(Debug)]
pub struct Request {
    /// The object's name, `bucket/object`: what the guest's `object` import and `ETL_OBJECT`
    /// return, and what errors and log lines name.
    pub object: String,
    /// The transform arguments (`etl_args`); may be empty.
    pub args: String,
    /// Where the bytes come from.
    pub input: Input,
    /// Where the result goes.
    pub output: Output,
}

impl Request {
    /// A request with empty arguments.
    pub fn new(object: impl Into<String>, input: Input, output: Output) -> Request {
        Request {
            object: object.into(),
            args: String::new(),
            input,
            output,
        }
    }

    /// Sets the transform arguments.
    pub fn with_args(mut self, args: impl Into<String>) -> Request {
        self.args = args.into();
        self
    }
}

/// A successful object.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransformOutcome {
    /// The output, for [`Output::Vec`]; `None` for the other outputs.
    pub output: Option<Vec<u8>>,
    /// Input bytes the guest received.
    pub bytes_in: u64,
    /// Output bytes the guest produced.
    pub bytes_out: u64,
    /// Wall time on the worker, from picking the object up to committing its output.
    pub elapsed: Duration,
    /// Whether the streaming form ran (else the whole-object form, or a command).
    pub streamed: bool,
    /// Whether the object ran in an instance created for it (always, for commands).
    pub fresh_instance: bool,
}

/// The internal form of a request: what a worker thread can handle without an async runtime.
pub(crate) struct Job {
    pub(crate) object: String,
    pub(crate) args: String,
    pub(crate) input: JobInput,
    pub(crate) output: JobOutput,
}

pub(crate) enum JobInput {
    Bytes(Bytes),
    File(PathBuf),
    Channel(mpsc::Receiver<InChunk>),
}

pub(crate) enum JobOutput {
    Vec,
    File(PathBuf),
    Channel(mpsc::Sender<Bytes>),
    Sync(Box<dyn std::io::Write + Send>),
}

/// What one style's run reports back to [`Worker::run_job`].
pub(crate) struct Ran {
    pub(crate) result: Result<(), ErrorKind>,
    pub(crate) streamed: bool,
    pub(crate) fresh_instance: bool,
}

/// Runs objects of one module on the current thread, one at a time.
///
/// An SDK-style module's instance is created on first use and, with
/// [`PoolConfig::reuse_instances`], kept for the next object unless the object trapped or
/// broke a limit; a command gets a fresh instance per object.
pub struct Worker {
    pub(crate) module: Module,
    pub(crate) state: SharedState,
    pub(crate) sdk: Option<SdkInstance>,
    pub(crate) reuse: bool,
    pub(crate) stream_threshold: u64,
}

impl Worker {
    /// A worker for `module`; log lines go to `config.log`.
    pub fn new(module: &Module, config: &PoolConfig) -> Worker {
        let mut state = ObjectState::idle(config.log.clone(), module.limits());
        state.env = config.env.iter().cloned().collect();
        Worker {
            module: module.clone(),
            state: Arc::new(Mutex::new(state)),
            sdk: None,
            reuse: config.reuse_instances,
            stream_threshold: config.stream_threshold,
        }
    }

    /// Transforms one object on this thread. [`Input::Reader`] and [`Output::Writer`] need
    /// an async bridge: use [`Pool::transform`](crate::Pool::transform) for them.
    pub fn run(&mut self, request: Request) -> Result<TransformOutcome, TransformError> {
        let unsupported = |what: &str| {
            let msg = format!("{what} needs Pool::transform (an async bridge)");
            TransformError::new(&request.object, ErrorKind::Io(std::io::Error::other(msg)))
        };
        let input = match request.input {
            Input::Bytes(b) => JobInput::Bytes(b),
            Input::File(p) => JobInput::File(p),
            Input::Reader(_) => return Err(unsupported("an async reader input")),
        };
        let output = match request.output {
            Output::Vec => JobOutput::Vec,
            Output::File(p) => JobOutput::File(p),
            Output::Sync(w) => JobOutput::Sync(w),
            Output::Chunks(tx) => JobOutput::Channel(tx),
            Output::Writer(_) => return Err(unsupported("an async writer output")),
        };
        self.run_job(Job {
            object: request.object,
            args: request.args,
            input,
            output,
        })
    }

    /// Runs one job; a host panic fails the object and resets the instance.
    pub(crate) fn run_job(&mut self, job: Job) -> Result<TransformOutcome, TransformError> {
        let object = job.object.clone();
        match catch_unwind(AssertUnwindSafe(|| self.run_unguarded(job))) {
            Ok(result) => result.map_err(|kind| TransformError::new(object, kind)),
            Err(panic) => {
                self.sdk = None;
                let mut state = lock(&self.state);
                state.source = None;
                if let Some(sink) = state.sink.take() {
                    sink.abort();
                }
                let what = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or(panic.downcast_ref::<String>().map(String::as_str));
                let msg = format!(
                    "host panic while transforming: {}",
                    what.unwrap_or("unknown")
                );
                tracing::error!(%object, "{msg}");
                Err(TransformError::new(object, ErrorKind::Host(msg)))
            }
        }
    }

    fn run_unguarded(&mut self, job: Job) -> Result<TransformOutcome, ErrorKind> {
        let started = Instant::now();
        let source = match job.input {
            JobInput::Bytes(b) => Source::memory(b),
            JobInput::File(p) => Source::memory(crate::unsafe_io::map_file(&p)?),
            JobInput::Channel(rx) => Source::channel(rx),
        };
        let sink = match job.output {
            // Most transforms return about as much as they get: size the buffer for that
            // (pages a transform never writes are never touched).
            JobOutput::Vec => {
                let hint = source.as_memory().map_or(0, |b| b.len() as u64);
                let hint = hint.min(self.module.limits().max_output);
                Sink::Vec(Vec::with_capacity(usize::try_from(hint).unwrap_or(0)))
            }
            JobOutput::File(p) => Sink::file(p)?,
            JobOutput::Channel(tx) => Sink::Channel(tx),
            JobOutput::Sync(w) => Sink::Sync(w),
        };
        // From here on the state owns the sink, so every path below commits or aborts it.
        lock(&self.state).begin(job.object, job.args, Some(source), sink);
        let ran = match self.module.style() {
            ModuleStyle::Sdk { whole, streaming } => crate::sdk::run(self, whole, streaming),
            ModuleStyle::Command => command::run(self),
        };
        let (sink, bytes_in, bytes_out) = {
            let mut state = lock(&self.state);
            state.source = None;
            (state.sink.take(), state.bytes_in, state.bytes_out)
        };
        let output = match (ran.result, sink) {
            (Ok(()), Some(sink)) => sink.finish()?,
            (Ok(()), None) => None,
            (Err(kind), sink) => {
                if let Some(sink) = sink {
                    sink.abort();
                }
                return Err(kind);
            }
        };
        Ok(TransformOutcome {
            output,
            bytes_in,
            bytes_out,
            elapsed: started.elapsed(),
            streamed: ran.streamed,
            fresh_instance: ran.fresh_instance,
        })
    }
}
