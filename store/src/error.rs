//! The store's one error type.

use std::io;

/// What can go wrong in a target's local storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A bucket or object name that lode refuses (escapes a mountpath, bad characters, too long...).
    #[error("{0}")]
    InvalidName(String),
    /// The object is not stored here.
    #[error("object {bucket}/{name} not found")]
    NotFound {
        /// Bucket name.
        bucket: String,
        /// Object name.
        name: String,
    },
    /// An append names a handle that no work file of this object has (never issued, already
    /// flushed, for another object, or dropped when the store reopened).
    #[error("append handle {handle:?} is not an open append of {bucket}/{name}")]
    BadAppendHandle {
        /// Bucket name.
        bucket: String,
        /// Object name.
        name: String,
        /// The handle given.
        handle: String,
    },
    /// A multipart upload id that names no open upload of this object (never issued, for
    /// another object, completed, aborted or cleaned up).
    #[error("upload {id:?} is not an open multipart upload of {bucket}/{name}")]
    NoSuchUpload {
        /// Bucket name.
        bucket: String,
        /// Object name.
        name: String,
        /// The upload id given.
        id: String,
    },
    /// A multipart request that cannot be honoured (a part number out of range, a part
    /// missing at completion, no parts).
    #[error("{0}")]
    BadUpload(String),
    /// The stored bytes do not match the checksum recorded when the object was written.
    #[error("checksum mismatch for {bucket}/{name}: stored xxhash {expected}, computed {actual}")]
    ChecksumMismatch {
        /// Bucket name.
        bucket: String,
        /// Object name.
        name: String,
        /// Hex checksum recorded at PUT time.
        expected: String,
        /// Hex checksum of the bytes on disk now.
        actual: String,
    },
    /// A metadata file that cannot be parsed or has an unknown format version.
    #[error("corrupt metadata {path}: {reason}")]
    CorruptMeta {
        /// The sidecar file.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// The store was opened without any mountpath.
    #[error("a store needs at least one mountpath")]
    NoMountpaths,
    /// An I/O error from the filesystem.
    #[error("{context}: {source}")]
    Io {
        /// What the store was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    /// Whether the filesystem under a mountpath ran out of space (or of quota): nothing was
    /// published, and the same write may succeed once space is freed.
    pub fn is_out_of_space(&self) -> bool {
        let StoreError::Io { source, .. } = self else {
            return false;
        };
        matches!(
            source.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
        )
    }
}

/// Result alias for the store.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Attach context to an `io::Error`.
pub(crate) trait IoContext<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| StoreError::Io {
            context: what(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_filesystem_is_out_of_space_and_other_errors_are_not() {
        let io = |errno| StoreError::Io {
            context: "write /mp/x".into(),
            source: io::Error::from_raw_os_error(errno),
        };
        assert!(io(libc_enospc()).is_out_of_space());
        assert!(!io(13).is_out_of_space()); // EACCES
        assert!(!StoreError::NoMountpaths.is_out_of_space());
    }

    /// ENOSPC on Linux.
    fn libc_enospc() -> i32 {
        28
    }
}
