//! `lode-store`: a lode target's local storage. It owns one or more *mountpath* directories and
//! keeps there the objects of the buckets whose objects HRW places on this target: names, the file
//! layout, atomic writes, checksums and metadata, and sorted listing. It does not know about
//! HTTP, the cluster map or other targets.
//!
//! # Layout (the FQN of an object)
//!
//! ```text
//! <mountpath>/ais/@#/<bucket>/%ob/<encoded name>   the object's bytes, exactly (mmap-able)
//! <mountpath>/ais/@#/<bucket>/%mt/<encoded name>   its metadata sidecar (JSON, format version 1)
//! <mountpath>/%tmp/                                in-flight writes; emptied when the store opens
//! <mountpath>/%mpt/<bucket>/<digest>.<upload id>/  parts of a multipart upload, by number
//! ```
//!
//! The mountpath of an object is chosen by HRW over the mountpaths (AIS's hash, `lode_wire::hrw`).
//! The encoded name keeps `/` as directories; `%` is escaped as `%25` and every directory
//! component gets the suffix `%d`, so `a` (file `a`) and `a/b` (file `a%d/b`) coexist, and any
//! unicode, space, `?` or `#` is stored as is. Names with `.`/`..`/empty components or NUL are
//! refused before anything is written ([`object_rel_path`]).
//!
//! # Atomicity
//!
//! A PUT streams into `%tmp` while hashing (xxhash64), fsyncs, then renames the data and then
//! the sidecar into place. The sidecar records the data file's inode, so readers (and the index
//! load after a crash) can tell whether a sidecar describes the data file next to it. A reader
//! always sees the old object or the new one, never a partial one.
//!
//! # Listing
//!
//! Each bucket's objects sit in an in-memory `BTreeMap` loaded when the store opens and kept up to
//! date by PUT and DELETE, so "the next N names after X with prefix P" costs O(log n + N).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = lode_store::Store::open(&[dir.path().to_path_buf()], Default::default())?;
//! let mut w = store.writer("bck", "dir/obj.txt")?;
//! w.write(b"hello")?;
//! let meta = store.commit(w, Default::default())?;
//! assert_eq!((meta.size, meta.version), (5, 1));
//! assert_eq!(store.list("bck", "dir/", "", 10).len(), 1);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod append;
mod error;
mod fsutil;
mod load;
mod meta;
mod multipart;
mod name;
mod store;
mod write;

#[cfg(test)]
mod tests;

pub use append::AppendFile;
pub use error::{Result, StoreError};
pub use fsutil::{atomic_write, now_ns};
pub use meta::{ObjectMeta, META_FORMAT};
pub use multipart::{UploadPart, MAX_PART_NUMBER};
pub use name::{object_rel_path, validate_bucket_name, MAX_BUCKET_NAME, MAX_OBJECT_NAME};
pub use store::{verify_checksum, Store, StoreOptions, Summary};
pub use write::{Durability, ObjectWriter};
