//! Small filesystem helpers: unique temp names, directory fsync, atomic whole-file writes.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{IoContext, Result};

/// Name of the per-mountpath directory holding in-flight writes; emptied when a store opens.
pub(crate) const TMP_DIR: &str = "%tmp";

/// A file name no other writer in this process or any earlier one uses.
pub(crate) fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}.{}.{}.{n}", std::process::id(), now_ns())
}

/// Unix time in nanoseconds (0 if the clock is before 1970).
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// xxhash64 (seed 0) of everything `reader` yields.
pub(crate) fn hash_reader(reader: &mut impl std::io::Read) -> std::io::Result<u64> {
    let mut hasher = xxhash_rust::xxh64::Xxh64::new(0);
    hash_into(reader, &mut hasher)?;
    Ok(hasher.digest())
}

/// Feed everything `reader` yields into `hasher`; returns how many bytes that was.
pub(crate) fn hash_into(
    reader: &mut impl std::io::Read,
    hasher: &mut xxhash_rust::xxh64::Xxh64,
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
}

/// A new token naming one object's work area (an append handle, an upload id): 16 hex digits.
pub(crate) fn new_token(kind: &str) -> String {
    format!(
        "{:016x}",
        lode_wire::hrw::digest(unique_name(kind).as_bytes())
    )
}

/// The file name that binds `token` to `bucket/name`, `<digest of bucket/name>.<token>`, so a
/// token cannot reach another object's work area; `None` unless it is 1 to 64 hex digits (it
/// comes from a client and becomes a path component).
pub(crate) fn bound_name(bucket: &str, name: &str, token: &str) -> Option<String> {
    let well_formed =
        (1..=64).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit());
    let owner = lode_wire::hrw::digest(format!("{bucket}/{name}").as_bytes());
    well_formed.then(|| format!("{owner:016x}.{token}"))
}

/// fsync a directory so that a rename into it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .ctx(|| format!("fsync directory {}", dir.display()))
}

/// Replace `path` with `bytes` atomically: a reader (or a crash) sees the old file or the new one,
/// never a mix. Writes `<path>.tmp.*`, fsyncs it, renames it over `path`, fsyncs the directory.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).ctx(|| format!("create {}", dir.display()))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp: PathBuf = dir.join(unique_name(&format!(".{file_name}.tmp")));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(e).ctx(|| format!("write {}", path.display()));
    }
    sync_dir(dir)
}

/// Starts writing `file`'s dirty pages back without waiting (`sync_file_range(2)`,
/// `SYNC_FILE_RANGE_WRITE`): a deferred commit's data is then mostly on disk by the time a
/// [`syncfs`] waits for it, the writes having overlapped with the work that followed.
// unsafe here: one FFI call on a descriptor the caller keeps open.
#[allow(unsafe_code)]
pub(crate) fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: `file` is open for the whole call; the kernel reads only the descriptor. A
    // failure only means the final syncfs has more to write, so it is ignored.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// The device id and total bytes of the filesystem holding `dir` (`statvfs(3)`).
// unsafe here: one FFI call filling a struct this function owns.
#[allow(unsafe_code)]
pub(crate) fn filesystem_size(dir: &Path) -> Result<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::other(e.to_string()))
        .ctx(|| format!("statvfs {}", dir.display()))?;
    // SAFETY: statvfs is plain old data, valid all-zero.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and outlives the call, which writes only into `st`.
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).ctx(|| format!("statvfs {}", dir.display()));
    }
    // c_ulong and fsblkcnt_t are u64 on the 64-bit Linux lode targets.
    Ok((st.f_fsid, st.f_blocks.saturating_mul(st.f_frsize)))
}

/// `syncfs(2)` on the filesystem holding `dir`: every dirty page and inode on it reaches the disk.
// unsafe here: one FFI call on a descriptor this function owns.
#[allow(unsafe_code)]
pub(crate) fn syncfs(dir: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    let d = File::open(dir).ctx(|| format!("open {}", dir.display()))?;
    // SAFETY: `d` is an open descriptor for the whole call; syncfs reads nothing else.
    let rc = unsafe { libc::syncfs(d.as_raw_fd()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).ctx(|| format!("syncfs {}", dir.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/smap.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two-longer").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two-longer");
        assert_eq!(fs::read_dir(dir.path().join("sub")).unwrap().count(), 1);
    }
}
