//! Versioned JSON files: every persisted document is `{"format": N, "data": ...}`, written
//! atomically, so the format can change without a flag day.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::NodeError;

/// Format version of every document this build writes.
pub(crate) const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    format: u32,
    data: T,
}

/// Load a document, `Ok(None)` when the file does not exist.
pub(crate) fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, NodeError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(NodeError::Io(format!("read {}", path.display()), e)),
    };
    let bad = |why: String| NodeError::Corrupt(path.display().to_string(), why);
    let env: Envelope<serde_json::Value> =
        serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if env.format != FORMAT {
        return Err(bad(format!("unknown format version {}", env.format)));
    }
    serde_json::from_value(env.data)
        .map(Some)
        .map_err(|e| bad(e.to_string()))
}

/// Store a document atomically.
pub(crate) fn store<T: Serialize>(path: &Path, data: &T) -> Result<(), NodeError> {
    let bytes = serde_json::to_vec_pretty(&Envelope {
        format: FORMAT,
        data,
    })
    .map_err(|e| NodeError::Corrupt(path.display().to_string(), e.to_string()))?;
    lode_store::atomic_write(path, &bytes).map_err(NodeError::Store)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_and_refuse_unknown_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        assert_eq!(super::load::<Vec<u32>>(&p).unwrap(), None);
        super::store(&p, &vec![1u32, 2]).unwrap();
        assert_eq!(super::load::<Vec<u32>>(&p).unwrap(), Some(vec![1, 2]));
        std::fs::write(&p, r#"{"format":9,"data":[]}"#).unwrap();
        assert!(super::load::<Vec<u32>>(&p).is_err());
    }
}
