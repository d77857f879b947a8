//! [`Pool`]: worker threads for one module, and the async bridge tokio callers use.
//!
//! Each worker is a dedicated OS thread owning a [`Worker`] (its store and instance), so a
//! transform never runs on a tokio thread. Jobs wait in one queue that every worker pulls
//! from. An async reader is pumped into the worker through a bounded channel, and output for
//! an async writer comes back through another; both pumps run inside the caller's
//! [`Pool::transform`] future, so dropping that future cancels the object (the worker sees
//! the channels close and fails it, removing any temp file).

use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::error::{ErrorKind, TransformError};
use crate::io::{InChunk, Stalled};
use crate::log::{discard_logs, LogSink};
use crate::worker::{Job, JobInput, JobOutput, Request, TransformOutcome, Worker};
use crate::{Input, Module, Output};

/// Default [`PoolConfig::stream_threshold`]: 8 MiB.
pub const DEFAULT_STREAM_THRESHOLD: u64 = 8 << 20;

/// Chunks in flight between a pump and its worker (each up to 256 KiB in, 1 MiB out).
const PUMP_DEPTH: usize = 4;
/// Bytes a reader pump asks for per read.
const READ_CHUNK: usize = 256 << 10;

/// How a pool runs its module.
#[derive(Clone)]
pub struct PoolConfig {
    /// Worker threads; default one per core.
    pub workers: usize,
    /// Where guest log lines go.
    pub log: LogSink,
    /// Keep an SDK-style instance for the next object (the fast path); `false` creates a
    /// fresh instance per object. Commands always get a fresh one.
    pub reuse_instances: bool,
    /// Inputs above this many bytes (and inputs of unknown size) use the streaming form when
    /// the module exports it; smaller ones are copied whole into guest memory.
    pub stream_threshold: u64,
    /// Environment variables every instance sees (the ETL's configured env), in addition to
    /// `ETL_ARGS` / `ETL_OBJECT` for commands. Never the host's environment.
    pub env: Vec<(String, String)>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            log: discard_logs(),
            reuse_instances: true,
            stream_threshold: DEFAULT_STREAM_THRESHOLD,
            env: Vec::new(),
        }
    }
}

impl std::fmt::Debug for PoolConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolConfig")
            .field("workers", &self.workers)
            .field("reuse_instances", &self.reuse_instances)
            .field("stream_threshold", &self.stream_threshold)
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

type Reply = oneshot::Sender<Result<TransformOutcome, TransformError>>;

/// Worker threads running one module. Dropping the pool lets the workers finish the queued
/// objects and exit; it does not wait for them.
pub struct Pool {
    jobs: std_mpsc::Sender<(Job, Reply)>,
    module: Module,
    workers: usize,
}

