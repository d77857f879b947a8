//! Per-ETL counters on one node: what `GET /v1/etl`, `.../metrics` and `/metrics` report.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::Serialize;

/// Live counters, updated by every transform.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    objects: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    errors: AtomicU64,
    latency_us: AtomicU64,
}

impl Counters {
    pub(crate) fn ok(&self, bytes_in: u64, bytes_out: u64, elapsed: Duration) {
        self.objects.fetch_add(1, Relaxed);
        self.bytes_in.fetch_add(bytes_in, Relaxed);
        self.bytes_out.fetch_add(bytes_out, Relaxed);
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.fetch_add(us, Relaxed);
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let objects = self.objects.load(Relaxed);
        Stats {
            objects,
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            errors: self.errors.load(Relaxed),
            latency_us_avg: self
                .latency_us
                .load(Relaxed)
                .checked_div(objects)
                .unwrap_or(0),
        }
    }
}

/// A snapshot of an ETL's counters on one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Stats {
    /// Objects transformed successfully.
    pub objects: u64,
    /// Input bytes of those objects.
    pub bytes_in: u64,
    /// Output bytes they produced.
    pub bytes_out: u64,
    /// Objects that failed.
    pub errors: u64,
    /// Mean wall time per successful object, in microseconds.
    pub latency_us_avg: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_and_counts() {
        let c = Counters::default();
        assert_eq!(c.snapshot(), Stats::default());
        c.ok(10, 20, Duration::from_micros(100));
        c.ok(1, 2, Duration::from_micros(300));
        c.error();
        let s = c.snapshot();
        assert_eq!(
            (
                s.objects,
                s.bytes_in,
                s.bytes_out,
                s.errors,
                s.latency_us_avg
            ),
            (2, 11, 22, 1, 200)
        );
    }
}
