//! The wasmtime-based transform runtime: engine, module cache, per-core worker pools, limits
