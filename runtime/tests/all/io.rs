//! Input and output forms: bytes, files (mapped, streamed), async readers and writers.

use std::time::Duration;

use lode_runtime::{
    discard_logs, ErrorKind, Input, Limits, Output, Pool, PoolConfig, Request, Worker,
};
use tokio::io::AsyncReadExt;

use crate::{data, load_wat, run_bytes, short_limits, transform, wat};

fn echo_pool(stream_threshold: u64) -> Pool {
    let module = load_wat(wat::ECHO, Limits::default());
    Pool::new(
        &module,
        PoolConfig {
            workers: 2,
            stream_threshold,
            ..PoolConfig::default()
        },
    )
    .unwrap()
}

#[test]
fn bytes_take_the_whole_form_below_the_threshold_and_stream_above() {
    let pool = echo_pool(1000);
    for (len, streamed) in [(0, false), (1000, false), (1001, true), (1 << 20, true)] {
        let input = data(len);
        let request = Request::new("b/o", Input::Bytes(input.clone().into()), Output::Vec);
        let outcome = transform(&pool, request).unwrap();
        assert_eq!(outcome.output.unwrap(), input, "len {len}");
        assert_eq!(
            (outcome.bytes_in, outcome.bytes_out),
            (len as u64, len as u64)
        );
        assert_eq!(outcome.streamed, streamed, "len {len}");
    }
}

#[test]
fn file_in_file_out_is_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (dir.path().join("in.bin"), dir.path().join("out.bin"));
    let input = data(3 << 20);
    std::fs::write(&src, &input).unwrap();
    for threshold in [u64::MAX, 1 << 20] {
        let request = Request::new(
            "b/in.bin",
            Input::File(src.clone()),
            Output::File(dst.clone()),
        );
        let outcome = transform(&echo_pool(threshold), request).unwrap();
        assert!(outcome.output.is_none());
        assert_eq!(outcome.streamed, threshold != u64::MAX);
        assert_eq!(std::fs::read(&dst).unwrap(), input);
        std::fs::remove_file(&dst).unwrap();
    }
    // A failed object leaves neither the destination nor a temp file.
    let module = load_wat(wat::HOSTILE, short_limits());
    let pool = crate::pool(&module, discard_logs());
    std::fs::write(&src, b"F").unwrap();
    let err = transform(
        &pool,
        Request::new("b/in.bin", Input::File(src.clone()), Output::File(dst)),
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::GuestError(_)));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["in.bin"]);
}

#[test]
fn missing_input_file_is_an_io_error() {
    let pool = echo_pool(u64::MAX);
    let request = Request::new(
        "b/gone",
        Input::File("/nonexistent/lode/object".into()),
        Output::Vec,
    );
    let err = transform(&pool, request).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
}

#[test]
fn async_reader_to_async_writer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A reader's size is unknown, so a module with the streaming form always streams it.
    for (threshold, len) in [(u64::MAX, 100_000), (0, 5 << 20), (0, 0)] {
        let pool = echo_pool(threshold);
        let input = data(len);
        let (client, mut server) = tokio::io::duplex(64 << 10);
        let reader = std::io::Cursor::new(input.clone());
        let request = Request::new(
            "b/net",
            Input::Reader(Box::new(reader)),
            Output::Writer(Box::new(client)),
        );
        let (outcome, received) = rt.block_on(async {
            let drain = tokio::spawn(async move {
                let mut got = Vec::new();
                server.read_to_end(&mut got).await.map(|_| got)
            });
            let outcome = pool.transform(request).await.unwrap();
            (outcome, drain.await.unwrap().unwrap())
        });
        assert_eq!(received, input, "len {len}");
        assert!(outcome.streamed);
        assert_eq!(outcome.bytes_out, len as u64);
    }
}

