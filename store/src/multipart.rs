//! Multipart uploads (AIS `mpt-upload`, S3's CreateMultipartUpload): an object sent as numbered
//! parts, in any order and in parallel, then assembled.
//!
//! Each upload has a *work area*, `<mountpath>/%mpt/<bucket>/<object digest>.<upload id>/`, on
//! the object's mountpath: the digest binds the id to its object, so an id cannot be used for
//! another one. A part is written to a temp file there and renamed to its number, so a part
//! sent again replaces the first one whole. Completing streams the listed parts, in number
//! order, into one object writer and publishes it with the same atomic, fsynced commit as a
//! PUT, then removes the work area; aborting removes it. Nothing is listed or readable before
//! the completion. Work areas survive a restart (uploads may take days);
//! [`Store::clean_uploads`] removes those left alone longer than a given age, and destroying
//! a bucket removes its uploads.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{IoContext, Result, StoreError};
use crate::fsutil::{bound_name, new_token, unique_name};
use crate::meta::ObjectMeta;
use crate::name::{object_rel_path, validate_bucket_name};
use crate::store::Store;

/// Directory under a mountpath holding the work areas of uploads, per bucket.
pub(crate) const MPT_DIR: &str = "%mpt";
/// The highest part number (S3's and AIS's limit).
pub const MAX_PART_NUMBER: u32 = 10_000;

/// A part being received; [`UploadPart::finish`] makes it the upload's part, dropping it
/// unfinished leaves the upload as it was.
pub struct UploadPart {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<File>,
    size: u64,
}

impl UploadPart {
    /// Adds bytes to the part.
    pub fn write(&mut self, buf: &[u8]) -> Result<()> {
        if let Some(f) = self.file.as_mut() {
            f.write_all(buf)
                .ctx(|| format!("write {}", self.tmp.display()))?;
        }
        self.size += buf.len() as u64;
        Ok(())
    }

    /// Publishes the part (replacing an earlier one of the same number); answers its size.
    pub fn finish(mut self) -> Result<u64> {
        if let Some(f) = self.file.take() {
            drop(f);
            fs::rename(&self.tmp, &self.dest)
                .ctx(|| format!("rename into {}", self.dest.display()))?;
        }
        Ok(self.size)
    }
}

impl Drop for UploadPart {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

impl Store {
    /// Starts a multipart upload of `bucket/name`; answers its id.
    pub fn create_upload(&self, bucket: &str, name: &str) -> Result<String> {
        validate_bucket_name(bucket)?;
        object_rel_path(name)?;
        let id = new_token("mpt");
        let dir = self.upload_dir(bucket, name, &id)?;
        fs::create_dir_all(&dir).ctx(|| format!("create {}", dir.display()))?;
        Ok(id)
    }

    /// Opens part `number` of upload `id` of `bucket/name` for writing.
    pub fn upload_part(
        &self,
        bucket: &str,
        name: &str,
        id: &str,
        number: u32,
    ) -> Result<UploadPart> {
        if number == 0 || number > MAX_PART_NUMBER {
            return Err(StoreError::BadUpload(format!(
                "part number {number} of upload {id} of {bucket}/{name} is not in 1..={MAX_PART_NUMBER}"
            )));
        }
        let dir = self.existing_upload(bucket, name, id)?;
        let tmp = dir.join(unique_name(".part"));
        let file = File::create(&tmp).ctx(|| format!("create {}", tmp.display()))?;
        Ok(UploadPart {
            tmp,
            dest: dir.join(number.to_string()),
            file: Some(file),
            size: 0,
        })
    }

    /// Assembles parts `numbers` of upload `id` (in ascending order, each once) into the
    /// object, published atomically and durably, and removes the upload.
    pub fn complete_upload(
        &self,
        bucket: &str,
        name: &str,
        id: &str,
        numbers: &[u32],
    ) -> Result<ObjectMeta> {
        let dir = self.existing_upload(bucket, name, id)?;
        let mut numbers = numbers.to_vec();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.is_empty() {
            return Err(StoreError::BadUpload(format!(
                "upload {id} of {bucket}/{name}: completing it needs at least one part"
            )));
        }
        let mut w = self.writer(bucket, name)?;
        let mut buf = vec![0u8; 1 << 20];
        for n in numbers {
            let path = dir.join(n.to_string());
            let mut part = File::open(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    StoreError::BadUpload(format!("upload {id} of {bucket}/{name} has no part {n}"))
                }
                _ => StoreError::Io {
                    context: format!("open {}", path.display()),
                    source: e,
                },
            })?;
            loop {
                let got = part
                    .read(&mut buf)
                    .ctx(|| format!("read {}", path.display()))?;
                if got == 0 {
                    break;
                }
                w.write(&buf[..got])?;
            }
        }
        let meta = self.commit(w, Default::default())?;
        fs::remove_dir_all(&dir).ctx(|| format!("remove {}", dir.display()))?;
        Ok(meta)
    }

    /// Abandons upload `id` of `bucket/name`: its parts are removed.
    pub fn abort_upload(&self, bucket: &str, name: &str, id: &str) -> Result<()> {
        let dir = self.existing_upload(bucket, name, id)?;
        fs::remove_dir_all(&dir).ctx(|| format!("remove {}", dir.display()))
    }

    /// Removes the work areas of uploads that nothing touched for `max_age` (no part sent,
    /// not completed nor aborted); answers how many.
    pub fn clean_uploads(&self, max_age: Duration) -> Result<usize> {
        let mut removed = 0;
        let now = SystemTime::now();
        for mp in &self.mountpaths {
            let root = mp.root.join(MPT_DIR);
            for bucket in read_dir_or_empty(&root)? {
                for upload in read_dir_or_empty(&bucket)? {
                    if idle_for(&upload, now) >= max_age {
                        fs::remove_dir_all(&upload)
                            .ctx(|| format!("remove {}", upload.display()))?;
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }

    /// Removes every upload into `bucket` (the bucket is being destroyed).
    pub(crate) fn remove_uploads(&self, bucket: &str) -> Result<()> {
        for mp in &self.mountpaths {
            let dir = mp.root.join(MPT_DIR).join(bucket);
            if dir.exists() {
                fs::remove_dir_all(&dir).ctx(|| format!("remove {}", dir.display()))?;
            }
        }
        Ok(())
    }

    /// The work area of upload `id` of `bucket/name`, which must exist.
    fn existing_upload(&self, bucket: &str, name: &str, id: &str) -> Result<PathBuf> {
        let dir = self.upload_dir(bucket, name, id)?;
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(no_upload(bucket, name, id))
        }
    }

    fn upload_dir(&self, bucket: &str, name: &str, id: &str) -> Result<PathBuf> {
        validate_bucket_name(bucket)?;
        object_rel_path(name)?;
        let bound = bound_name(bucket, name, id).ok_or_else(|| no_upload(bucket, name, id))?;
        let mp = self.choose_mountpath(bucket, name);
        Ok(self.mountpaths[mp]
            .root
            .join(MPT_DIR)
            .join(bucket)
            .join(bound))
    }
}

fn no_upload(bucket: &str, name: &str, id: &str) -> StoreError {
    StoreError::NoSuchUpload {
        bucket: bucket.to_owned(),
        name: name.to_owned(),
        id: id.to_owned(),
    }
}

fn read_dir_or_empty(dir: &Path) -> Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).ctx(|| format!("read {}", dir.display())),
    }
}

