//! Store behaviour across modules: atomic overwrite, crash repair, listing, buckets.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{Store, StoreOptions};

fn open(dirs: &[PathBuf]) -> Store {
    Store::open(dirs, StoreOptions { fsync: false }).unwrap()
}

fn put(store: &Store, bucket: &str, name: &str, data: &[u8]) -> crate::ObjectMeta {
    let mut w = store.writer(bucket, name).unwrap();
    w.write(data).unwrap();
    store.commit(w, BTreeMap::new()).unwrap()
}

fn get(store: &Store, bucket: &str, name: &str) -> Vec<u8> {
    let (mut f, _) = store.open_object(bucket, name).unwrap();
    let mut out = Vec::new();
    f.read_to_end(&mut out).unwrap();
    out
}

#[test]
fn put_get_versions_and_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&[dir.path().to_path_buf()]);
    let m1 = put(&store, "b", "a", b"one");
    let m2 = put(&store, "b", "a", b"second");
    assert_eq!((m1.version, m2.version), (1, 2));
    assert_eq!(m2.checksum, xxhash_rust::xxh64::xxh64(b"second", 0));
    assert_eq!(get(&store, "b", "a"), b"second");
    put(&store, "b", "a/b", b"nested");
    assert_eq!(get(&store, "b", "a"), b"second");
    assert_eq!(get(&store, "b", "a/b"), b"nested");
    store.delete("b", "a").unwrap();
    assert!(matches!(
        store.open_object("b", "a"),
        Err(crate::StoreError::NotFound { .. })
    ));
    assert_eq!(get(&store, "b", "a/b"), b"nested");
}

#[test]
fn invalid_names_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&[dir.path().to_path_buf()]);
    for bad in ["../x", "a/../../x", "/etc/passwd", "a//b", "x\0y"] {
        assert!(store.writer("b", bad).is_err(), "{bad:?}");
    }
    assert!(store.writer(".b", "x").is_err());
    let tmp_entries = fs::read_dir(dir.path().join("%tmp")).unwrap().count();
    assert_eq!(tmp_entries, 0);
    assert!(!dir.path().join("ais").exists());
}

#[test]
fn abandoned_writer_leaves_nothing_and_old_version_stays() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&[dir.path().to_path_buf()]);
    put(&store, "b", "o", b"old");
    let mut w = store.writer("b", "o").unwrap();
    w.write(b"partial new content").unwrap();
    drop(w);
    assert_eq!(get(&store, "b", "o"), b"old");
    assert_eq!(fs::read_dir(dir.path().join("%tmp")).unwrap().count(), 0);
}

#[test]
fn readers_see_old_or_new_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&[dir.path().to_path_buf()]));
    let a = vec![b'a'; 64 * 1024];
    let b = vec![b'b'; 96 * 1024];
    put(&store, "b", "o", &a);
    let writer = {
        let store = Arc::clone(&store);
        let (a, b) = (a.clone(), b.clone());
        std::thread::spawn(move || {
            for i in 0..200 {
                put(&store, "b", "o", if i % 2 == 0 { &b } else { &a });
            }
        })
    };
    for _ in 0..500 {
        let (mut f, meta) = store.open_object("b", "o").unwrap();
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        assert!(out == a || out == b, "torn read of {} bytes", out.len());
        assert_eq!(out.len() as u64, meta.size);
        assert_eq!(xxhash_rust::xxh64::xxh64(&out, 0), meta.checksum);
    }
    writer.join().unwrap();
}

#[test]
fn reopen_keeps_objects_cleans_temp_and_repairs_a_crash_between_renames() {
    let dir = tempfile::tempdir().unwrap();
    let mp = dir.path().to_path_buf();
    {
        let store = open(std::slice::from_ref(&mp));
        put(&store, "b", "kept", b"kept");
        put(&store, "b", "crashed", b"old");
        put(&store, "b", "sp ace/ü?#x", b"odd");
    }
    // A crash mid-PUT: a temp file left behind, and new data renamed over the old one
    // without its sidecar (new inode, stale sidecar).
    fs::write(mp.join("%tmp/put.1.2.3"), b"half").unwrap();
    let data = mp.join("ais/@#/b/%ob/crashed");
    fs::write(mp.join("new"), b"new data").unwrap();
    fs::rename(mp.join("new"), &data).unwrap();
    let store = open(std::slice::from_ref(&mp));
    assert_eq!(fs::read_dir(mp.join("%tmp")).unwrap().count(), 0);
    assert_eq!(get(&store, "b", "kept"), b"kept");
    assert_eq!(get(&store, "b", "sp ace/ü?#x"), b"odd");
    let (_, meta) = store.open_object("b", "crashed").unwrap();
    assert_eq!(get(&store, "b", "crashed"), b"new data");
    assert_eq!((meta.size, meta.version), (8, 2));
    assert_eq!(meta.checksum, xxhash_rust::xxh64::xxh64(b"new data", 0));
}

