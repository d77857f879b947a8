//! [`ModuleStore`]: Wasm modules by content. Cluster metadata names a module by its sha256
//! and size ([`ModuleRef`]); the gateway keeps the bytes it validated, and each target fetches
//! them once and keeps them here, so a metadata push never carries a module.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A Wasm module named by its content.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModuleRef {
    /// Lowercase hex sha256 of the module bytes.
    pub sha256: String,
    /// Its length in bytes.
    pub size: u64,
}

impl ModuleRef {
    /// The reference of `bytes`.
    pub fn of(bytes: &[u8]) -> ModuleRef {
        ModuleRef {
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len() as u64,
        }
    }

    /// Whether `bytes` are this module.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.size && hex::encode(Sha256::digest(bytes)) == self.sha256
    }

    /// Whether the hash is 64 lowercase hex digits (so it is safe as a file name).
    pub fn is_valid(&self) -> bool {
        self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

/// A directory of modules, one file per sha256. Safe to share between the nodes of a machine:
/// files are written under a temporary name and renamed, and every read is verified.
#[derive(Clone, Debug)]
pub struct ModuleStore {
    dir: PathBuf,
}

impl ModuleStore {
    /// The store in `dir` (created on the first put).
    pub fn new(dir: impl Into<PathBuf>) -> ModuleStore {
        ModuleStore { dir: dir.into() }
    }

    /// Where it keeps its files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bytes of `module`, if stored here and intact (a corrupt file is removed).
    pub fn get(&self, module: &ModuleRef) -> Option<Vec<u8>> {
        if !module.is_valid() {
            return None;
        }
        let path = self.path(module);
        let bytes = std::fs::read(&path).ok()?;
        if module.matches(&bytes) {
            return Some(bytes);
        }
        tracing::warn!(path = %path.display(), "removing a corrupt module file");
        let _ = std::fs::remove_file(&path);
        None
    }

    /// Stores `bytes` and answers their reference.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<ModuleRef> {
        let module = ModuleRef::of(bytes);
        let path = self.path(&module);
        if path.exists() {
            return Ok(module);
        }
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::io::Write::write_all(&mut tmp, bytes)?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(module)
    }

    fn path(&self, module: &ModuleRef) -> PathBuf {
        self.dir.join(format!("{}.wasm", module.sha256))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_round_trip_by_hash_and_corrupt_files_are_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModuleStore::new(dir.path().join("modules"));
        let m = store.put(b"\0asm module").unwrap();
        assert!(m.is_valid());
        assert_eq!(m.size, 11);
        assert_eq!(store.get(&m).as_deref(), Some(&b"\0asm module"[..]));
        assert_eq!(store.put(b"\0asm module").unwrap(), m, "idempotent");

        std::fs::write(store.path(&m), b"tampered").unwrap();
        assert_eq!(store.get(&m), None);
        assert!(!store.path(&m).exists(), "corrupt file removed");

        let bad = ModuleRef {
            sha256: "../../etc/passwd".into(),
            size: 1,
        };
        assert_eq!(store.get(&bad), None);
    }
}
