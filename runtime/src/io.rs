//! Where an object's bytes come from and where its output goes.
//!
//! The public [`Input`] / [`Output`] say what the caller has; a worker thread sees them as a
//! [`Source`] and a [`Sink`]: plain synchronous reads and writes, with async readers and
//! writers bridged over bounded channels by the pool (see `pool.rs`).

use std::fs::File;
use std::future::Future;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;

/// An object's input.
pub enum Input {
    /// Bytes in memory.
    Bytes(Bytes),
    /// A local file (an object's FQN): memory-mapped, then copied once into guest memory, or
    /// streamed from the mapping when the module has the streaming form and the file is above
    /// the pool's streaming threshold. The file must not be truncated while it is mapped
    /// (lode's store replaces objects by rename, never in place).
    File(PathBuf),
    /// An async reader, such as a network body; pulled in chunks while the guest runs.
    /// Needs [`Pool::transform`](crate::Pool::transform).
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

/// Where an object's output goes.
pub enum Output {
    /// Collected into [`TransformOutcome::output`](crate::TransformOutcome::output).
    Vec,
    /// A local file, written atomically: a temp file next to it, renamed into place on
    /// success, removed on failure. Not fsynced: durability is the store's call.
    File(PathBuf),
    /// An async writer, such as an HTTP body, fed through a bounded channel while the guest
    /// runs; shut down after the last byte. Needs [`Pool::transform`](crate::Pool::transform).
    Writer(Box<dyn AsyncWrite + Send + Unpin>),
    /// A blocking writer, written on the worker's thread as the guest produces output (such
    /// as a store's temp file that hashes what it is given): each output slice goes from guest
    /// memory straight into it, with no channel and no buffer in between; flushed after the
    /// last byte. Dropped, unflushed, when the object fails.
    Sync(Box<dyn std::io::Write + Send>),
    /// A channel, such as the body of a request being sent: each output slice is copied once
    /// into a [`Bytes`] and sent as the guest produces it. The channel closes after the last
    /// byte *and* when the object fails: the transform's result says which.
    Chunks(tokio::sync::mpsc::Sender<Bytes>),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Bytes(b) => write!(f, "Input::Bytes({} bytes)", b.len()),
            Input::File(p) => write!(f, "Input::File({})", p.display()),
            Input::Reader(_) => f.write_str("Input::Reader(..)"),
        }
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Vec => f.write_str("Output::Vec"),
            Output::File(p) => write!(f, "Output::File({})", p.display()),
            Output::Writer(_) => f.write_str("Output::Writer(..)"),
            Output::Sync(_) => f.write_str("Output::Sync(..)"),
            Output::Chunks(_) => f.write_str("Output::Chunks(..)"),
        }
    }
}

/// A chunk from an async reader; an empty chunk marks the end (the pump never sends an empty
/// data chunk), so a channel closed without one means the caller went away.
pub(crate) type InChunk = io::Result<Bytes>;

/// Input as a worker reads it.
pub(crate) enum Source {
    /// All bytes at hand (from memory or a mapped file); `pos` is how far `read` got.
    Memory { data: Bytes, pos: usize },
    /// Chunks from the pool's reader pump; `pending` is what is left of the last one.
    Channel {
        rx: mpsc::Receiver<InChunk>,
        pending: Bytes,
        done: bool,
    },
}

impl Source {
    pub(crate) fn memory(data: Bytes) -> Source {
        Source::Memory { data, pos: 0 }
    }

    pub(crate) fn channel(rx: mpsc::Receiver<InChunk>) -> Source {
        Source::Channel {
            rx,
            pending: Bytes::new(),
            done: false,
        }
    }

    /// The whole input, if it is at hand.
    pub(crate) fn as_memory(&self) -> Option<&Bytes> {
        match self {
            Source::Memory { data, .. } => Some(data),
            Source::Channel { .. } => None,
        }
    }

    /// Copies up to `buf.len()` bytes into `buf`; `Ok(0)` at the end. Time spent blocked on
    /// the channel is added to `waits`; a wait longer than its stall limit fails the read.
    pub(crate) fn read(&mut self, buf: &mut [u8], waits: &mut Waits) -> io::Result<usize> {
        match self {
            Source::Memory { data, pos } => {
                let n = buf.len().min(data.len() - *pos);
                buf[..n].copy_from_slice(&data[*pos..*pos + n]);
                *pos += n;
                Ok(n)
            }
            Source::Channel { rx, pending, done } => {
                while pending.is_empty() && !*done {
                    let next = waits.wait("input", rx.recv())?;
                    match next {
                        Some(Ok(chunk)) if chunk.is_empty() => *done = true,
                        Some(Ok(chunk)) => *pending = chunk,
                        Some(Err(err)) => return Err(err),
                        None => return Err(gone("input")),
                    }
                }
                let n = buf.len().min(pending.len());
                buf[..n].copy_from_slice(&pending.split_to(n));
                Ok(n)
            }
        }
    }

