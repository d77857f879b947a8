//! The registry, pipelines and error accounting against the real example modules
//! (`scripts/build-wasm.sh` builds them into `$LODE_WASM_DIR`, default `$CARGO_TARGET_DIR/wasm`)
//! and inline WAT for the rejections.

use std::path::PathBuf;

use base64::Engine as _;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::{
    BoxFuture, EtlError, EtlState, InitMsg, Input, ModuleFetch, ModuleRef, Output, Registry,
    RegistryConfig, Wanted,
};

fn example(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("LODE_WASM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(
                    || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
                    PathBuf::from,
                )
                .join("wasm")
        });
    let path = dir.join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/build-wasm.sh first", path.display()))
}

fn msg(name: &str, wasm: &[u8], extra: &str) -> InitMsg {
    let code = base64::engine::general_purpose::STANDARD.encode(wasm);
    let body = format!(r#"{{"name":"{name}","runtime":"wasm32","code":"{code}"{extra}}}"#);
    InitMsg::parse(body.as_bytes()).unwrap()
}

fn registry() -> Registry {
    Registry::new(RegistryConfig {
        cache_dir: None,
        module_dir: None,
        workers: 2,
        #[cfg(feature = "container")]
        container: None,
    })
    .unwrap()
}

fn start(reg: &Registry, name: &str, module: &str, extra: &str) {
    let wasm = example(module);
    let m = msg(name, &wasm, extra);
    reg.check(&m, &wasm).unwrap();
    reg.start(m, "etl-x", &wasm).unwrap();
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn fused_pipeline_runs_stage_to_stage_with_args_to_the_first() {
    let reg = registry();
    start(&reg, "rot13-etl", "rot13_c.wasm", "");
    start(&reg, "upper-etl", "upper.wasm", "");
    start(&reg, "md5-etl", "md5.wasm", "");
    let p = reg.pipeline("rot13-etl", &["upper-etl".into()]).unwrap();
    let done = block_on(p.run("b/o.txt", "", Input::Bytes("Hello".into()), Output::Vec)).unwrap();
    assert_eq!(done.output.as_deref(), Some(&b"URYYB"[..]));
    assert_eq!((done.bytes_in, done.bytes_out), (5, 5));
    let p = reg.pipeline("upper-etl", &["md5-etl".into()]).unwrap();
    let done = block_on(p.run("b/o.txt", "", Input::Bytes("abc".into()), Output::Vec)).unwrap();
    // md5("ABC")
    assert_eq!(
        done.output.as_deref(),
        Some(&b"902fbdd2b1df0c4f70b4a5d23525e932"[..])
    );
    let stats = reg.get("upper-etl").unwrap().stats();
    assert_eq!((stats.objects, stats.bytes_in, stats.errors), (2, 8, 0));
    assert!(
        matches!(reg.pipeline("upper-etl", &["nope-etl".into()]), Err(EtlError::NotFound(n)) if n == "nope-etl")
    );
}

#[test]
fn fqn_input_reads_the_file() {
    let reg = registry();
    start(&reg, "upper-etl", "upper.wasm", r#","argument":"fqn""#);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("obj");
    std::fs::write(&path, b"from a file").unwrap();
    let p = reg.pipeline("upper-etl", &[]).unwrap();
    assert_eq!(p.arg_type(), crate::ArgType::Fqn);
    let done = block_on(p.run("b/obj", "", Input::File(path), Output::Vec)).unwrap();
    assert_eq!(done.output.as_deref(), Some(&b"FROM A FILE"[..]));
}

#[test]
fn a_failing_object_is_counted_logged_and_named() {
    let reg = registry();
    start(
        &reg,
        "faults-etl",
        "faults.wasm",
        r#","obj_timeout":"500ms""#,
    );
    let p = reg.pipeline("faults-etl", &[]).unwrap();
    let err = block_on(p.run("b/bad", "fail", Input::Bytes("x".into()), Output::Vec)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, EtlError::Transform { .. }), "{err:?}");
    assert!(text.starts_with("ETL faults-etl: ais://b/bad: "), "{text}");
    assert!(text.contains("failure requested"), "{text}");
    let err = block_on(p.run("b/spin", "loop", Input::Bytes("x".into()), Output::Vec)).unwrap_err();
    assert!(err.to_string().contains("deadline"), "{err}");
    // The pool keeps serving.
    let done = block_on(p.run("b/ok", "", Input::Bytes("fine".into()), Output::Vec)).unwrap();
    assert_eq!(done.output.as_deref(), Some(&b"fine"[..]));
    let etl = reg.get("faults-etl").unwrap();
    assert_eq!((etl.stats().objects, etl.stats().errors), (1, 2));
    let logs = etl.logs();
    assert!(
        logs.contains("ais://b/bad") && logs.contains("ERROR"),
        "{logs}"
    );
}

#[test]
fn rejected_modules_name_the_problem_and_start_nothing() {
    let reg = registry();
    let bad_import =
        wat::parse_str(r#"(module (import "env" "system" (func)) (func (export "_start")))"#)
            .unwrap();
    let m = msg("badimport", &bad_import, "");
    let err = reg.check(&m, &bad_import).unwrap_err();
    assert!(
        matches!(err, EtlError::Rejected { .. }) && err.to_string().contains("env::system"),
        "{err}"
    );
    let garbage = b"not wasm at all".to_vec();
    let err = reg
        .start(msg("garbage", &garbage, ""), "etl-y", &garbage)
        .unwrap_err();
    assert!(err.to_string().contains("WebAssembly"), "{err}");
    assert!(reg.list().is_empty());
}

#[test]
fn remove_stops_the_etl() {
    let reg = registry();
    start(&reg, "echo-etl", "echo.wasm", "");
    assert_eq!(reg.list().len(), 1);
    assert!(reg.remove("echo-etl").is_some());
    assert!(reg.get("echo-etl").is_none());
    assert!(reg.remove("echo-etl").is_none());
}

/// Serves one module and counts the fetches.
struct OneModule(Vec<u8>, AtomicUsize);

impl ModuleFetch for OneModule {
    fn fetch<'a>(&'a self, module: &'a ModuleRef) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        self.1.fetch_add(1, Ordering::SeqCst);
        let found = ModuleRef::of(&self.0) == *module;
        Box::pin(async move {
            found
                .then(|| self.0.clone())
                .ok_or_else(|| "no such module".into())
        })
    }
}

fn wanted(name: &str, xid: &str, module: Option<ModuleRef>) -> BTreeMap<String, Wanted> {
    let init = format!(r#"{{"name":"{name}","runtime":"wasm32"}}"#);
    let want = Wanted {
        xid: xid.into(),
        init,
        module,
        target_url: String::new(),
        peers: vec![],
    };
    BTreeMap::from([(name.to_owned(), want)])
}

#[test]
fn reconcile_fetches_a_module_once_by_hash_and_stops_what_is_no_longer_wanted() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(
        Registry::new(RegistryConfig {
            module_dir: Some(dir.path().to_owned()),
            workers: 1,
            ..RegistryConfig::default()
        })
        .unwrap(),
    );
    let fetch = OneModule(example("upper.wasm"), AtomicUsize::new(0));
    let module = ModuleRef::of(&fetch.0);
    let stopped =
        block_on(reg.reconcile(wanted("upper-etl", "etl-1", Some(module.clone())), &fetch));
    assert!(stopped.is_empty());
    assert_eq!(reg.state("upper-etl"), EtlState::Running);
    assert_eq!(fetch.1.load(Ordering::SeqCst), 1);

    // A new incarnation: the old one stops, the module comes from the node's store.
    let stopped =
        block_on(reg.reconcile(wanted("upper-etl", "etl-2", Some(module.clone())), &fetch));
    assert_eq!(stopped, ["upper-etl"]);
    assert_eq!(reg.get("upper-etl").unwrap().xid(), "etl-2");
    assert_eq!(
        fetch.1.load(Ordering::SeqCst),
        1,
        "kept by hash, not fetched again"
    );

    // A module the gateway does not have: Failed, with the reason.
    let missing = ModuleRef::of(b"other");
    block_on(reg.reconcile(wanted("upper-etl", "etl-3", Some(missing)), &fetch));
    assert!(matches!(reg.state("upper-etl"), EtlState::Failed(r) if r.contains("no such module")));

    let stopped = block_on(reg.reconcile(BTreeMap::new(), &fetch));
    assert!(stopped.is_empty(), "etl-3 never ran");
    assert_eq!(
        reg.state("upper-etl"),
        EtlState::NotRunning,
        "failure forgotten once unwanted"
    );
}
