//! Helpers shared by lode's test crates and benches (never a dependency of the product):
//!
//! * [`Daemon`]: one spawned process in its own process group, logging to a file, stopped on
//!   drop by pid (SIGTERM, then SIGKILL of the group), also on panic;
//! * [`Up`]: a `lode up` cluster (gateway `p1`, targets `t1..tN`) on consecutive loopback ports;
//! * [`free_port_block`]: where such a cluster can listen;
//! * [`wasm_module`], [`wasm_dir`], [`target_dir`], [`venv_root`]: where the build put what the
//!   tests need (the modules of `scripts/build-wasm.sh`, the shared test virtualenvs);
//! * [`md5_hex`]: the digest the md5 transforms answer.

#![deny(missing_docs)]

mod daemon;
mod paths;
mod ports;
mod up;

pub use daemon::Daemon;
pub use paths::{target_dir, venv_root, wasm_dir, wasm_module};
pub use ports::free_port_block;
pub use up::Up;

/// The md5 of `data` in lower-case hex.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(data))
}
