//! The crate's only `unsafe` code: mapping an object's file, and loading a compiled artifact.

// unsafe here: mapping module files and deserializing compiled artifacts; each block says why it is sound.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::path::Path;

use bytes::Bytes;

/// Maps the file at `path` read-only and returns its bytes without copying them.
///
/// # Contract (on the file; the function itself is safe to call)
///
/// The file must not be truncated or written in place while the returned [`Bytes`] (or a
/// slice of it) lives: truncation makes reads fault (SIGBUS) and in-place writes change the
/// bytes under the guest. lode's store never does either (objects are replaced by renaming a
/// new file over the old one, which leaves the mapped inode intact); [`Input::File`]
/// documents the same rule for other callers.
///
/// [`Input::File`]: crate::Input::File
pub(crate) fn map_file(path: &Path) -> io::Result<Bytes> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        // A zero-length mapping is an error on Linux; there is nothing to map anyway.
        return Ok(Bytes::new());
    }
    // SAFETY: read-only private mapping of a file that, per the contract above, is not
    // truncated or modified in place while mapped; the `Mmap` is owned by the returned
    // `Bytes` and unmapped when the last slice of it drops.
    let map = unsafe { memmap2::MmapOptions::new().map(&file)? };
    Ok(Bytes::from_owner(map))
}

/// Loads a compiled module from `artifact`.
///
/// # Safety
///
/// `artifact` must be the output of [`wasmtime::Module::serialize`] by this very wasmtime
/// build with a compatible engine configuration: `wasmtime::Module::deserialize` trusts the
/// machine code inside. The cache (`cache.rs`) only calls this on a file it wrote itself,
/// after checking the file's SHA-256 checksum and that its name carries the module hash and
/// the engine's compatibility hash.
pub(crate) unsafe fn deserialize(
    engine: &wasmtime::Engine,
    artifact: &[u8],
) -> wasmtime::Result<wasmtime::Module> {
    // SAFETY: the caller upholds this function's contract (see `# Safety` above); wasmtime
    // also rejects artifacts from another version or an incompatible configuration.
    unsafe { wasmtime::Module::deserialize(engine, artifact) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_files_including_empty_ones() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full");
        std::fs::write(&full, b"object bytes").unwrap();
        assert_eq!(map_file(&full).unwrap(), "object bytes");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert!(map_file(&empty).unwrap().is_empty());
        assert!(map_file(&dir.path().join("missing")).is_err());
    }
}
