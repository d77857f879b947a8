//! Shared helpers for the lode benchmarks.