#[test]
fn listing_pages_in_order_with_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&[dir.path().to_path_buf()]);
    let mut names: Vec<String> = (0..250).map(|i| format!("p/{i:04}")).collect();
    names.push("q/1".into());
    names.push("a".into());
    for n in &names {
        put(&store, "b", n, n.as_bytes());
    }
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = store.list("b", "p/", &after, 100);
        if page.is_empty() {
            break;
        }
        after = page.last().map(|(n, _)| n.clone()).unwrap();
        seen.extend(page.into_iter().map(|(n, _)| n));
    }
    let expected: Vec<String> = (0..250).map(|i| format!("p/{i:04}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(store.list("b", "", "", 1000).len(), 252);
    assert_eq!(store.list("b", "", "p/0249", 10)[0].0, "q/1");
}

#[test]
fn objects_spread_over_mountpaths_and_bucket_destroy_removes_all() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let paths: Vec<PathBuf> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
    let store = open(&paths);
    for i in 0..60 {
        put(&store, "b", &format!("o{i}"), b"x");
    }
    for p in &paths {
        assert!(
            p.join("ais/@#/b/%ob").exists(),
            "HRW left {} empty",
            p.display()
        );
    }
    store.destroy_bucket("b").unwrap();
    assert!(store.list("b", "", "", 10).is_empty());
    drop(store);
    let store = open(&paths);
    assert!(store.buckets().is_empty());
}

#[test]
fn a_deferred_commit_is_visible_at_once_and_survives_a_reopen_after_sync() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = [dir.path().to_path_buf()];
    let store = Store::open(&dirs, StoreOptions { fsync: true }).unwrap();
    let mut w = store.writer("b", "job/out").unwrap();
    w.write(b"deferred bytes").unwrap();
    let meta = store
        .commit_with(w, BTreeMap::new(), crate::Durability::Deferred)
        .unwrap();
    assert_eq!(get(&store, "b", "job/out"), b"deferred bytes");
    store.sync().unwrap();
    drop(store);
    let store = Store::open(&dirs, StoreOptions { fsync: true }).unwrap();
    let again = store.head("b", "job/out").unwrap();
    assert_eq!((again.size, again.checksum), (meta.size, meta.checksum));
}

#[test]
fn a_copied_object_has_the_source_bytes_and_checksum_and_takes_no_more_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&[dir.path().to_path_buf()]);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
    let src = put(&store, "a", "src", &data);
    let (mut file, meta) = store.open_object("a", "src").unwrap();
    let mut w = store.writer("b", "copy").unwrap();
    w.copy_object(&mut file, &meta).unwrap();
    assert!(w.write(b"more").is_err());
    let copy = store.commit(w, BTreeMap::new()).unwrap();
    assert_eq!((copy.size, copy.checksum), (src.size, src.checksum));
    assert_eq!(get(&store, "b", "copy"), data);
    let mut half = store.writer("b", "half").unwrap();
    half.write(b"x").unwrap();
    let (mut file, meta) = store.open_object("a", "src").unwrap();
    assert!(half.copy_object(&mut file, &meta).is_err());
}

#[test]
fn custom_metadata_merges_or_replaces_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = [dir.path().to_path_buf()];
    let store = open(&dirs);
    let before = put(&store, "b", "o", b"bytes");
    let kv = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    store
        .set_custom("b", "o", kv(&[("a", "1"), ("b", "2")]), false)
        .unwrap();
    let merged = store
        .set_custom("b", "o", kv(&[("b", "3")]), false)
        .unwrap();
    assert_eq!(merged.custom, kv(&[("a", "1"), ("b", "3")]));
    assert_eq!(
        (merged.checksum, merged.version),
        (before.checksum, before.version)
    );
    store.set_custom("b", "o", kv(&[("c", "4")]), true).unwrap();
    drop(store);
    let store = open(&dirs);
    assert_eq!(store.head("b", "o").unwrap().custom, kv(&[("c", "4")]));
    assert_eq!(get(&store, "b", "o"), b"bytes");
    assert!(matches!(
        store.set_custom("b", "missing", kv(&[]), false),
        Err(crate::StoreError::NotFound { .. })
    ));
}

#[test]
fn summary_counts_the_prefix_and_disks_have_a_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&[dir.path().to_path_buf()]);
    put(&store, "b", "a/1", b"x");
    put(&store, "b", "a/2", b"xyz12");
    put(&store, "b", "b/3", b"xy");
    let all = store.summary("b", "");
    assert_eq!(
        (all.count, all.size, all.min_size, all.max_size),
        (3, 8, 1, 5)
    );
    let a = store.summary("b", "a/");
    assert_eq!((a.count, a.size, a.min_size, a.max_size), (2, 6, 1, 5));
    assert_eq!(store.summary("b", "zzz"), crate::Summary::default());
    assert_eq!(store.summary("nope", ""), crate::Summary::default());
    assert!(store.disks_size().unwrap() > 0);
}
