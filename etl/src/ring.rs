//! Bounded rings an ETL keeps for people to look at: its log lines and the inline object
//! errors. Oldest entries fall off; nothing here can grow without bound.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

/// Log lines kept per ETL on one node.
pub const LOG_LINES: usize = 2000;
/// Inline object errors kept per ETL on one node.
pub const OBJ_ERRORS: usize = 1000;

/// A bounded FIFO of `T`, safe to share.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    cap: usize,
    items: Mutex<VecDeque<T>>,
}

impl<T: Clone> Ring<T> {
    pub(crate) fn new(cap: usize) -> Ring<T> {
        Ring {
            cap,
            items: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, item: T) {
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        if items.len() == self.cap {
            items.pop_front();
        }
        items.push_back(item);
    }

    /// Everything kept, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<T> {
        let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items.iter().cloned().collect()
    }
}

/// One failed object, as `GET /v1/etl/<name>` reports it (`obj_errors`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ObjError {
    /// `ais://bucket/object`.
    pub obj_name: String,
    /// What went wrong.
    pub msg: String,
    /// The HTTP status the failure was (or would have been) answered with.
    pub ecode: u16,
}

/// A log line with a wall-clock prefix: `2024-05-01T10:00:00Z LEVEL text`.
pub(crate) fn stamp(level: &str, text: &str) -> String {
    format!("{} {level} {text}", crate::time::rfc3339(SystemTime::now()))
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
}
