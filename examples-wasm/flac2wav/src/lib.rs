//! Example lode transform: flac2wav
