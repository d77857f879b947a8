//! Loading the index when a store opens. The data files are the truth: every data file gets its
//! sidecar read, and a sidecar that is missing, unreadable or describes another inode (a crash
//! between the two renames of a PUT) is rebuilt from the data. Sidecars without data are ignored.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::fsutil::{hash_reader, now_ns};
use crate::meta::{self, ObjectMeta};
use crate::name::decode_components;
use crate::store::{Store, DATA_DIR};

pub(crate) fn load_index(store: &Store) -> Result<()> {
    for mp in 0..store.mountpaths.len() {
        let buckets_root = store.bucket_dir(mp, "");
        if !buckets_root.exists() {
            continue;
        }
        for entry in
            fs::read_dir(&buckets_root).ctx(|| format!("read {}", buckets_root.display()))?
        {
            let entry = entry.ctx(|| format!("read {}", buckets_root.display()))?;
            let Some(bucket) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            store.write_index().entry(bucket.clone()).or_default();
            let data_root = entry.path().join(DATA_DIR);
            let mut files = Vec::new();
            walk(&data_root, &mut Vec::new(), &mut files)?;
            for (rel, comps) in files {
                let refs: Vec<&str> = comps.iter().map(String::as_str).collect();
                let Some(name) = decode_components(&refs) else {
                    tracing::warn!(path = %rel.display(), "skipping a file lode did not write");
                    continue;
                };
                let meta = load_one(store, mp, &bucket, &name, &rel)?;
                store
                    .write_index()
                    .entry(bucket.clone())
                    .or_default()
                    .insert(name, meta);
            }
        }
    }
    Ok(())
}

/// Regular files under `dir`, as (relative path, its components).
fn walk(dir: &Path, prefix: &mut Vec<String>, out: &mut Vec<(PathBuf, Vec<String>)>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).ctx(|| format!("read {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.ctx(|| format!("read {}", dir.display()))?;
        let Some(comp) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let kind = entry
            .file_type()
            .ctx(|| format!("stat {}", entry.path().display()))?;
        prefix.push(comp);
        if kind.is_dir() {
            walk(&entry.path(), prefix, out)?;
        } else if kind.is_file() {
            out.push((prefix.iter().collect(), prefix.clone()));
        }
        prefix.pop();
    }
    Ok(())
}

fn load_one(store: &Store, mp: usize, bucket: &str, name: &str, rel: &Path) -> Result<ObjectMeta> {
    let (data, side) = store.paths(mp, bucket, rel);
    let stat = fs::metadata(&data).ctx(|| format!("stat {}", data.display()))?;
    let recorded = fs::read(&side)
        .ok()
        .and_then(|bytes| meta::decode(&side, &bytes, mp).ok())
        .filter(|(n, _)| n == name)
        .map(|(_, m)| m);
    if let Some(m) = &recorded {
        if m.ino == stat.ino() && m.size == stat.len() {
            return Ok(m.clone());
        }
    }
    tracing::warn!(
        bucket,
        name,
        "rebuilding object metadata from its data file"
    );
    let mut file = File::open(&data).ctx(|| format!("open {}", data.display()))?;
    let mut probe = ObjectMeta {
        size: stat.len(),
        checksum: 0,
        version: recorded.as_ref().map_or(1, |m| m.version + 1),
        atime_ns: now_ns(),
        mtime_ns: now_ns(),
        custom: BTreeMap::new(),
        ino: stat.ino(),
        mountpath: mp,
    };
    probe.checksum = hash_reader(&mut file).ctx(|| format!("read {}", data.display()))?;
    store.publish(bucket, name, rel, &data, &probe, store.options.fsync)?;
    Ok(probe)
}
