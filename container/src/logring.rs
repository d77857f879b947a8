//! Bounded rings kept for people to look at: [`Ring`], a capped FIFO shared by the ETL layer
//! (an ETL's log lines and object errors) and the transformer processes' output ([`LogRing`],
//! for `etl logs`). Oldest entries fall off; nothing here can grow without bound.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// How many log lines a ring keeps (an ETL's on one node, a transformer's).
pub const LOG_LINES: usize = 2000;

/// A bounded FIFO of `T`, safe to share: at most `cap` items, the oldest dropped first.
#[derive(Debug)]
pub struct Ring<T> {
    cap: usize,
    items: Mutex<VecDeque<T>>,
}

impl<T> Ring<T> {
    /// An empty ring keeping at most `cap` items.
    pub fn new(cap: usize) -> Ring<T> {
        Ring {
            cap,
            items: Mutex::new(VecDeque::new()),
        }
    }

    /// Adds `item`, dropping the oldest when full.
    pub fn push(&self, item: T) {
        let mut items = self.lock();
        if items.len() == self.cap {
            items.pop_front();
        }
        items.push_back(item);
    }

    /// Everything kept, oldest first.
    pub fn snapshot(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.lock().iter().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<T>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

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
    fn ring_keeps_the_newest() {
        let ring = Ring::new(3);
        for i in 0..5 {
            ring.push(i);
        }
        assert_eq!(ring.snapshot(), [2, 3, 4]);
    }

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
