//! Atomic object writes: stream into a temp file while hashing, then publish by rename.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use xxhash_rust::xxh64::Xxh64;

use crate::error::{IoContext, Result, StoreError};
use crate::fsutil::{hash_into, now_ns, start_writeback, sync_dir, unique_name};
use crate::meta::{self, ObjectMeta};
use crate::name::{object_rel_path, validate_bucket_name};
use crate::store::Store;

/// An object being written. Nothing is visible until [`Store::commit`]; dropping the writer
/// removes its temp file.
pub struct ObjectWriter {
    bucket: String,
    name: String,
    rel: PathBuf,
    mountpath: usize,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
    hasher: Xxh64,
    size: u64,
    /// The checksum of bytes copied whole from another object ([`ObjectWriter::copy_object`]).
    known: Option<u64>,
}

impl ObjectWriter {
    fn new(
        bucket: &str,
        name: &str,
        rel: PathBuf,
        mountpath: usize,
        tmp: PathBuf,
        file: File,
    ) -> ObjectWriter {
        ObjectWriter {
            bucket: bucket.to_owned(),
            name: name.to_owned(),
            rel,
            mountpath,
            tmp,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
            hasher: Xxh64::new(0),
            size: 0,
            known: None,
        }
    }

    /// Append bytes to the object (not to one filled by [`ObjectWriter::copy_object`]).
    pub fn write(&mut self, buf: &[u8]) -> Result<()> {
        if self.known.is_some() {
            return Err(StoreError::Io {
                context: format!("write {}", self.tmp.display()),
                source: std::io::Error::other("the writer holds a whole copied object"),
            });
        }
        if let Some(f) = self.file.as_mut() {
            f.write_all(buf)
                .ctx(|| format!("write {}", self.tmp.display()))?;
        }
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        Ok(())
    }

