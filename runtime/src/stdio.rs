//! A WASI command's stdio: stdin reads the object's [`Source`](crate::io::Source), stdout
//! writes its [`Sink`](crate::io::Sink) under the output limit, stderr goes to the log.
//!
//! lode links WASI preview1 in sync mode, which drives these through their WASIp2
//! `InputStream`/`OutputStream` forms on the worker thread; the `AsyncRead`/`AsyncWrite`
//! forms the traits also require do the same work synchronously.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use wasmtime_wasi::cli::{IsTerminal, StdinStream, StdoutStream};
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};

use crate::host::{lock, HostFailure, SharedState};
use crate::log::{emit, LogLevel};

/// Largest single stdin read handed to the guest.
const READ_CHUNK: usize = 256 << 10;
/// What `check_write` grants per write.
const WRITE_PERMIT: usize = 1 << 20;

/// Which stdio stream a [`Stdio`] is.
#[derive(Clone, Copy)]
enum Role {
    In,
    Out,
    Err,
}

/// One of a command's three stdio streams over the shared object state.
#[derive(Clone)]
pub(crate) struct Stdio {
    state: SharedState,
    role: Role,
}

impl Stdio {
    pub(crate) fn stdin(state: &SharedState) -> Stdio {
        Stdio {
            state: state.clone(),
            role: Role::In,
        }
    }

    pub(crate) fn stdout(state: &SharedState) -> Stdio {
        Stdio {
            state: state.clone(),
            role: Role::Out,
        }
    }

    pub(crate) fn stderr(state: &SharedState) -> Stdio {
        Stdio {
            state: state.clone(),
            role: Role::Err,
        }
    }

    fn read_chunk(&self, size: usize) -> StreamResult<Bytes> {
        let mut buf = vec![0u8; size.min(READ_CHUNK)];
        match lock(&self.state).read_input(&mut buf) {
            Ok(0) if size > 0 => Err(StreamError::Closed),
            Ok(n) => {
                buf.truncate(n);
                Ok(Bytes::from(buf))
            }
            Err(_) => Err(StreamError::trap("reading the object's input failed")),
        }
    }

    fn write_bytes(&self, bytes: &[u8]) -> StreamResult<()> {
        let mut state = lock(&self.state);
        match self.role {
            Role::Out => state.write_output(bytes).map_err(|_| match state.failure {
                Some(HostFailure::OutputLimit) => StreamError::trap("output limit exceeded"),
                _ => StreamError::trap("writing the object's output failed"),
            }),
            Role::Err => {
                let state = &mut *state;
                let (log, object) = (&state.log, &state.object);
                state
                    .stderr
                    .feed(bytes, |line| emit(log, object, LogLevel::Info, line));
                Ok(())
            }
            Role::In => Err(StreamError::Closed),
        }
    }
}

/// Flushes a command's last unterminated stderr line to the log.
pub(crate) fn finish_stderr(state: &SharedState) {
    let mut state = lock(state);
    let state = &mut *state;
    let (log, object) = (&state.log, &state.object);
    state
        .stderr
        .finish(|line| emit(log, object, LogLevel::Info, line));
}

impl IsTerminal for Stdio {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdinStream for Stdio {
    fn async_stream(&self) -> Box<dyn AsyncRead + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn InputStream> {
        Box::new(self.clone())
    }
}

impl StdoutStream for Stdio {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Stdio {
    async fn ready(&mut self) {}
}

impl InputStream for Stdio {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        self.read_chunk(size)
    }
}

impl OutputStream for Stdio {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.write_bytes(&bytes)
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

impl AsyncRead for Stdio {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.read_chunk(buf.remaining()) {
            Ok(bytes) => buf.put_slice(&bytes),
            Err(StreamError::Closed) => {}
            Err(err) => return Poll::Ready(Err(io::Error::other(err.to_string()))),
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Stdio {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(match self.write_bytes(buf) {
            Ok(()) => Ok(buf.len()),
            Err(err) => Err(io::Error::other(err.to_string())),
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
