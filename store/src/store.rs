//! [`Store`]: the mountpaths of one target and the in-memory index of what they hold.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::ops::Bound;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{IoContext, Result, StoreError};
use crate::fsutil::{hash_reader, now_ns, unique_name, TMP_DIR};
use crate::meta::ObjectMeta;
use crate::name::{object_rel_path, validate_bucket_name};
use lode_wire::hrw;

/// Directory under a mountpath for ais buckets of the global namespace.
const BUCKETS_DIR: &str = "ais/@#";
/// Object data, under a bucket directory.
pub(crate) const DATA_DIR: &str = "%ob";
/// Object metadata sidecars, under a bucket directory.
pub(crate) const META_DIR: &str = "%mt";
/// Writers of different objects rarely share a lock.
const STRIPES: usize = 64;

/// One bucket's objects, sorted by name.
pub(crate) type BucketIndex = BTreeMap<String, ObjectMeta>;

/// What [`Store::summary`] counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Objects.
    pub count: u64,
    /// Their bytes.
    pub size: u64,
    /// The smallest and largest object (0 without objects).
    pub min_size: u64,
    /// See `min_size`.
    pub max_size: u64,
}

/// Options of a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// fsync object data, sidecars and directories on every PUT (default true).
    pub fsync: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { fsync: true }
    }
}

pub(crate) struct Mountpath {
    pub(crate) root: PathBuf,
    pub(crate) digest: u64,
}

/// A target's local storage. Cheap to share behind an `Arc`; all methods take `&self` and block
/// on filesystem I/O (call them from a blocking thread in async code).
pub struct Store {
    pub(crate) mountpaths: Vec<Mountpath>,
    pub(crate) index: RwLock<HashMap<String, BucketIndex>>,
    stripes: Vec<Mutex<()>>,
    pub(crate) options: StoreOptions,
}

impl Store {
    /// Open (creating if needed) the given mountpath directories, remove leftovers of interrupted
    /// writes, and load the index of every stored object.
    pub fn open(mountpaths: &[PathBuf], options: StoreOptions) -> Result<Store> {
        if mountpaths.is_empty() {
            return Err(StoreError::NoMountpaths);
        }
        let mut mps = Vec::with_capacity(mountpaths.len());
        for root in mountpaths {
            fs::create_dir_all(root).ctx(|| format!("create mountpath {}", root.display()))?;
            let root = fs::canonicalize(root).ctx(|| format!("resolve {}", root.display()))?;
            let tmp = root.join(TMP_DIR);
            if tmp.exists() {
                fs::remove_dir_all(&tmp).ctx(|| format!("clean {}", tmp.display()))?;
            }
            fs::create_dir_all(&tmp).ctx(|| format!("create {}", tmp.display()))?;
            let digest = hrw::digest(root.to_string_lossy().as_bytes());
            mps.push(Mountpath { root, digest });
        }
        let store = Store {
            mountpaths: mps,
            index: RwLock::new(HashMap::new()),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            options,
        };
        crate::load::load_index(&store)?;
        Ok(store)
    }

    /// The mountpath directories, in the order given to [`Store::open`].
    pub fn mountpaths(&self) -> impl Iterator<Item = &Path> {
        self.mountpaths.iter().map(|m| m.root.as_path())
    }

    /// The mountpath holding an object described by `meta`.
    pub fn mountpath_of(&self, meta: &ObjectMeta) -> &Path {
        self.mountpaths
            .get(meta.mountpath)
            .map_or(Path::new(""), |m| m.root.as_path())
    }

    pub(crate) fn bucket_dir(&self, mp: usize, bucket: &str) -> PathBuf {
        self.mountpaths[mp].root.join(BUCKETS_DIR).join(bucket)
    }

    pub(crate) fn tmp_dir(&self, mp: usize) -> PathBuf {
        self.mountpaths[mp].root.join(TMP_DIR)
    }

    /// (data path, sidecar path) of an object on a mountpath.
    pub(crate) fn paths(&self, mp: usize, bucket: &str, rel: &Path) -> (PathBuf, PathBuf) {
        let b = self.bucket_dir(mp, bucket);
        (b.join(DATA_DIR).join(rel), b.join(META_DIR).join(rel))
    }

    /// The HRW mountpath for an object.
    pub(crate) fn choose_mountpath(&self, bucket: &str, name: &str) -> usize {
        let uname = format!("ais/@#/{bucket}/{name}");
        hrw::pick(
            hrw::digest(uname.as_bytes()),
            self.mountpaths.iter().map(|m| m.digest),
        )
        .unwrap_or(0)
    }

