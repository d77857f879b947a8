//! Object bytes for a response or a transform: large files mapped into memory (the page cache's
//! bytes go to the socket or the guest with no read buffer), small ones read. The one `unsafe`
//! of the node lives here.

// unsafe here: mapping committed object files; each block says why it is sound.
#![allow(unsafe_code)]

use std::fs::File;
use std::os::unix::fs::FileExt as _;

use bytes::Bytes;
use lode_store::StoreError;

/// Objects up to this size are read into memory rather than mapped: a read costs less than a
/// mapping's page-table work and the unmap's TLB flush on every core.
const READ_BELOW: u64 = 256 << 10;

/// The whole of an object's data file as [`Bytes`]: read when small, else mapped.
pub(super) fn load(file: &File, len: u64) -> Result<Bytes, StoreError> {
    if len >= READ_BELOW {
        return map(file, len);
    }
    let mut buf = vec![0; len as usize];
    file.read_exact_at(&mut buf, 0)
        .map_err(|source| StoreError::Io {
            context: "read".to_owned(),
            source,
        })?;
    Ok(Bytes::from(buf))
}

/// The whole of an object's data file as [`Bytes`] (empty files are not mapped).
pub(super) fn map(file: &File, len: u64) -> Result<Bytes, StoreError> {
    if len == 0 {
        return Ok(Bytes::new());
    }
    // SAFETY: a mapping is only sound while nobody truncates or rewrites the file under it.
    // lode-store never modifies a committed data file in place: a PUT writes a temp file and
    // renames it over the old name, and a DELETE unlinks it; both leave this inode's bytes as
    // they are for as long as the mapping lives. Files under a mountpath are the store's alone
    // (modifying them by hand is outside the contract, as for any object store's data dir).
    let map = unsafe { memmap2::MmapOptions::new().populate().map(file) }.map_err(|source| {
        StoreError::Io {
            context: "mmap".to_owned(),
            source,
        }
    })?;
    Ok(Bytes::from_owner(map))
}