    /// Fills an empty writer with the whole of another object: `file` and `meta` as
    /// [`Store::open_object`] answered them. The kernel copies the bytes (`copy_file_range`,
    /// which `std::io::copy` uses between files), and the source's checksum is the copy's:
    /// no byte passes through this process or is hashed again.
    pub fn copy_object(&mut self, file: &mut File, meta: &ObjectMeta) -> Result<()> {
        let tmp = &self.tmp;
        let out = self
            .file
            .as_mut()
            .filter(|_| self.size == 0)
            .ok_or_else(|| StoreError::Io {
                context: format!("copy into {}", tmp.display()),
                source: std::io::Error::other("the writer is not empty"),
            })?;
        let copied =
            std::io::copy(file, out.get_mut()).ctx(|| format!("copy into {}", tmp.display()))?;
        if copied != meta.size {
            return Err(StoreError::Io {
                context: format!("copy into {}", tmp.display()),
                source: std::io::Error::other(format!("copied {copied} bytes of {}", meta.size)),
            });
        }
        (self.size, self.known) = (copied, Some(meta.checksum));
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Drop for ObjectWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

impl Store {
    /// Start writing an object. Validates both names first: an invalid name writes nothing.
    pub fn writer(&self, bucket: &str, name: &str) -> Result<ObjectWriter> {
        validate_bucket_name(bucket)?;
        let rel = object_rel_path(name)?;
        let mountpath = self.choose_mountpath(bucket, name);
        let tmp = self.tmp_dir(mountpath).join(unique_name("put"));
        let file = File::create(&tmp).ctx(|| format!("create {}", tmp.display()))?;
        Ok(ObjectWriter::new(bucket, name, rel, mountpath, tmp, file))
    }

    /// Continue writing an object into `tmp`, a file in its mountpath's `%tmp` that already
    /// holds its first bytes (an append's work file), opened for reading and appending: those
    /// bytes are hashed first, so the commit's checksum covers the whole file.
    pub(crate) fn continue_writer(
        &self,
        bucket: &str,
        name: &str,
        tmp: PathBuf,
        mut file: File,
    ) -> Result<ObjectWriter> {
        validate_bucket_name(bucket)?;
        let rel = object_rel_path(name)?;
        let mountpath = self.choose_mountpath(bucket, name);
        let mut hasher = Xxh64::new(0);
        let size = hash_into(&mut file, &mut hasher).ctx(|| format!("read {}", tmp.display()))?;
        let mut w = ObjectWriter::new(bucket, name, rel, mountpath, tmp, file);
        (w.hasher, w.size) = (hasher, size);
        Ok(w)
    }

    /// Publish a fully written object, replacing any previous version, durably. Order: data
    /// fsync, sidecar written to a temp file, data renamed into place, sidecar renamed into
    /// place. The sidecar records the data file's inode, so a crash between the two renames is
    /// detected (and repaired) when the store opens again.
    pub fn commit(&self, w: ObjectWriter, custom: BTreeMap<String, String>) -> Result<ObjectMeta> {
        self.commit_with(w, custom, Durability::Synced)
    }

    /// [`Store::commit`], made durable now or, with [`Durability::Deferred`], by the next
    /// [`Store::sync`] (the object is visible at once either way).
    pub fn commit_with(
        &self,
        mut w: ObjectWriter,
        custom: BTreeMap<String, String>,
        durability: Durability,
    ) -> Result<ObjectMeta> {
        let fsync = self.options.fsync && durability == Durability::Synced;
        let Some(buf) = w.file.take() else {
            return Err(crate::store::not_found(&w.bucket, &w.name));
        };
        let tmp = w.tmp.clone();
        let publish = || -> Result<ObjectMeta> {
            let file = buf
                .into_inner()
                .map_err(|e| e.into_error())
                .ctx(|| format!("flush {}", tmp.display()))?;
            if fsync {
                file.sync_all().ctx(|| format!("fsync {}", tmp.display()))?;
            } else if self.options.fsync {
                start_writeback(&file);
            }
            let ino = file
                .metadata()
                .ctx(|| format!("stat {}", tmp.display()))?
                .ino();
            drop(file);
            let _guard = self.stripe(&w.bucket, &w.name);
            let prev = self
                .read_index()
                .get(&w.bucket)
                .and_then(|b| b.get(&w.name))
                .cloned();
            let now = now_ns();
            let meta = ObjectMeta {
                size: w.size,
                checksum: w.known.unwrap_or_else(|| w.hasher.digest()),
                version: prev.as_ref().map_or(1, |p| p.version + 1),
                atime_ns: now,
                mtime_ns: now,
                custom,
                ino,
                mountpath: w.mountpath,
            };
            self.publish(&w.bucket, &w.name, &w.rel, &tmp, &meta, fsync)?;
            if let Some(prev) = prev.filter(|p| p.mountpath != w.mountpath) {
                let (data, side) = self.paths(prev.mountpath, &w.bucket, &w.rel);
                let _ = fs::remove_file(data);
                let _ = fs::remove_file(side);
            }
            self.write_index()
                .entry(w.bucket.clone())
                .or_default()
                .insert(w.name.clone(), meta.clone());
            Ok(meta)
        };
        let result = publish();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Rename a finished data file into place and write its sidecar (shared with index repair);
    /// `fsync`: the sidecar and both directories too.
    pub(crate) fn publish(
        &self,
        bucket: &str,
        name: &str,
        rel: &std::path::Path,
        data_tmp: &std::path::Path,
        meta: &ObjectMeta,
        fsync: bool,
    ) -> Result<()> {
        let (data, side) = self.paths(meta.mountpath, bucket, rel);
        let side_tmp = self.tmp_dir(meta.mountpath).join(unique_name("meta"));
        let mut f = File::create(&side_tmp).ctx(|| format!("create {}", side_tmp.display()))?;
        f.write_all(&meta::encode(name, meta))
            .ctx(|| format!("write {}", side_tmp.display()))?;
        if fsync {
            f.sync_all()
                .ctx(|| format!("fsync {}", side_tmp.display()))?;
        }
        drop(f);
        let mut dirs = Vec::with_capacity(2);
        for (from, to) in [(data_tmp, &data), (side_tmp.as_path(), &side)] {
            let dir = to.parent().unwrap_or(std::path::Path::new("/"));
            fs::create_dir_all(dir).ctx(|| format!("create {}", dir.display()))?;
            if from != to.as_path() {
                fs::rename(from, to).ctx(|| format!("rename into {}", to.display()))?;
            }
            dirs.push(dir.to_path_buf());
        }
        if fsync {
            for dir in dirs {
                sync_dir(&dir)?;
            }
        }
        Ok(())
    }

    /// Sets the custom metadata of a stored object: `custom` merged into what it has, or
    /// with `replace` instead of it. Only the sidecar is rewritten (atomically, durably); the
    /// object's bytes, checksum and version stay.
    pub fn set_custom(
        &self,
        bucket: &str,
        name: &str,
        custom: BTreeMap<String, String>,
        replace: bool,
    ) -> Result<ObjectMeta> {
        validate_bucket_name(bucket)?;
        let rel = object_rel_path(name)?;
        let _guard = self.stripe(bucket, name);
        let mut meta = self
            .read_index()
            .get(bucket)
            .and_then(|b| b.get(name))
            .cloned()
            .ok_or_else(|| crate::store::not_found(bucket, name))?;
        if replace {
            meta.custom = custom;
        } else {
            meta.custom.extend(custom);
        }
        let (data, _) = self.paths(meta.mountpath, bucket, &rel);
        self.publish(bucket, name, &rel, &data, &meta, self.options.fsync)?;
        self.write_index()
            .entry(bucket.to_owned())
            .or_default()
            .insert(name.to_owned(), meta.clone());
        Ok(meta)
    }

    /// Makes everything written to the mountpaths durable (`syncfs(2)` on each: one flush for
    /// all the objects committed with [`Durability::Deferred`] since, and whatever else is
    /// dirty on those filesystems).
    pub fn sync(&self) -> Result<()> {
        if !self.options.fsync {
            return Ok(());
        }
        for mp in &self.mountpaths {
            crate::fsutil::syncfs(&mp.root)?;
        }
        Ok(())
    }
}

/// When a commit is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Before the commit returns (a client's PUT: its 200 means durable).
    Synced,
    /// By the next [`Store::sync`] (an offline job's outputs, made durable together before
    /// the job reports done).
    Deferred,
}
