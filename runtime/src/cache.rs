//! The on-disk cache of compiled modules.
//!
//! A compiled module is stored as `<module sha256>-<engine hash>.cwasm` in the cache
//! directory, where the engine hash covers wasmtime's
//! [`precompile_compatibility_hash`](wasmtime::Engine::precompile_compatibility_hash) (the
//! wasmtime version and every setting that affects code generation) and this file's format
//! version. The file holds a magic line, the SHA-256 of the artifact, then the artifact from
//! [`wasmtime::Module::serialize`]. A file that fails any check is removed and the module
//! recompiled; cache errors never fail a load, they are logged.
//!
//! Files are written to a temp name and renamed into place, so readers see a whole artifact
//! or none, and concurrent writers (two runtimes, two processes) race harmlessly.

// unsafe here: deserializing the artifacts this cache itself wrote; each block says why it is sound.
#![allow(unsafe_code)]

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::unsafe_io;

/// First bytes of every cache file; the digit is this format's version.
const MAGIC: &[u8; 16] = b"lode-cwasm-v1\n\0\0";

/// The cache directory of one runtime, and the engine hash its file names carry.
pub(crate) struct ArtifactCache {
    dir: PathBuf,
    engine_hash: String,
}

/// Feeds `Hash` output into SHA-256, for a hash that is stable across processes.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Only `write` is used: the digest is read from the inner state.
        0
    }
}

impl ArtifactCache {
    /// Opens (creating) `dir` for artifacts compiled by `engine`.
    pub(crate) fn open(dir: &Path, engine: &wasmtime::Engine) -> io::Result<ArtifactCache> {
        fs::create_dir_all(dir)?;
        let mut hasher = ShaHasher(Sha256::new());
        MAGIC.hash(&mut hasher);
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_hash = hex::encode(&hasher.0.finalize()[..12]);
        Ok(ArtifactCache {
            dir: dir.to_path_buf(),
            engine_hash,
        })
    }

    /// The file that holds (or will hold) the module whose bytes hash to `module_sha256`.
    pub(crate) fn path_for(&self, module_sha256: &[u8; 32]) -> PathBuf {
        let name = format!("{}-{}.cwasm", hex::encode(module_sha256), self.engine_hash);
        self.dir.join(name)
    }

    /// The cached module, if a valid artifact is there.
    pub(crate) fn get(
        &self,
        engine: &wasmtime::Engine,
        module_sha256: &[u8; 32],
    ) -> Option<wasmtime::Module> {
        let path = self.path_for(module_sha256);
        let file = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return None,
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "cannot read cached module");
                return None;
            }
        };
        let Some(artifact) = checked_artifact(&file) else {
            tracing::warn!(path = %path.display(), "cached module is damaged; recompiling");
            let _ = fs::remove_file(&path);
            return None;
        };
        // SAFETY: `artifact` comes from a file in lode's cache directory whose name carries
        // this module's hash and this engine's compatibility hash, and whose content matches
        // the SHA-256 lode wrote next to it when it serialized the module (`put`).
        match unsafe { unsafe_io::deserialize(engine, artifact) } {
            Ok(module) => Some(module),
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "cached module rejected; recompiling");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores `module`'s artifact; failures are logged, not returned.
    pub(crate) fn put(&self, module: &wasmtime::Module, module_sha256: &[u8; 32]) {
        let path = self.path_for(module_sha256);
        if let Err(err) = module
            .serialize()
            .map_err(io::Error::other)
            .and_then(|a| write_atomic(&path, &a))
        {
            tracing::warn!(path = %path.display(), %err, "cannot cache compiled module");
        }
    }
}

/// The artifact inside a cache file, if the magic and checksum match.
fn checked_artifact(file: &[u8]) -> Option<&[u8]> {
    let rest = file.strip_prefix(MAGIC.as_slice())?;
    if rest.len() < 32 {
        return None;
    }
    let (sum, artifact) = rest.split_at(32);
    (Sha256::digest(artifact).as_slice() == sum).then_some(artifact)
}

fn write_atomic(path: &Path, artifact: &[u8]) -> io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp.{}.{seq}", std::process::id()));
    let written = (|| {
        let mut file = fs::File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(MAGIC)?;
        file.write_all(&Sha256::digest(artifact))?;
        file.write_all(artifact)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_guards_the_artifact() {
        let artifact = b"machine code";
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&Sha256::digest(artifact));
        file.extend_from_slice(artifact);
        assert_eq!(checked_artifact(&file), Some(&artifact[..]));
        let last = file.len() - 1;
        file[last] ^= 1;
        assert_eq!(checked_artifact(&file), None);
        assert_eq!(checked_artifact(b"lode-cwasm-v1\n"), None);
        assert_eq!(checked_artifact(b""), None);
    }

    #[test]
    fn file_names_carry_both_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let engine = wasmtime::Engine::default();
        let cache = ArtifactCache::open(dir.path(), &engine).unwrap();
        let name = cache.path_for(&[0xab; 32]);
        let name = name.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(&"ab".repeat(32)));
        assert!(name.ends_with(&format!("-{}.cwasm", cache.engine_hash)));
    }
}