impl Pool {
    /// Starts `config.workers` (at least one) worker threads for `module`.
    pub fn new(module: &Module, config: PoolConfig) -> std::io::Result<Pool> {
        let (tx, rx) = std_mpsc::channel::<(Job, Reply)>();
        let rx = Arc::new(Mutex::new(rx));
        let workers = config.workers.max(1);
        let stack = module.inner.runtime.inner.wasm_stack + (4 << 20);
        for i in 0..workers {
            let worker = Worker::new(module, &config);
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("lode-wasm-{i}"))
                .stack_size(stack)
                .spawn(move || serve(worker, &rx))?;
        }
        Ok(Pool {
            jobs: tx,
            module: module.clone(),
            workers,
        })
    }

    /// The module this pool runs.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// How many worker threads run it.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Transforms one object on a worker thread. Safe to call from any tokio task; many
    /// calls may be in flight (they queue for the workers).
    pub async fn transform(&self, request: Request) -> Result<TransformOutcome, TransformError> {
        let Request {
            object,
            args,
            input,
            output,
        } = request;
        let mut reader = None;
        let input = match input {
            Input::Bytes(b) => JobInput::Bytes(b),
            Input::File(p) => JobInput::File(p),
            Input::Reader(r) => {
                let (tx, rx) = mpsc::channel(PUMP_DEPTH);
                reader = Some((r, tx));
                JobInput::Channel(rx)
            }
        };
        let mut writer = None;
        let output = match output {
            Output::Vec => JobOutput::Vec,
            Output::File(p) => JobOutput::File(p),
            Output::Sync(w) => JobOutput::Sync(w),
            Output::Chunks(tx) => JobOutput::Channel(tx),
            Output::Writer(w) => {
                let (tx, rx) = mpsc::channel(PUMP_DEPTH);
                writer = Some((w, rx));
                JobOutput::Channel(tx)
            }
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        let job = Job {
            object: object.clone(),
            args,
            input,
            output,
        };
        if self.jobs.send((job, reply_tx)).is_err() {
            return Err(TransformError::new(object, ErrorKind::PoolClosed));
        }
        let work = async {
            let stall = self.module.limits().deadline;
            let (reply, written) = tokio::join!(reply_rx, pump_out(writer, stall));
            let outcome = match reply {
                Ok(outcome) => outcome,
                Err(_) => return Err(TransformError::new(&object, ErrorKind::PoolClosed)),
            };
            match (outcome, written) {
                (Ok(outcome), Ok(Some(mut w))) => match within(stall, w.shutdown()).await {
                    Ok(()) => Ok(outcome),
                    Err(err) => Err(TransformError::new(&object, ErrorKind::from_io(err))),
                },
                (Ok(outcome), Ok(None)) => Ok(outcome),
                // The writer's own error says more than the worker's "stream closed".
                (Ok(_), Err(err)) => Err(TransformError::new(&object, ErrorKind::from_io(err))),
                (Err(e), Err(err)) if matches!(e.kind(), ErrorKind::Io(_)) => {
                    Err(TransformError::new(&object, ErrorKind::from_io(err)))
                }
                (Err(e), _) => Err(e),
            }
        };
        let read = pump_in(reader);
        tokio::pin!(work, read);
        let mut reading = true;
        loop {
            tokio::select! {
                result = &mut work => return result,
                () = &mut read, if reading => reading = false,
            }
        }
    }
}

/// A worker thread: takes jobs until the pool is dropped.
fn serve(mut worker: Worker, jobs: &Mutex<std_mpsc::Receiver<(Job, Reply)>>) {
    loop {
        let next = jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok((job, reply)) = next else {
            return;
        };
        if reply.is_closed() {
            continue; // the caller gave up while the job was queued
        }
        let _ = reply.send(worker.run_job(job));
    }
}

/// Feeds the worker from an async reader; ends at the reader's end (sending the empty end
/// marker), on its error (passed on), or when the worker stops listening.
async fn pump_in(reader: Option<(Box<dyn AsyncRead + Send + Unpin>, mpsc::Sender<InChunk>)>) {
    let Some((mut reader, tx)) = reader else {
        return;
    };
    loop {
        let mut buf = BytesMut::with_capacity(READ_CHUNK);
        let chunk = match reader.read_buf(&mut buf).await {
            Ok(0) => Ok(Bytes::new()),
            Ok(_) => Ok(buf.freeze()),
            Err(err) => Err(err),
        };
        let last = !matches!(&chunk, Ok(b) if !b.is_empty());
        if tx.send(chunk).await.is_err() || last {
            return;
        }
    }
}

/// Writes the worker's output to an async writer; returns the writer (not shut down: only
/// a successful object is finished) once the worker is done. A write that takes longer than
/// `stall` (the caller stopped reading) fails with [`Stalled`], which also releases the
/// worker waiting to send more.
async fn pump_out(
    writer: Option<(Box<dyn AsyncWrite + Send + Unpin>, mpsc::Receiver<Bytes>)>,
    stall: Duration,
) -> std::io::Result<Option<Box<dyn AsyncWrite + Send + Unpin>>> {
    let Some((mut writer, mut rx)) = writer else {
        return Ok(None);
    };
    while let Some(chunk) = rx.recv().await {
        within(stall, writer.write_all(&chunk)).await?;
    }
    Ok(Some(writer))
}

/// One operation on the caller's writer, failing with [`Stalled`] if it takes over `stall`.
async fn within(
    stall: Duration,
    op: impl std::future::Future<Output = std::io::Result<()>>,
) -> std::io::Result<()> {
    tokio::time::timeout(stall, op)
        .await
        .unwrap_or_else(|_| Err(Stalled::output(stall)))
}
