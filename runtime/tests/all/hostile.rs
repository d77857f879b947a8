//! Hostile and broken guests: each fails only its own object, with the right error kind, and
//! the same worker goes on serving with a fresh instance.

use lode_runtime::{discard_logs, ErrorKind, Input, LogLevel, Output, Request, TransformError};

use crate::{capture_logs, load_wat, pool, run_bytes, short_limits, transform, wat};

/// Runs `first` (which must fail), then checks the worker still echoes, in a fresh instance
/// unless the guest returned normally.
fn fails_then_recovers(first: &[u8]) -> TransformError {
    let module = load_wat(wat::HOSTILE, short_limits());
    let pool = pool(&module, discard_logs());
    let err = run_bytes(&pool, "bkt/evil", "", first).unwrap_err();
    assert_eq!(err.object(), "bkt/evil");
    assert!(
        err.to_string()
            .starts_with("transform of `bkt/evil` failed: "),
        "{err}"
    );
    let after = transform(
        &pool,
        Request::new("bkt/next", Input::Bytes("hello".into()), Output::Vec),
    )
    .unwrap();
    assert_eq!(after.output.as_deref(), Some(&b"hello"[..]));
    let returned_normally = matches!(
        err.kind(),
        ErrorKind::GuestError(_) | ErrorKind::OutputLimit { .. }
    );
    assert_eq!(
        after.fresh_instance, !returned_normally,
        "instance replaced only after a trap or limit"
    );
    assert_eq!(run_bytes(&pool, "bkt/again", "", b"ok").unwrap(), b"ok");
    err
}

#[test]
fn infinite_loop_hits_the_deadline_and_the_pool_keeps_serving() {
    let err = fails_then_recovers(b"L");
    assert!(
        matches!(err.kind(), ErrorKind::Deadline(d) if *d == short_limits().deadline),
        "{err}"
    );
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    let err = fails_then_recovers(b"M");
    assert!(
        matches!(err.kind(), ErrorKind::MemoryLimit { limit, .. } if *limit == 16 << 20),
        "{err}"
    );
}

#[test]
fn stack_overflow_is_a_trap() {
    let err = fails_then_recovers(b"S");
    assert!(
        matches!(err.kind(), ErrorKind::Trap { trap, .. } if trap.contains("stack")),
        "{err}"
    );
}

#[test]
fn guest_fail_message_surfaces() {
    let err = fails_then_recovers(b"F");
    assert!(
        matches!(err.kind(), ErrorKind::GuestError(m) if m == "boom from guest"),
        "{err}"
    );
}

#[test]
fn panic_message_rides_along_with_the_trap() {
    let err = fails_then_recovers(b"P");
    match err.kind() {
        ErrorKind::Trap {
            trap,
            guest_message,
        } => {
            assert!(trap.contains("unreachable"), "{trap}");
            assert_eq!(guest_message.as_deref(), Some("panic: oh no"));
        }
        other => panic!("expected a trap, got {other}"),
    }
}

#[test]
fn output_limit_fails_the_object_even_if_the_guest_ignores_it() {
    for op in [&b"O"[..], b"G"] {
        let err = fails_then_recovers(op);
        assert!(
            matches!(err.kind(), ErrorKind::OutputLimit { limit } if *limit == 64 << 10),
            "{err}"
        );
    }
}

#[test]
fn output_limit_is_the_module_limit() {
    let limits = lode_runtime::Limits {
        max_output: 1000,
        ..short_limits()
    };
    let module = load_wat(wat::HOSTILE, limits);
    let pool = pool(&module, discard_logs());
    assert_eq!(
        run_bytes(&pool, "b/o", "", &[b'x'; 1000]).unwrap().len(),
        1000
    );
    let err = run_bytes(&pool, "b/o", "", &[b'O'; 10]).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::OutputLimit { limit: 1000 }),
        "{err}"
    );
}

#[test]
fn bad_output_pointer_is_refused_not_fatal() {
    let module = load_wat(wat::HOSTILE, short_limits());
    let pool = pool(&module, discard_logs());
    let err = run_bytes(&pool, "b/o", "", b"B").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::GuestError(m) if m.contains("unknown status -2")),
        "{err}"
    );
}

#[test]
fn log_lines_reach_the_sink_with_the_object_name() {
    let module = load_wat(wat::HOSTILE, short_limits());
    let (log, lines) = capture_logs();
    let pool = pool(&module, log);
    assert_eq!(run_bytes(&pool, "bkt/logged", "", b"D!").unwrap(), b"D!");
    let lines = lines.lock().unwrap();
    assert_eq!(
        *lines,
        [(
            "bkt/logged".to_string(),
            LogLevel::Warn,
            "hello log".to_string()
        )]
    );
}
