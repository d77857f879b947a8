//! Example lode transform: echo
