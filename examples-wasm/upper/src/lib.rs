//! Example lode transform: upper
