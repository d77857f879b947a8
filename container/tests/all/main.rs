//! lode-container against the real `aistore[etl]==2.0.0` servers, run by the process runner.
//! The first test to need it builds the shared virtualenv (pip from PyPI) under
//! `CARGO_TARGET_TMPDIR`; the others wait on its lock.

mod code;
mod ffmpeg;
mod runner;
mod servers;
mod support;
