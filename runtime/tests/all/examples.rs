//! The real example modules built by `scripts/build-wasm.sh`, found in `$LODE_WASM_DIR`
//! (default `$CARGO_TARGET_DIR/wasm`).

use std::process::Command;

use lode_runtime::{
    discard_logs, ErrorKind, Input, Limits, LogLevel, ModuleStyle, Output, Request,
};
use lode_testkit::wasm_module;

use crate::{capture_logs, data, pool, run_bytes, runtime, transform};

fn load(name: &str, limits: Limits) -> lode_runtime::Module {
    runtime().load(&wasm_module(name), limits).unwrap()
}

#[test]
fn echo_in_both_forms() {
    let module = load("echo.wasm", Limits::default());
    assert_eq!(
        module.style(),
        ModuleStyle::Sdk {
            whole: true,
            streaming: true
        }
    );
    let pool = pool(&module, discard_logs());
    for len in [0, 1, 4096, 9 << 20] {
        let input = data(len);
        assert_eq!(
            run_bytes(&pool, "b/o", "", &input).unwrap(),
            input,
            "len {len}"
        );
    }
}

/// A blocking writer shared with the test: what reached it, and whether it was flushed.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<(Vec<u8>, bool)>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().1 = true;
        Ok(())
    }
}

#[test]
fn a_sync_output_gets_every_byte_in_both_forms_and_is_flushed_only_on_success() {
    let echo = pool(&load("echo.wasm", Limits::default()), discard_logs());
    for len in [0, 4096, 9 << 20] {
        let (input, sink) = (data(len), Shared::default());
        let request = Request::new(
            "b/o",
            Input::Bytes(input.clone().into()),
            Output::Sync(Box::new(sink.clone())),
        );
        let outcome = transform(&echo, request).unwrap();
        assert!(outcome.output.is_none());
        let got = sink.0.lock().unwrap();
        assert!(
            got.0 == input && got.1,
            "len {len}: {} bytes, flushed {}",
            got.0.len(),
            got.1
        );
    }
    let faults = pool(&load("faults.wasm", Limits::default()), discard_logs());
    let sink = Shared::default();
    let request = Request::new(
        "b/o",
        Input::Bytes("x".into()),
        Output::Sync(Box::new(sink.clone())),
    )
    .with_args("fail");
    assert!(transform(&faults, request).is_err());
    assert!(
        !sink.0.lock().unwrap().1,
        "a failed object's output is not flushed"
    );
}

#[test]
fn md5_matches_known_digests_whole_and_streamed() {
    let pool = pool(&load("md5.wasm", Limits::default()), discard_logs());
    assert_eq!(
        run_bytes(&pool, "b/o", "", b"abc").unwrap(),
        b"900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(
        run_bytes(&pool, "b/o", "", b"").unwrap(),
        b"d41d8cd98f00b204e9800998ecf8427e"
    );
    let big = vec![b'a'; 10 << 20]; // above the streaming threshold
    let outcome = transform(
        &pool,
        Request::new("b/big", Input::Bytes(big.into()), Output::Vec),
    )
    .unwrap();
    assert!(outcome.streamed);
    assert_eq!(outcome.bytes_in, 10 << 20);
    assert_eq!(outcome.output.unwrap().len(), 32);
}

#[test]
fn upper_upper_cases() {
    let pool = pool(&load("upper.wasm", Limits::default()), discard_logs());
    assert_eq!(
        run_bytes(&pool, "b/o", "", b"Hello, lode!").unwrap(),
        b"HELLO, LODE!"
    );
}

