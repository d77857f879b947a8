//! Write a lode transform in Rust as a plain function
