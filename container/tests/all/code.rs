//! Python runtimes: init_class (pickled ETLServer class) and init code, plus io://.

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use lode_container::{CommError, CommType, Communicator, ContainerSpec, Launch, Outcome};

use crate::support::*;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Pickles a class the way the SDK's `init_class` does: cloudpickle of a class defined in
/// `__main__`, base64.
fn class_payload(venv: &std::path::Path, source: &str) -> String {
    let script = format!(
        "{source}\nimport base64, cloudpickle, sys\nsys.stdout.write(base64.b64encode(cloudpickle.dumps(ETL)).decode())\n"
    );
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn init_class_fastapi_and_http_servers() {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    for base in ["FastAPIServer", "HTTPMultiThreadedServer", "FlaskServer"] {
        let module = match base {
            "FastAPIServer" => "fastapi_server",
            "FlaskServer" => "flask_server",
            _ => "http_multi_threaded_server",
        };
        let source = format!(
            "from aistore.sdk.etl.webserver.{module} import {base}\nclass ETL({base}):\n    def transform(self, data, path, etl_args):\n        return data.upper()\n"
        );
        let payload = class_payload(&w.venv, &source);
        let msg = serde_json::json!({"name": ETL, "communication": "hpush://", "support_direct_put": true,
            "runtime": {"image": "aistorage/runtime_python:3.11", "env": [
                {"name": "ETL_CLASS_PAYLOAD", "value": payload}, {"name": "NUM_WORKERS", "value": "1"}]}});
        let pod = start(msg.to_string().as_bytes(), &w.config(), &target.url).await;
        let c = comm(CommType::Hpush, &pod).await;
        let got = c
            .transform("ais/@#/b/o.txt", None, Some("shout".into()), "", None)
            .await
            .unwrap();
        assert_eq!(got, Outcome::Bytes(Bytes::from_static(b"SHOUT")), "{base}");
    }
}

const MD5_CODE: &str = "import hashlib\n\ndef md5(data):\n    if isinstance(data, str):\n        with open(data, 'rb') as f:\n            data = f.read()\n    elif not isinstance(data, bytes):\n        h = hashlib.md5()\n        for chunk in data:\n            h.update(chunk)\n        return h.hexdigest().encode()\n    return hashlib.md5(data).hexdigest().encode()\n";

#[tokio::test]
async fn init_code_bytes_fqn_and_chunks() {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    let data = vec![42u8; 100_000];
    let fqn = w.file("code.bin", &data);
    for (argument, chunk) in [("", 0), ("fqn", 0), ("", 4096)] {
        let msg = serde_json::json!({"name": ETL, "runtime": "python3.11v2", "communication": "hpush://",
            "code": b64(MD5_CODE), "funcs": {"transform": "md5"}, "argument": argument, "chunk_size": chunk,
            "env": [{"name": "NUM_WORKERS", "value": "1"}]});
        let pod = start(msg.to_string().as_bytes(), &w.config(), &target.url).await;
        let c = comm(CommType::Hpush, &pod).await;
        let got = c
            .transform("ais/@#/b/code.bin", Some(&fqn), None, "", None)
            .await
            .unwrap();
        assert_eq!(
            got,
            Outcome::Bytes(md5_hex(&data).into()),
            "argument={argument:?} chunk={chunk}"
        );
    }
}

async fn io_comm(msg: serde_json::Value, w: &Workdir) -> Communicator {
    let spec = ContainerSpec::parse(msg.to_string().as_bytes()).unwrap();
    assert_eq!(spec.comm, CommType::Io);
    let launch = Launch::plan(&spec, ETL, &w.config()).await.unwrap();
    Communicator::io(
        &launch,
        &pod_options("http://127.0.0.1:9"),
        Duration::from_secs(60),
    )
}

#[tokio::test]
async fn io_runs_one_process_per_object() {
    let w = Workdir::new(&[]).await;
    let shell = io_comm(
        serde_json::json!({"name": ETL, "communication": "io://",
            "runtime": {"image": IMAGE, "command": ["sh", "-c", "tr a-z A-Z; printf \"$ETL_ARGS\""]}}),
        &w,
    )
    .await;
    let fqn = w.file("io.txt", b"from file ");
    let got = shell
        .transform("ais/@#/b/io.txt", Some(&fqn), None, "!", None)
        .await
        .unwrap();
    assert_eq!(got, Outcome::Bytes(Bytes::from_static(b"FROM FILE !")));
    let got = shell
        .transform("ais/@#/b/io.txt", None, Some("from body".into()), "", None)
        .await
        .unwrap();
    assert_eq!(got, Outcome::Bytes(Bytes::from_static(b"FROM BODY")));

    let failing = io_comm(
        serde_json::json!({"name": ETL, "communication": "io://",
            "runtime": {"image": IMAGE, "command": ["sh", "-c", "echo broken >&2; exit 4"]}}),
        &w,
    )
    .await;
    match failing
        .transform("ais/@#/b/x", None, Some("x".into()), "", None)
        .await
    {
        Err(CommError::Status { status: 500, text }) => assert!(text.contains("broken"), "{text}"),
        other => panic!("expected an error, got {other:?}"),
    }

    let code = "import sys, hashlib\n\ndef transform():\n    sys.stdout.buffer.write(hashlib.md5(sys.stdin.buffer.read()).hexdigest().encode())\n";
    let python = io_comm(
        serde_json::json!({"name": ETL, "communication": "io://", "runtime": "python3.11v2",
            "code": b64(code), "funcs": {"transform": "transform"}}),
        &w,
    )
    .await;
    let got = python
        .transform("ais/@#/b/x", None, Some("abc".into()), "", None)
        .await
        .unwrap();
    assert_eq!(got, Outcome::Bytes(md5_hex(b"abc").into()));
}