/// How long since anything in the upload's work area changed (its newest part, or itself).
fn idle_for(upload: &Path, now: SystemTime) -> Duration {
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let newest = read_dir_or_empty(upload)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| mtime(p))
        .chain(mtime(upload))
        .max();
    newest.map_or(Duration::ZERO, |t| {
        now.duration_since(t).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{Store, StoreError};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&[dir.path().to_path_buf()], Default::default()).unwrap();
        (dir, store)
    }

    fn part(store: &Store, id: &str, n: u32, data: &[u8]) {
        let mut p = store.upload_part("b", "o", id, n).unwrap();
        p.write(data).unwrap();
        p.finish().unwrap();
    }

    #[test]
    fn parts_in_any_order_assemble_by_number_and_only_completion_publishes() {
        let (_dir, store) = store();
        let id = store.create_upload("b", "o").unwrap();
        part(&store, &id, 3, b"three");
        part(&store, &id, 1, b"one-");
        part(&store, &id, 2, b"first two");
        part(&store, &id, 2, b"two-"); // sent again: replaces
        assert!(matches!(
            store.head("b", "o"),
            Err(StoreError::NotFound { .. })
        ));
        assert!(store.list("b", "", "", 10).is_empty());
        let meta = store.complete_upload("b", "o", &id, &[3, 1, 2]).unwrap();
        assert_eq!(
            std::fs::read(store.fqn("b", "o").unwrap()).unwrap(),
            b"one-two-three"
        );
        assert_eq!(
            meta.checksum,
            xxhash_rust::xxh64::xxh64(b"one-two-three", 0)
        );
        // Spent: the id names nothing now.
        assert!(matches!(
            store.upload_part("b", "o", &id, 4),
            Err(StoreError::NoSuchUpload { .. })
        ));
    }

    #[test]
    fn a_missing_part_or_bad_number_is_refused_and_abort_leaves_nothing() {
        let (dir, store) = store();
        let id = store.create_upload("b", "o").unwrap();
        part(&store, &id, 1, b"x");
        assert!(matches!(
            store.complete_upload("b", "o", &id, &[1, 2]),
            Err(StoreError::BadUpload(m)) if m.contains("part 2")
        ));
        assert!(matches!(
            store.complete_upload("b", "o", &id, &[]),
            Err(StoreError::BadUpload(_))
        ));
        for n in [0, 10_001] {
            assert!(matches!(
                store.upload_part("b", "o", &id, n),
                Err(StoreError::BadUpload(_))
            ));
        }
        assert!(matches!(
            store.upload_part("b", "other", &id, 1),
            Err(StoreError::NoSuchUpload { .. })
        ));
        store.abort_upload("b", "o", &id).unwrap();
        assert!(matches!(
            store.head("b", "o"),
            Err(StoreError::NotFound { .. })
        ));
        let left: Vec<_> = walkdir(dir.path().join("%mpt"));
        assert!(left.iter().all(|p| p.is_dir()), "{left:?}");
    }

    #[test]
    fn old_uploads_are_cleaned_and_fresh_ones_kept() {
        let (_dir, store) = store();
        let id = store.create_upload("b", "o").unwrap();
        part(&store, &id, 1, b"x");
        assert_eq!(store.clean_uploads(Duration::from_secs(3600)).unwrap(), 0);
        part(&store, &id, 2, b"y");
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(store.clean_uploads(Duration::from_millis(10)).unwrap(), 1);
        assert!(matches!(
            store.complete_upload("b", "o", &id, &[1]),
            Err(StoreError::NoSuchUpload { .. })
        ));
    }

    fn walkdir(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            out.push(e.path());
            if e.path().is_dir() {
                out.extend(walkdir(e.path()));
            }
        }
        out
    }
}
