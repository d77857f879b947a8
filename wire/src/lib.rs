//! The wire shapes two or more lode crates speak, typed once (a leaf crate: serde and hashing
//! only):
//!
//! * [`smap`]: the cluster map as `GET /v1/daemon?what=smap` answers it, and the target an
//!   object belongs to ([`hrw`], AIStore's highest-random-weight hash, bit for bit);
//! * [`ActionMsg`] (`{"action", "name", "value"}`) and [`JobQuery`] (the body of job status and
//!   stats queries);
//! * [`uname`] (`ais/@#/<bucket>/<object>`) and [`quote_object_name`], the escaping the SDK
//!   applies to object names in URL paths;
//! * [`duration`]: Go `time.Duration` strings (`5m`, `1h30m`) as AIS messages carry them;
//! * [`ring`]: the bounded FIFO nodes keep logs and object errors in.

#![deny(missing_docs)]

pub mod duration;
pub mod hrw;
mod msg;
pub mod ring;
pub mod smap;
mod uname;

pub use msg::{ActionMsg, JobQuery};
pub use smap::{NetInfo, Smap, Snode};
pub use uname::{quote_object_name, split_uname, uname};
