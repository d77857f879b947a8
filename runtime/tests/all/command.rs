//! WASI command-style modules: stdin to stdout, stderr to the log, exit codes, limits.

use std::time::Duration;

use lode_runtime::{discard_logs, ErrorKind, Input, Limits, LogLevel, Output, Request};
use tokio::io::AsyncReadExt;

use crate::{capture_logs, data, load_wat, pool, run_bytes, short_limits, wat};

#[test]
fn cat_copies_stdin_to_stdout_and_logs_stderr() {
    let module = load_wat(wat::CAT, Limits::default());
    let (log, lines) = capture_logs();
    let pool = pool(&module, log);
    let input = data(300_000);
    assert_eq!(run_bytes(&pool, "b/big", "", &input).unwrap(), input);
    assert!(run_bytes(&pool, "b/empty", "", b"").unwrap().is_empty());
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        ("b/big".to_string(), LogLevel::Info, "cat: done".to_string())
    );
    assert_eq!(lines[1].0, "b/empty");
}

#[test]
fn nonzero_exit_fails_the_object() {
    let pool = pool(&load_wat(wat::EXIT_3, Limits::default()), discard_logs());
    let err = run_bytes(&pool, "b/o", "", b"x").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::GuestError(m) if m.contains("exited with code 3")),
        "{err}"
    );
}

#[test]
fn spinning_command_hits_the_deadline() {
    let pool = pool(&load_wat(wat::SPIN_COMMAND, short_limits()), discard_logs());
    let err = run_bytes(&pool, "b/spin", "", b"x").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Deadline(_)), "{err}");
}

#[test]
fn command_stdout_is_held_to_the_output_limit() {
    let limits = Limits {
        max_output: 1000,
        ..Limits::default()
    };
    let pool = pool(&load_wat(wat::CAT, limits), discard_logs());
    assert_eq!(run_bytes(&pool, "b/o", "", &[7; 1000]).unwrap().len(), 1000);
    let err = run_bytes(&pool, "b/o", "", &[7; 1001]).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::OutputLimit { limit: 1000 }),
        "{err}"
    );
}

#[test]
fn wasi_command_reading_stdin_to_end_then_writing_1mib_does_not_hang() {
    // One 1 MiB `fd_write` is 256 stdio writes of 4 KiB inside one poll of wasmtime-wasi's
    // tokio `block_on`; sending them on to an async writer used to exhaust tokio's
    // cooperative budget and spin forever.
    let pool = pool(&load_wat(wat::SLURP, Limits::default()), discard_logs());
    let rt = tokio::runtime::Runtime::new().unwrap();
    for len in [1 << 20, (2 << 20) - 1] {
        let input = data(len);
        let (client, mut server) = tokio::io::duplex(64 << 10);
        let request = Request::new(
            "b/slurp",
            Input::Bytes(input.clone().into()),
            Output::Writer(Box::new(client)),
        );
        let (outcome, received) = rt.block_on(async {
            let drain = tokio::spawn(async move {
                let mut got = Vec::new();
                server.read_to_end(&mut got).await.map(|_| got)
            });
            let outcome = tokio::time::timeout(Duration::from_secs(30), pool.transform(request))
                .await
                .expect("the command hung")
                .unwrap();
            (outcome, drain.await.unwrap().unwrap())
        });
        assert_eq!(outcome.bytes_out, len as u64);
        assert!(received == input, "len {len}: output differs");
    }
}