    pub(crate) fn stripe(&self, bucket: &str, name: &str) -> MutexGuard<'_, ()> {
        let h = hrw::digest(format!("{bucket}/{name}").as_bytes());
        let i = usize::try_from(h % STRIPES as u64).unwrap_or(0);
        self.stripes[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn read_index(&self) -> RwLockReadGuard<'_, HashMap<String, BucketIndex>> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn write_index(&self) -> RwLockWriteGuard<'_, HashMap<String, BucketIndex>> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    fn lookup(&self, bucket: &str, name: &str) -> Result<ObjectMeta> {
        self.read_index()
            .get(bucket)
            .and_then(|b| b.get(name))
            .cloned()
            .ok_or_else(|| not_found(bucket, name))
    }

    /// Metadata of an object, without touching its data.
    pub fn head(&self, bucket: &str, name: &str) -> Result<ObjectMeta> {
        validate_bucket_name(bucket)?;
        object_rel_path(name)?;
        self.lookup(bucket, name)
    }

    /// Open an object for reading: the open file and the metadata that describes exactly its
    /// bytes (a later PUT replaces the file by rename; the open file keeps the old bytes).
    /// Updates the access time.
    pub fn open_object(&self, bucket: &str, name: &str) -> Result<(File, ObjectMeta)> {
        validate_bucket_name(bucket)?;
        let rel = object_rel_path(name)?;
        // The stripe lock orders this against a commit of the same name, which renames the data
        // file and publishes the new metadata under that lock; the inode check proves the pair.
        let _guard = self.stripe(bucket, name);
        let mut meta = self.lookup(bucket, name)?;
        let (data, _) = self.paths(meta.mountpath, bucket, &rel);
        let file = match File::open(&data) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(not_found(bucket, name))
            }
            other => other.ctx(|| format!("open {}", data.display()))?,
        };
        let ino = file
            .metadata()
            .ctx(|| format!("stat {}", data.display()))?
            .ino();
        if ino != meta.ino {
            return Err(StoreError::CorruptMeta {
                path: data.display().to_string(),
                reason: "the data file is not the one its metadata describes".into(),
            });
        }
        meta.atime_ns = now_ns();
        if let Some(m) = self
            .write_index()
            .get_mut(bucket)
            .and_then(|b| b.get_mut(name))
        {
            m.atime_ns = meta.atime_ns;
        }
        Ok((file, meta))
    }

    /// The local file of an object (its FQN), e.g. to hand to a transform.
    pub fn fqn(&self, bucket: &str, name: &str) -> Result<PathBuf> {
        let rel = object_rel_path(name)?;
        let meta = self.head(bucket, name)?;
        Ok(self.paths(meta.mountpath, bucket, &rel).0)
    }

    /// Delete an object (data first, then its sidecar).
    pub fn delete(&self, bucket: &str, name: &str) -> Result<()> {
        validate_bucket_name(bucket)?;
        let rel = object_rel_path(name)?;
        let _guard = self.stripe(bucket, name);
        let meta = self.lookup(bucket, name)?;
        let (data, side) = self.paths(meta.mountpath, bucket, &rel);
        remove_if_exists(&data)?;
        remove_if_exists(&side)?;
        if let Some(b) = self.write_index().get_mut(bucket) {
            b.remove(name);
        }
        Ok(())
    }

    /// Up to `limit` objects of `bucket` whose names start with `prefix` and sort after `after`
    /// (`""`: from the start), in name order. O(log n + limit).
    pub fn list(
        &self,
        bucket: &str,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Vec<(String, ObjectMeta)> {
        let index = self.read_index();
        let Some(objects) = index.get(bucket) else {
            return Vec::new();
        };
        let start = if after >= prefix {
            Bound::Excluded(after)
        } else {
            Bound::Included(prefix)
        };
        objects
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(n, _)| n.starts_with(prefix))
            .take(limit)
            .map(|(n, m)| (n.clone(), m.clone()))
            .collect()
    }

    /// Count and sizes of the objects of `bucket` whose names start with `prefix`, from the
    /// index (no file is touched). O(log n + matches).
    pub fn summary(&self, bucket: &str, prefix: &str) -> Summary {
        let index = self.read_index();
        let mut sum = Summary::default();
        let Some(objects) = index.get(bucket) else {
            return sum;
        };
        let matching = objects
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(n, _)| n.starts_with(prefix));
        for (_, m) in matching {
            sum.min_size = if sum.count == 0 {
                m.size
            } else {
                sum.min_size.min(m.size)
            };
            sum.max_size = sum.max_size.max(m.size);
            sum.count += 1;
            sum.size += m.size;
        }
        sum
    }

    /// Total bytes of the filesystems holding the mountpaths (each filesystem once).
    pub fn disks_size(&self) -> Result<u64> {
        let mut seen = Vec::new();
        let mut total = 0;
        for mp in &self.mountpaths {
            let (dev, size) = crate::fsutil::filesystem_size(&mp.root)?;
            if !seen.contains(&dev) {
                seen.push(dev);
                total += size;
            }
        }
        Ok(total)
    }

    /// Names of the buckets that have data (or an empty directory) in this store.
    pub fn buckets(&self) -> Vec<String> {
        self.read_index().keys().cloned().collect()
    }

    /// Remove a bucket and all its objects from every mountpath.
    pub fn destroy_bucket(&self, bucket: &str) -> Result<()> {
        validate_bucket_name(bucket)?;
        self.write_index().remove(bucket);
        self.remove_uploads(bucket)?;
        for mp in 0..self.mountpaths.len() {
            let dir = self.bucket_dir(mp, bucket);
            if !dir.exists() {
                continue;
            }
            // Rename first: the bucket disappears at once, the deletion itself may take a while.
            let trash = self.tmp_dir(mp).join(unique_name("destroyed"));
            fs::rename(&dir, &trash).ctx(|| format!("move {} aside", dir.display()))?;
            fs::remove_dir_all(&trash).ctx(|| format!("remove {}", trash.display()))?;
        }
        Ok(())
    }
}

pub(crate) fn not_found(bucket: &str, name: &str) -> StoreError {
    StoreError::NotFound {
        bucket: bucket.to_owned(),
        name: name.to_owned(),
    }
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).ctx(|| format!("remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Read `file` to the end and compare its xxhash64 with `meta`'s.
pub fn verify_checksum(bucket: &str, name: &str, file: &mut File, meta: &ObjectMeta) -> Result<()> {
    let actual = hash_reader(file).ctx(|| format!("read {bucket}/{name}"))?;
    if actual != meta.checksum {
        return Err(StoreError::ChecksumMismatch {
            bucket: bucket.to_owned(),
            name: name.to_owned(),
            expected: meta.checksum_hex(),
            actual: format!("{actual:016x}"),
        });
    }
    Ok(())
}
