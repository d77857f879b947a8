//! What `Runtime::load` accepts and what it rejects, with which error.

use lode_runtime::{Limits, LoadError, ModuleStyle};

use crate::{runtime, wat};

fn load(text: &str) -> Result<lode_runtime::Module, LoadError> {
    runtime().load(&::wat::parse_str(text).unwrap(), Limits::default())
}

#[test]
fn styles_are_detected() {
    let echo = load(wat::ECHO).unwrap();
    assert_eq!(
        echo.style(),
        ModuleStyle::Sdk {
            whole: true,
            streaming: true
        }
    );
    assert_eq!(load(wat::CAT).unwrap().style(), ModuleStyle::Command);
    assert_eq!(echo.sha256().len(), 64);
    assert!(!echo.loaded_from_cache());
}

#[test]
fn unknown_import_is_rejected_by_name() {
    let err = load(r#"(module (import "env" "system" (func)) (func (export "_start")))"#)
        .err()
        .unwrap();
    assert!(
        matches!(&err, LoadError::ForbiddenImport { module, name } if module == "env" && name == "system")
    );
    assert!(err.to_string().contains("`env::system`"), "{err}");
    let err = load(
        r#"(module (import "wasi_snapshot_preview1" "sock_open" (func)) (func (export "_start")))"#,
    )
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .contains("`wasi_snapshot_preview1::sock_open`"),
        "{err}"
    );
    let err = load(r#"(module (import "lode" "exec" (func)) (func (export "_start")))"#)
        .err()
        .unwrap();
    assert!(err.to_string().contains("`lode::exec`"), "{err}");
}

#[test]
fn import_with_the_wrong_signature_is_rejected() {
    let err =
        load(r#"(module (import "lode" "output" (func (param i64))) (func (export "_start")))"#)
            .err()
            .unwrap();
    assert!(matches!(err, LoadError::Signature(_)), "{err}");
    assert!(err.to_string().contains("output"), "{err}");
}

#[test]
fn bad_bytes_get_a_clear_error() {
    let err = runtime()
        .load(b"definitely not wasm", Limits::default())
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::Invalid(_)));
    assert!(
        err.to_string()
            .starts_with("not a valid WebAssembly module"),
        "{err}"
    );
    let truncated = &::wat::parse_str(wat::ECHO).unwrap()[..40];
    assert!(matches!(
        runtime().load(truncated, Limits::default()),
        Err(LoadError::Invalid(_))
    ));
    assert!(matches!(
        runtime().load(b"", Limits::default()),
        Err(LoadError::Invalid(_))
    ));
}

#[test]
fn wrong_abi_version_is_rejected() {
    let err = load(&wat::echo_with_abi(2)).err().unwrap();
    assert!(matches!(
        err,
        LoadError::AbiVersion {
            found: 2,
            expected: 1
        }
    ));
    assert_eq!(
        err.to_string(),
        "module was built for lode ABI version 2; this host speaks version 1"
    );
}

#[test]
fn neither_style_is_rejected() {
    let err = load(r#"(module (memory (export "memory") 1))"#)
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::NotATransform(_)), "{err}");
    let err = load(
        r#"(module (func (export "lode_transform") (param i32 i32) (result i32) i32.const 0))"#,
    )
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .contains("lacks `lode_abi_version`, `lode_alloc`, `memory`"),
        "{err}"
    );
}

#[test]
fn initial_memory_above_the_limit_fails_at_load() {
    let limits = Limits {
        max_memory: 1 << 20,
        ..Limits::default()
    };
    let wasm =
        ::wat::parse_str(r#"(module (memory (export "memory") 100) (func (export "_start")))"#)
            .unwrap();
    let err = runtime().load(&wasm, limits).err().unwrap();
    assert!(matches!(err, LoadError::Probe(_)), "{err}");
}

#[test]
fn limits_above_the_ceiling_are_refused() {
    let limits = Limits {
        max_memory: 8 << 30,
        ..Limits::default()
    };
    let err = runtime()
        .load(&::wat::parse_str(wat::ECHO).unwrap(), limits)
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::Limits(_)), "{err}");
}