    /// Reads everything left into memory, failing once it exceeds `cap` bytes (the caller
    /// maps that to the memory limit).
    pub(crate) fn collect(self, cap: u64, waits: &mut Waits) -> io::Result<Result<Bytes, u64>> {
        let mut source = self;
        if let Source::Memory { data, pos } = source {
            return Ok(Ok(data.slice(pos..)));
        }
        let mut all = Vec::new();
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = source.read(&mut buf, waits)?;
            if n == 0 {
                return Ok(Ok(Bytes::from(all)));
            }
            if (all.len() + n) as u64 > cap {
                return Ok(Err(cap));
            }
            all.extend_from_slice(&buf[..n]);
        }
    }
}

/// How many bytes of output one channel message carries at most.
pub(crate) const OUT_CHUNK: usize = 1 << 20;

/// Output as a worker writes it.
pub(crate) enum Sink {
    Vec(Vec<u8>),
    File {
        file: BufWriter<File>,
        tmp: PathBuf,
        dest: PathBuf,
    },
    Channel(mpsc::Sender<Bytes>),
    Sync(Box<dyn Write + Send>),
}

impl Sink {
    /// Opens a temp file next to `dest`.
    pub(crate) fn file(dest: PathBuf) -> io::Result<Sink> {
        let tmp = temp_path(&dest);
        let file = File::options().write(true).create_new(true).open(&tmp)?;
        Ok(Sink::File {
            file: BufWriter::with_capacity(256 << 10, file),
            tmp,
            dest,
        })
    }

    /// Appends `bytes`; time blocked on the channel is added to `waits`, and a wait longer
    /// than its stall limit fails the write.
    pub(crate) fn write(&mut self, bytes: &[u8], waits: &mut Waits) -> io::Result<()> {
        match self {
            Sink::Vec(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
            Sink::File { file, .. } => file.write_all(bytes),
            Sink::Sync(w) => w.write_all(bytes),
            Sink::Channel(tx) => {
                for chunk in bytes.chunks(OUT_CHUNK) {
                    waits
                        .wait("output", tx.send(Bytes::copy_from_slice(chunk)))?
                        .map_err(|_| gone("output"))?;
                }
                Ok(())
            }
        }
    }

    /// Commits the output: the collected bytes for [`Sink::Vec`], the rename for a file.
    pub(crate) fn finish(self) -> io::Result<Option<Vec<u8>>> {
        match self {
            Sink::Vec(v) => Ok(Some(v)),
            Sink::File { file, tmp, dest } => {
                let done = file
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|_| std::fs::rename(&tmp, &dest));
                if done.is_err() {
                    let _ = std::fs::remove_file(&tmp);
                }
                done.map(|()| None)
            }
            Sink::Sync(mut w) => w.flush().map(|()| None),
            Sink::Channel(_) => Ok(None),
        }
    }

    /// Drops a failed object's output (removes a temp file).
    pub(crate) fn abort(self) {
        if let Sink::File { file, tmp, .. } = self {
            drop(file);
            if let Err(err) = std::fs::remove_file(&tmp) {
                tracing::warn!(path = %tmp.display(), %err, "cannot remove temp output file");
            }
        }
    }
}

/// The time an object spends blocked on its caller's streams: kept apart from the CPU
/// deadline (a slow reader is not the guest's fault), but no single wait may outlast `stall`,
/// so a caller that stops reading or writing cannot hold a worker and its instance forever.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Waits {
    /// All the time spent waiting so far.
    pub(crate) total: Duration,
    /// The longest one wait may take.
    pub(crate) stall: Duration,
}

impl Waits {
    pub(crate) fn new(stall: Duration) -> Waits {
        Waits {
            total: Duration::ZERO,
            stall,
        }
    }

    /// Runs `future` to completion on this thread, adding the time to `total`; a [`Stalled`]
    /// error once it has waited `stall`.
    fn wait<F: Future>(&mut self, stream: &'static str, future: F) -> io::Result<F::Output> {
        let started = Instant::now();
        let out = block_on(future, started + self.stall);
        self.total += started.elapsed();
        out.ok_or_else(|| Stalled::error(stream, self.stall))
    }
}

/// A wait on the caller's stream that outlasted the object's limit (see [`Waits`]).
#[derive(Debug, thiserror::Error)]
#[error("the caller's {stream} stream made no progress for {limit:?}")]
pub(crate) struct Stalled {
    pub(crate) stream: &'static str,
    pub(crate) limit: Duration,
}

