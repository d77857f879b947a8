//! The on-disk compiled-module cache: written on first load, used by a second runtime,
//! ignored (and replaced) when damaged.

use lode_runtime::{discard_logs, Limits, Runtime, RuntimeConfig};

use crate::{pool, run_bytes, wat};

fn cached_runtime(dir: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.to_path_buf()),
        max_instances: 16,
        ..RuntimeConfig::default()
    })
    .unwrap()
}

fn cache_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn second_runtime_loads_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = ::wat::parse_str(wat::ECHO).unwrap();

    let first = cached_runtime(dir.path())
        .load(&wasm, Limits::default())
        .unwrap();
    assert!(!first.loaded_from_cache());
    let files = cache_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with(&first.sha256()) && name.ends_with(".cwasm"),
        "{name}"
    );

    let second = cached_runtime(dir.path())
        .load(&wasm, Limits::default())
        .unwrap();
    assert!(second.loaded_from_cache());
    assert_eq!(
        run_bytes(&pool(&second, discard_logs()), "b/o", "", b"cached").unwrap(),
        b"cached"
    );
}

#[test]
fn damaged_cache_file_is_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = ::wat::parse_str(wat::ECHO).unwrap();
    cached_runtime(dir.path())
        .load(&wasm, Limits::default())
        .unwrap();
    let file = cache_files(dir.path()).remove(0);
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();

    let module = cached_runtime(dir.path())
        .load(&wasm, Limits::default())
        .unwrap();
    assert!(!module.loaded_from_cache());
    assert_eq!(
        run_bytes(&pool(&module, discard_logs()), "b/o", "", b"fresh").unwrap(),
        b"fresh"
    );
    // The damaged file was replaced by a good one.
    assert!(cached_runtime(dir.path())
        .load(&wasm, Limits::default())
        .unwrap()
        .loaded_from_cache());
}
