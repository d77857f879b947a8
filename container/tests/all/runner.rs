//! The process runner: port-8000 specs side by side, restart, process-group cleanup, errors.

// unsafe here: signals to transformer processes this test started; each block says why it is sound.
#![allow(unsafe_code)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use lode_container::{CommType, ContainerSpec, Launch, Outcome, ProcessPod, RunError};

use crate::support::*;

/// The pod spec form of the FastAPI server, with its port hard-coded to 8000.
fn pod_spec_message(workers: u32) -> Vec<u8> {
    use base64::Engine as _;
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: echo\n  annotations: {{communication_type: 'hpush://', wait_timeout: 5m}}\n\
         spec:\n  containers:\n  - name: server\n    image: {IMAGE}\n    ports: [{{name: default, containerPort: 8000}}]\n    \
         command: [sh, -c, 'exec uvicorn fastapi_srv:fastapi_app --host 0.0.0.0 --port 8000 --workers {workers}']\n    \
         readinessProbe: {{httpGet: {{path: /health, port: default}}}}\n"
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(yaml);
    serde_json::json!({"name": ETL, "spec": b64})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn three_port_8000_specs_run_at_once() {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    let (msg, cfg) = (pod_spec_message(1), w.config());
    let (a, b, c) = tokio::join!(
        start(&msg, &cfg, &target.url),
        start(&msg, &cfg, &target.url),
        start(&msg, &cfg, &target.url)
    );
    let ports = [a.port(), b.port(), c.port()];
    assert!(
        ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2],
        "{ports:?}"
    );
    for (i, pod) in [&a, &b, &c].into_iter().enumerate() {
        let body = Bytes::from(format!("pod {i}"));
        let got = comm(CommType::Hpush, pod)
            .await
            .transform("ais/@#/b/o", None, Some(body.clone()), "", None)
            .await;
        assert_eq!(got.unwrap(), Outcome::Bytes(body));
    }
}

#[tokio::test]
async fn killed_transformer_is_restarted_on_the_same_port() {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    let pod = start(
        &message(command("http"), "hpush://", &[]),
        &w.config(),
        &target.url,
    )
    .await;
    let first = pod.pid().unwrap();
    // SAFETY: signalling a process this test started.
    assert_eq!(unsafe { libc::kill(first as i32, libc::SIGKILL) }, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while pod.restarts() == 0 || pod.pid().is_none() {
        assert!(
            Instant::now() < deadline,
            "not restarted; logs:\n{}",
            pod.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(pod.pid(), Some(first));
    pod.wait_ready(Duration::from_secs(60)).await.unwrap();
    let got = comm(CommType::Hpush, &pod)
        .await
        .transform("ais/@#/b/o", None, Some("again".into()), "", None)
        .await;
    assert_eq!(got.unwrap(), Outcome::Bytes("again".into()));
    assert!(pod.logs().contains("restarting"), "{}", pod.logs());
}

fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::killpg(pgid, 0) == 0 }
}

async fn wait_gone(pgid: i32) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while group_alive(pgid) {
        assert!(Instant::now() < deadline, "process group {pgid} survived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn dropping_a_pod_kills_its_whole_process_group() {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    // sh -> uvicorn master -> 2 workers: three generations in one group.
    let pod = start(&pod_spec_message(2), &w.config(), &target.url).await;
    let pgid = pod.pid().unwrap() as i32;
    assert!(group_alive(pgid));
    drop(pod);
    wait_gone(pgid).await;
}

#[tokio::test]
async fn stop_terminates_the_group() {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    let pod = start(
        &message(command("flask"), "hpush://", &[]),
        &w.config(),
        &target.url,
    )
    .await;
    let pgid = pod.pid().unwrap() as i32;
    pod.stop().await;
    wait_gone(pgid).await;
}

#[tokio::test]
async fn a_command_that_exits_fails_init_with_its_output() {
    let w = Workdir::new(&[]).await;
    let msg = serde_json::json!({"name": ETL, "runtime": {"image": IMAGE, "command": ["sh", "-c", "echo no-server-here; exit 3"]}});
    let spec = ContainerSpec::parse(msg.to_string().as_bytes()).unwrap();
    let launch = Launch::plan(&spec, ETL, &w.config()).await.unwrap();
    match ProcessPod::start(&launch, &pod_options("http://127.0.0.1:9")).await {
        Err(RunError::Exited { logs, .. }) => assert!(logs.contains("no-server-here"), "{logs}"),
        other => panic!("expected Exited, got {other:?}"),
    }
}

#[tokio::test]
async fn an_image_without_command_needs_the_image_map() {
    let w = Workdir::new(&[]).await;
    let msg = br#"{"name": "x-etl", "runtime": {"image": "acme/unmapped:1"}}"#;
    let spec = ContainerSpec::parse(msg).unwrap();
    let err = Launch::plan(&spec, ETL, &w.config()).await.unwrap_err();
    assert!(err.to_string().contains("acme/unmapped:1"), "{err}");
}