#[test]
fn faults_each_fail_only_their_object() {
    let limits = Limits {
        deadline: std::time::Duration::from_millis(500),
        max_memory: 32 << 20,
        ..Limits::default()
    };
    let (log, lines) = capture_logs();
    let pool = pool(&load("faults.wasm", limits), log);
    let err = run_bytes(&pool, "b/p", "panic", b"x").unwrap_err();
    match err.kind() {
        ErrorKind::Trap {
            guest_message: Some(m),
            ..
        } => {
            assert!(m.contains("lode-example-faults: panic requested"), "{m}")
        }
        other => panic!("{other}"),
    }
    let err = run_bytes(&pool, "b/f", "fail", b"x").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::GuestError(m) if m == "lode-example-faults: failure requested"),
        "{err}"
    );
    let err = run_bytes(&pool, "b/l", "loop", b"x").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Deadline(_)), "{err}");
    let err = run_bytes(&pool, "b/a", "alloc", b"x").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MemoryLimit { limit, .. } if *limit == 32 << 20),
        "{err}"
    );
    // Rust's shadow stack lives in linear memory: it runs out below address 0 (an
    // out-of-bounds trap) before the wasm call stack does.
    let err = run_bytes(&pool, "b/r", "recurse", b"x").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Trap { .. }), "{err}");
    assert_eq!(
        run_bytes(&pool, "bkt/name", "object", b"x").unwrap(),
        b"bkt/name"
    );
    assert_eq!(
        run_bytes(&pool, "b/log", "log", b"still here").unwrap(),
        b"still here"
    );
    let lines = lines.lock().unwrap();
    let levels: Vec<LogLevel> = lines
        .iter()
        .filter(|l| l.0 == "b/log")
        .map(|l| l.1)
        .collect();
    assert_eq!(
        levels,
        [
            LogLevel::Debug,
            LogLevel::Info,
            LogLevel::Warn,
            LogLevel::Error
        ]
    );
}

#[test]
fn rot13_command_sees_args_and_object() {
    let module = load("rot13_c.wasm", Limits::default());
    assert_eq!(module.style(), ModuleStyle::Command);
    let (log, lines) = capture_logs();
    let pool = pool(&module, log);
    assert_eq!(run_bytes(&pool, "b/plain", "", b"Hello").unwrap(), b"Uryyb");
    assert_eq!(
        run_bytes(&pool, "b/up", "upper", b"Hello").unwrap(),
        b"URYYB"
    );
    let lines = lines.lock().unwrap();
    assert_eq!(lines[0].2, "rot13: b/plain: 5 bytes");
    assert_eq!(lines[1].2, "rot13: b/up: 5 bytes (upper)");
}

#[test]
fn flac2wav_converts_a_flac_file() {
    let dir = tempfile::tempdir().unwrap();
    let (wav, flac) = (dir.path().join("in.wav"), dir.path().join("in.flac"));
    std::fs::write(&wav, sine_wav(16_000, 8_000)).unwrap();
    let status = Command::new("flac")
        .args(["--silent", "-f", "-o"])
        .arg(&flac)
        .arg(&wav)
        .status();
    assert!(
        status.map(|s| s.success()).unwrap_or(false),
        "needs the `flac` command"
    );
    let pool = pool(&load("flac2wav.wasm", Limits::default()), discard_logs());
    let request = Request::new("b/in.flac", Input::File(flac), Output::Vec)
        .with_args(r#"{"AR":8000,"AC":1}"#);
    let out = transform(&pool, request).unwrap().output.unwrap();
    assert_eq!(&out[..4], b"RIFF");
    assert_eq!(&out[8..12], b"WAVE");
    assert_eq!(
        out.len(),
        44 + 8_000 * 2 / 2,
        "half a second of 8 kHz mono 16-bit"
    );
}

/// Mono 16-bit PCM WAV: `samples` samples of a 440 Hz sine at `rate`.
fn sine_wav(rate: u32, samples: u32) -> Vec<u8> {
    let mut wav = Vec::new();
    let data_len = samples * 2;
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = i as f64 / f64::from(rate);
        let s = (t * 440.0 * std::f64::consts::TAU).sin() * 12_000.0;
        wav.extend_from_slice(&(s as i16).to_le_bytes());
    }
    wav
}

#[test]
fn configured_env_reaches_the_module_but_not_the_host_env() {
    let module = load("faults.wasm", Limits::default());
    let config = lode_runtime::PoolConfig {
        workers: 1,
        env: vec![
            ("GREETING".into(), "hello from the ETL".into()),
            // Reserved names cannot be overridden through the configured env.
            ("ETL_ARGS".into(), "spoofed".into()),
        ],
        ..lode_runtime::PoolConfig::default()
    };
    let pool = lode_runtime::Pool::new(&module, config).unwrap();
    assert_eq!(
        run_bytes(&pool, "b/o", "env:GREETING", b"").unwrap(),
        b"hello from the ETL"
    );
    // The host's own environment stays out of the sandbox.
    assert!(std::env::var_os("PATH").is_some());
    assert_eq!(run_bytes(&pool, "b/o", "env:PATH", b"").unwrap(), b"");
}
