//! Guest log lines: the `log` import, and a command's stderr, go to one per-pool sink.

use std::sync::Arc;

pub use lode_host_abi::LogLevel;

/// One guest log line, as handed to a [`LogSink`].
#[derive(Clone, Copy, Debug)]
pub struct LogLine<'a> {
    /// The object being transformed when the line was written (`bucket/object`); empty
    /// during the load-time probe and between objects.
    pub object: &'a str,
    /// The level the guest gave (a command's stderr is [`LogLevel::Info`]).
    pub level: LogLevel,
    /// The line, UTF-8 (invalid sequences replaced), without a trailing newline.
    pub message: &'a str,
}

/// Where a pool's guest log lines go, called on the worker thread that ran the guest. Keep it
/// quick (push to a bounded buffer): the guest waits while it runs. Every line is also
/// emitted as a `tracing` event with target `lode_runtime::guest`.
pub type LogSink = Arc<dyn Fn(&LogLine<'_>) + Send + Sync>;

/// A sink that keeps nothing (the `tracing` events are still emitted).
pub fn discard_logs() -> LogSink {
    Arc::new(|_: &LogLine<'_>| {})
}

/// Longest log line kept, in bytes; the rest of a longer line is cut (a guest cannot make the
/// host allocate without bound through one line).
pub(crate) const MAX_LINE: usize = 16 << 10;

/// Sends one line to `sink` and to `tracing`.
pub(crate) fn emit(sink: &LogSink, object: &str, level: LogLevel, raw: &[u8]) {
    let raw = &raw[..raw.len().min(MAX_LINE)];
    let message = String::from_utf8_lossy(raw);
    let message = message.trim_end_matches(['\n', '\r']);
    let line = LogLine {
        object,
        level,
        message,
    };
    match level {
        LogLevel::Debug => tracing::debug!(target: "lode_runtime::guest", object, "{message}"),
        LogLevel::Info => tracing::info!(target: "lode_runtime::guest", object, "{message}"),
        LogLevel::Warn => tracing::warn!(target: "lode_runtime::guest", object, "{message}"),
        LogLevel::Error => tracing::error!(target: "lode_runtime::guest", object, "{message}"),
    }
    sink(&line);
}

/// Splits a byte stream (a command's stderr) into lines for [`emit`].
#[derive(Default)]
pub(crate) struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Feeds bytes; calls `line` for each complete (or over-long) line.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], mut line: impl FnMut(&[u8])) {
        while let Some(nl) = bytes.iter().position(|&b| b == b'\n') {
            if self.pending.is_empty() {
                line(&bytes[..nl]);
            } else {
                self.pending.extend_from_slice(&bytes[..nl]);
                line(&self.pending);
                self.pending.clear();
            }
            bytes = &bytes[nl + 1..];
        }
        let room = MAX_LINE.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        if self.pending.len() >= MAX_LINE {
            line(&self.pending);
            self.pending.clear();
        }
    }

    /// Flushes a last unterminated line.
    pub(crate) fn finish(&mut self, line: impl FnMut(&[u8])) {
        let mut line = line;
        if !self.pending.is_empty() {
            line(&self.pending);
            self.pending.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        let mut s = LineSplitter::default();
        for c in chunks {
            s.feed(c, |l| out.push(String::from_utf8_lossy(l).into_owned()));
        }
        s.finish(|l| out.push(String::from_utf8_lossy(l).into_owned()));
        out
    }

    #[test]
    fn lines_join_across_chunks() {
        assert_eq!(split(&[b"ab", b"c\nde\n", b"f"]), ["abc", "de", "f"]);
        assert_eq!(split(&[b"\n"]), [""]);
        assert!(split(&[]).is_empty());
    }

    #[test]
    fn long_lines_are_cut() {
        let long = vec![b'x'; MAX_LINE + 10];
        let lines = split(&[&long]);
        assert_eq!(lines[0].len(), MAX_LINE);
    }
}
