//! Example lode transform: md5