#[test]
fn command_reads_an_async_reader() {
    let module = load_wat(wat::CAT, Limits::default());
    let pool = crate::pool(&module, discard_logs());
    let input = data(700_000);
    let reader = std::io::Cursor::new(input.clone());
    let outcome = transform(
        &pool,
        Request::new("b/o", Input::Reader(Box::new(reader)), Output::Vec),
    )
    .unwrap();
    assert_eq!(outcome.output.unwrap(), input);
}

#[test]
fn a_closed_writer_fails_the_object() {
    let pool = echo_pool(0);
    let (client, server) = tokio::io::duplex(1024);
    drop(server);
    let input = Input::Bytes(data(4 << 20).into());
    let err = transform(
        &pool,
        Request::new("b/o", input, Output::Writer(Box::new(client))),
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
}

#[test]
fn dropping_the_future_cancels_the_object() {
    let pool = echo_pool(0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A reader that never ends: the worker is streaming when the caller gives up.
    let (reader, _keep_open) = tokio::io::duplex(16);
    let request = Request::new("b/slow", Input::Reader(Box::new(reader)), Output::Vec);
    let timed_out = rt.block_on(async {
        tokio::time::timeout(Duration::from_millis(100), pool.transform(request)).await
    });
    assert!(timed_out.is_err());
    // Both workers are still there for the next objects.
    assert_eq!(run_bytes(&pool, "b/a", "", b"a").unwrap(), b"a");
    assert_eq!(run_bytes(&pool, "b/b", "", b"b").unwrap(), b"b");
}

#[test]
fn worker_runs_synchronously_and_reuses_or_not() {
    let module = load_wat(wat::ECHO, Limits::default());
    for reuse in [true, false] {
        let config = PoolConfig {
            reuse_instances: reuse,
            ..PoolConfig::default()
        };
        let mut worker = Worker::new(&module, &config);
        for i in 0..3 {
            let request = Request::new("b/o", Input::Bytes(data(i * 10).into()), Output::Vec);
            let outcome = worker.run(request).unwrap();
            assert_eq!(outcome.output.unwrap(), data(i * 10));
            assert_eq!(outcome.fresh_instance, !reuse || i == 0);
        }
        let request = Request::new(
            "b/o",
            Input::Reader(Box::new(tokio::io::empty())),
            Output::Vec,
        );
        assert!(matches!(
            worker.run(request).unwrap_err().kind(),
            ErrorKind::Io(_)
        ));
    }
}

/// A caller that stops reading the output (a stalled HTTP client) or never sends the rest of
/// the input used to hold the worker and its instance forever: waits were not charged to the
/// deadline and had no limit of their own.
#[test]
fn a_caller_that_stops_reading_or_writing_no_longer_pins_the_instance() {
    let limits = Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (name, wat) in [("command", wat::CAT), ("sdk", wat::ECHO)] {
        let module = load_wat(wat, limits.clone());
        let pool = crate::pool(&module, discard_logs());
        // Output: nobody reads the writer's other end.
        let (client, _server) = tokio::io::duplex(1024);
        let stalled_out = Request::new(
            "b/out",
            Input::Bytes(data(8 << 20).into()),
            Output::Writer(Box::new(client)),
        );
        // Input: a reader that never ends and never sends.
        let (reader, _writer) = tokio::io::duplex(16);
        let stalled_in = Request::new("b/in", Input::Reader(Box::new(reader)), Output::Vec);
        for (request, stream) in [(stalled_out, "output"), (stalled_in, "input")] {
            let err = rt
                .block_on(async {
                    tokio::time::timeout(Duration::from_secs(20), pool.transform(request)).await
                })
                .unwrap_or_else(|_| panic!("{name}: a stalled {stream} hung the object"))
                .unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Stalled { stream: s, limit }
                    if *s == stream && *limit == limits.deadline),
                "{name} {stream}: {err}"
            );
        }
        // The workers are free for the next objects.
        assert_eq!(run_bytes(&pool, "b/a", "", b"a").unwrap(), b"a", "{name}");
    }
}