impl Stalled {
    fn error(stream: &'static str, limit: Duration) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, Stalled { stream, limit })
    }

    /// The caller's writer took longer than `limit` to take one chunk of output.
    pub(crate) fn output(limit: Duration) -> io::Error {
        Stalled::error("output", limit)
    }

    /// The stall behind `err`, if that is what it is.
    pub(crate) fn of(err: &io::Error) -> Option<&Stalled> {
        err.get_ref().and_then(|e| e.downcast_ref::<Stalled>())
    }
}

/// Runs `future` to completion on this thread, parking between polls; `None` if it is not
/// done by `deadline` (the future is dropped then).
///
/// Not tokio's `blocking_recv`/`blocking_send`: a command's stdio runs inside
/// wasmtime-wasi's own tokio context, where those panic. Worker threads may block freely.
///
/// The future runs outside tokio's cooperative budget: inside that context (one WASI call is
/// one poll of wasmtime-wasi's `block_on`) the budget runs out after 128 channel operations,
/// and an exhausted budget answers every poll with `Pending` plus an immediate wake, so this
/// loop would spin forever (a command writing 1 MiB to stdout is 256 sends of 4 KiB).
fn block_on<F: Future>(future: F, deadline: Instant) -> Option<F::Output> {
    let future = tokio::task::unconstrained(future);
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Some(out);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::park_timeout(left);
    }
}

fn gone(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        format!("the {what} stream was closed by the caller"),
    )
}

/// A unique temp name in `dest`'s directory (so the final rename stays on one filesystem).
fn temp_path(dest: &Path) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    dest.with_file_name(format!(".{name}.lode-tmp.{}.{seq}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_source_reads_in_pieces() {
        let mut src = Source::memory(Bytes::from_static(b"hello"));
        let (mut buf, mut waited) = ([0u8; 3], Waits::new(Duration::from_secs(5)));
        assert_eq!(src.read(&mut buf, &mut waited).unwrap(), 3);
        assert_eq!(&buf, b"hel");
        assert_eq!(src.read(&mut buf, &mut waited).unwrap(), 2);
        assert_eq!(src.read(&mut buf, &mut waited).unwrap(), 0);
    }

    #[test]
    fn channel_source_needs_an_end_marker() {
        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Ok(Bytes::from_static(b"ab"))).unwrap();
        tx.try_send(Ok(Bytes::new())).unwrap();
        let mut waited = Waits::new(Duration::from_secs(5));
        assert_eq!(
            Source::channel(rx)
                .collect(10, &mut waited)
                .unwrap()
                .unwrap(),
            "ab"
        );

        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Ok(Bytes::from_static(b"ab"))).unwrap();
        drop(tx);
        let err = Source::channel(rx).collect(10, &mut waited).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn collect_stops_at_the_cap() {
        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Ok(Bytes::from_static(b"abcdef"))).unwrap();
        tx.try_send(Ok(Bytes::new())).unwrap();
        let mut waited = Waits::new(Duration::from_secs(5));
        assert_eq!(Source::channel(rx).collect(4, &mut waited).unwrap(), Err(4));
    }

    #[test]
    fn file_sink_is_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        let mut waited = Waits::new(Duration::from_secs(5));
        let mut sink = Sink::file(dest.clone()).unwrap();
        sink.write(b"data", &mut waited).unwrap();
        assert!(!dest.exists());
        assert_eq!(sink.finish().unwrap(), None);
        assert_eq!(std::fs::read(&dest).unwrap(), b"data");

        let mut sink = Sink::file(dir.path().join("failed.bin")).unwrap();
        sink.write(b"partial", &mut waited).unwrap();
        sink.abort();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.bin"]);
    }

    #[test]
    fn a_source_that_never_sends_stalls_after_the_limit() {
        let (_tx, rx) = mpsc::channel(4);
        let mut waits = Waits::new(Duration::from_millis(50));
        let err = Source::channel(rx)
            .read(&mut [0u8; 8], &mut waits)
            .unwrap_err();
        let stall = Stalled::of(&err).expect("a stall");
        assert_eq!(
            (stall.stream, stall.limit),
            ("input", Duration::from_millis(50))
        );
        assert!(waits.total >= Duration::from_millis(50));
    }

    #[test]
    fn a_sink_nobody_drains_stalls_after_the_limit() {
        let (tx, _rx) = mpsc::channel(1);
        let mut sink = Sink::Channel(tx);
        let mut waits = Waits::new(Duration::from_millis(50));
        sink.write(b"fits in the channel", &mut waits).unwrap();
        let err = sink.write(b"does not", &mut waits).unwrap_err();
        assert_eq!(Stalled::of(&err).map(|s| s.stream), Some("output"));
    }
}
