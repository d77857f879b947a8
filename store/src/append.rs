//! Appends (AIS `append_type=append|flush`): an object built by several requests.
//!
//! The first append (no handle) starts a *work file* in the object's mountpath's `%tmp`, seeded
//! with the object's current bytes when it exists (AIS keeps them too), and answers a handle.
//! Later appends name the handle and add to the same work file; `flush` adds its own bytes and
//! publishes the work file as the object with the same atomic commit as a PUT. Until the flush
//! nothing is visible. Work files are in-flight writes: a store that reopens drops them (their
//! handles then answer [`StoreError::BadAppendHandle`]).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use crate::error::{IoContext, Result, StoreError};
use crate::fsutil::{bound_name, new_token};
use crate::name::{object_rel_path, validate_bucket_name};
use crate::store::Store;
use crate::write::ObjectWriter;

/// An open work file of an append; what is written goes to its end.
pub struct AppendFile {
    handle: String,
    path: PathBuf,
    file: File,
}

impl AppendFile {
    /// The handle that names this work file in the next append or the flush.
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// Append bytes to the work file.
    pub fn write(&mut self, buf: &[u8]) -> Result<()> {
        self.file
            .write_all(buf)
            .ctx(|| format!("append to {}", self.path.display()))
    }
}

impl Store {
    /// Open the work file of an append to `bucket/name`: a new one (seeded with the object's
    /// current bytes, if any) when `handle` is `None`, else the one the handle names.
    pub fn append_file(
        &self,
        bucket: &str,
        name: &str,
        handle: Option<&str>,
    ) -> Result<AppendFile> {
        validate_bucket_name(bucket)?;
        object_rel_path(name)?;
        let (handle, path) = match handle {
            Some(h) => (h.to_owned(), self.work_path(bucket, name, h)?),
            None => {
                let token = new_token("append");
                let path = self.work_path(bucket, name, &token)?;
                match self.fqn(bucket, name) {
                    Ok(current) => {
                        fs::copy(&current, &path)
                            .ctx(|| format!("copy {} to {}", current.display(), path.display()))?;
                    }
                    Err(StoreError::NotFound { .. }) => {
                        File::create(&path).ctx(|| format!("create {}", path.display()))?;
                    }
                    Err(err) => return Err(err),
                }
                (token, path)
            }
        };
        // Readable too: the flush hashes what earlier appends wrote (see `append_writer`).
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|err| match err.kind() {
                std::io::ErrorKind::NotFound => bad_handle(bucket, name, &handle),
                _ => StoreError::Io {
                    context: format!("open {}", path.display()),
                    source: err,
                },
            })?;
        Ok(AppendFile { handle, path, file })
    }

    /// A writer that continues the work file `handle` names, for the flush: what it is given
    /// is added at the end and [`Store::commit`] publishes the whole work file as the object.
    pub fn append_writer(&self, bucket: &str, name: &str, handle: &str) -> Result<ObjectWriter> {
        let AppendFile { path, file, .. } = self.append_file(bucket, name, Some(handle))?;
        self.continue_writer(bucket, name, path, file)
    }

    /// Where the work file of `handle` lives: the object's mountpath's `%tmp`, under a name that
    /// binds the handle to the object, so a handle cannot be used for another object.
    fn work_path(&self, bucket: &str, name: &str, handle: &str) -> Result<PathBuf> {
        let bound =
            bound_name(bucket, name, handle).ok_or_else(|| bad_handle(bucket, name, handle))?;
        let mp = self.choose_mountpath(bucket, name);
        Ok(self.tmp_dir(mp).join(format!("append.{bound}")))
    }
}

fn bad_handle(bucket: &str, name: &str, handle: &str) -> StoreError {
    StoreError::BadAppendHandle {
        bucket: bucket.to_owned(),
        name: name.to_owned(),
        handle: handle.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreError};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&[dir.path().to_path_buf()], Default::default()).unwrap();
        (dir, store)
    }

    fn read(store: &Store, name: &str) -> Vec<u8> {
        std::fs::read(store.fqn("b", name).unwrap()).unwrap()
    }

    #[test]
    fn appends_accumulate_and_only_the_flush_publishes() {
        let (_dir, store) = store();
        let mut first = store.append_file("b", "o", None).unwrap();
        first.write(b"first,").unwrap();
        let mut second = store.append_file("b", "o", Some(first.handle())).unwrap();
        second.write(b"second,").unwrap();
        assert!(matches!(
            store.head("b", "o"),
            Err(StoreError::NotFound { .. })
        ));
        let mut w = store.append_writer("b", "o", first.handle()).unwrap();
        w.write(b"third").unwrap();
        let meta = store.commit(w, Default::default()).unwrap();
        assert_eq!(read(&store, "o"), b"first,second,third");
        assert_eq!(meta.size, 18);
        assert_eq!(
            meta.checksum,
            xxhash_rust::xxh64::xxh64(b"first,second,third", 0)
        );
        // The work file is gone: the handle is spent.
        assert!(matches!(
            store.append_file("b", "o", Some(first.handle())),
            Err(StoreError::BadAppendHandle { .. })
        ));
    }

    #[test]
    fn an_append_to_an_existing_object_keeps_its_bytes() {
        let (_dir, store) = store();
        let mut w = store.writer("b", "o").unwrap();
        w.write(b"old|").unwrap();
        store.commit(w, Default::default()).unwrap();
        let mut a = store.append_file("b", "o", None).unwrap();
        a.write(b"new").unwrap();
        let w = store.append_writer("b", "o", a.handle()).unwrap();
        store.commit(w, Default::default()).unwrap();
        assert_eq!(read(&store, "o"), b"old|new");
    }

    #[test]
    fn a_handle_is_bound_to_its_object_and_must_be_well_formed() {
        let (_dir, store) = store();
        let a = store.append_file("b", "o", None).unwrap();
        for (name, handle) in [
            ("other", a.handle()),
            ("o", "../x"),
            ("o", ""),
            ("o", "abc"),
        ] {
            assert!(
                matches!(
                    store.append_file("b", name, Some(handle)),
                    Err(StoreError::BadAppendHandle { .. })
                ),
                "{name} {handle}"
            );
        }
    }
}
