//! [`Ring`]: a bounded FIFO kept for people to look at (an ETL's log lines and object errors, a
//! transformer's output). Oldest entries fall off; nothing here can grow without bound.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

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

    /// The items, locked (a poisoned lock is taken over: a ring holds no invariants).
    pub fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
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
}
