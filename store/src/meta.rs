//! Object metadata: what a target knows about one stored object, and its sidecar file format.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// Version of the sidecar format written by this build. Readers refuse other versions.
pub const META_FORMAT: u32 = 1;

/// Metadata of one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
    /// xxhash64 (seed 0) of the object's bytes, computed while they were written.
    pub checksum: u64,
    /// Incrementing per object name: 1 for the first PUT, 2 for the next, ...
    pub version: u64,
    /// Last access, unix nanoseconds (PUT or GET).
    pub atime_ns: u64,
    /// Last write, unix nanoseconds.
    pub mtime_ns: u64,
    /// User-defined key/value metadata.
    pub custom: BTreeMap<String, String>,
    /// Inode of the data file this metadata describes: pairs the sidecar with its data file.
    pub(crate) ino: u64,
    /// Index of the mountpath holding the object.
    pub(crate) mountpath: usize,
}

impl ObjectMeta {
    /// The checksum as AIS prints it: 16 lowercase hex digits.
    pub fn checksum_hex(&self) -> String {
        format!("{:016x}", self.checksum)
    }
}

/// The sidecar file, `format` first so that future versions can be told apart.
#[derive(Serialize, Deserialize)]
struct MetaFile {
    format: u32,
    name: String,
    size: u64,
    xxhash: String,
    version: u64,
    atime: u64,
    mtime: u64,
    ino: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    custom: BTreeMap<String, String>,
}

pub(crate) fn encode(name: &str, meta: &ObjectMeta) -> Vec<u8> {
    let file = MetaFile {
        format: META_FORMAT,
        name: name.to_owned(),
        size: meta.size,
        xxhash: meta.checksum_hex(),
        version: meta.version,
        atime: meta.atime_ns,
        mtime: meta.mtime_ns,
        ino: meta.ino,
        custom: meta.custom.clone(),
    };
    // Serialising a struct of strings, integers and a string map cannot fail.
    serde_json::to_vec(&file).unwrap_or_default()
}

/// Parse a sidecar; returns the object name it records and the metadata.
pub(crate) fn decode(path: &Path, bytes: &[u8], mountpath: usize) -> Result<(String, ObjectMeta)> {
    let corrupt = |reason: String| StoreError::CorruptMeta {
        path: path.display().to_string(),
        reason,
    };
    let file: MetaFile = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if file.format != META_FORMAT {
        return Err(corrupt(format!("unknown format version {}", file.format)));
    }
    let checksum = u64::from_str_radix(&file.xxhash, 16).map_err(|e| corrupt(e.to_string()))?;
    let meta = ObjectMeta {
        size: file.size,
        checksum,
        version: file.version,
        atime_ns: file.atime,
        mtime_ns: file.mtime,
        custom: file.custom,
        ino: file.ino,
        mountpath,
    };
    Ok((file.name, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_round_trips_and_refuses_other_formats() {
        let meta = ObjectMeta {
            size: 5,
            checksum: 0xfe,
            version: 3,
            atime_ns: 10,
            mtime_ns: 9,
            custom: BTreeMap::from([("k".into(), "v".into())]),
            ino: 77,
            mountpath: 1,
        };
        let bytes = encode("a/b", &meta);
        let (name, back) = decode(Path::new("x"), &bytes, 1).unwrap();
        assert_eq!(name, "a/b");
        assert_eq!(back, meta);
        assert_eq!(back.checksum_hex(), "00000000000000fe");
        let other = String::from_utf8(bytes)
            .unwrap()
            .replace("\"format\":1", "\"format\":2");
        assert!(decode(Path::new("x"), other.as_bytes(), 1).is_err());
    }
}
