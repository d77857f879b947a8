//! [`LogRing`]: the last lines of a transformer process's stdout and stderr, for `etl logs`.

use std::sync::Arc;

use lode_wire::ring::{Ring, LOG_LINES};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// The last [`LOG_LINES`] lines of a transformer's stdout and stderr, interleaved as they arrive.
#[derive(Debug, Clone)]
pub(crate) struct LogRing(Arc<Ring<String>>);

impl Default for LogRing {
    fn default() -> LogRing {
        LogRing(Arc::new(Ring::new(LOG_LINES)))
    }
}

impl LogRing {
    pub(crate) fn push(&self, line: String) {
        self.0.push(line);
    }

    /// All kept lines, newline-terminated.
    pub(crate) fn text(&self) -> String {
        self.tail(usize::MAX)
    }

    /// The last `n` lines, for error messages.
    pub(crate) fn tail(&self, n: usize) -> String {
        let lines = self.0.lock();
        let skip = lines.len().saturating_sub(n);
        lines
            .iter()
            .skip(skip)
            .flat_map(|l| [l.as_str(), "\n"])
            .collect()
    }

    /// Copies `stream` into the ring line by line until it closes (bytes that are not UTF-8
    /// are replaced).
    pub(crate) fn follow(&self, stream: impl AsyncRead + Unpin + Send + 'static) {
        let ring = self.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream);
            let mut buf = Vec::new();
            while matches!(reader.read_until(b'\n', &mut buf).await, Ok(n) if n > 0) {
                let line = String::from_utf8_lossy(&buf);
                ring.push(line.trim_end_matches(['\n', '\r']).to_owned());
                buf.clear();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ring_keeps_the_last_lines() {
        let ring = LogRing::default();
        for i in 0..LOG_LINES + 5 {
            ring.push(i.to_string());
        }
        assert!(ring.text().starts_with("5\n"));
        assert_eq!(
            ring.tail(2),
            format!("{}\n{}\n", LOG_LINES + 3, LOG_LINES + 4)
        );
    }
}
