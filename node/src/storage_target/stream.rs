//! Streaming a transform's output into an HTTP body: the status is decided by the first output
//! chunk (200) or by the transform ending without output (200 empty, or the error). A failure
//! after output has started can only cut the body short, which the client sees as a broken
//! transfer rather than a complete object.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;
use tokio_util::sync::PollSender;

/// An [`AsyncWrite`] that hands every write to a channel as one chunk.
pub(super) struct ChannelWriter(PollSender<Bytes>);

impl ChannelWriter {
    pub(super) fn new(tx: mpsc::Sender<Bytes>) -> ChannelWriter {
        ChannelWriter(PollSender::new(tx))
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
}

impl AsyncWrite for ChannelWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if ready!(self.0.poll_reserve(cx)).is_err() {
            return Poll::Ready(Err(closed()));
        }
        match self.0.send_item(Bytes::copy_from_slice(buf)) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(_) => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.close();
        Poll::Ready(Ok(()))
    }
}
