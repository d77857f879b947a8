//! lode-container's `kubernetes` runner against this fake API server (in-process), whose kubelet
//! runs the real `aistore[etl]` FastAPI server as the pod. No real cluster is involved.
//! The fixtures (venv, server working directory, fake target) are lode-container's own test
//! support, compiled in here from its one file.

#[allow(dead_code)] // this test uses only some of the shared fixtures
#[path = "../../container/tests/all/support.rs"]
mod support;

use std::time::Duration;

use bytes::Bytes;
use lode_container::{
    CommOptions, CommType, Communicator, ContainerSpec, Kube, KubeConfig, Outcome, Pod, Runner,
};
use lode_fake_kube::FakeKube;
use serde_json::json;

use crate::support::*;

const NS: &str = "etl-tests";
const POD: &str = "etl-test-etl-t1";

async fn runner(fake: &FakeKube, target_id: &str, w: &Workdir) -> Runner {
    let kube = Kube::connect(KubeConfig {
        api_url: Some(fake.url().to_owned()),
        namespace: Some(NS.into()),
        node_name: "node-a".into(),
        target_id: target_id.into(),
        mountpaths: vec![w.dir.path().to_owned()],
    })
    .await
    .unwrap();
    Runner::Kubernetes(kube)
}

/// An image + command message: the pod's PATH has the venv (the image's filesystem).
fn kube_message(w: &Workdir, command: Vec<String>) -> ContainerSpec {
    let path = format!(
        "{}:{}",
        w.venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let msg = json!({"name": ETL, "communication": "hpush://", "support_direct_put": true,
        "runtime": {"image": IMAGE, "command": command, "env": [{"name": "PATH", "value": path}]}});
    ContainerSpec::parse(msg.to_string().as_bytes()).unwrap()
}

fn fastapi(w: &Workdir) -> Vec<String> {
    let app_dir = w.dir.path().display().to_string();
    ["uvicorn", "--app-dir", &app_dir, "fastapi_srv:fastapi_app"]
        .into_iter()
        .chain(["--host", "0.0.0.0", "--port", "8000", "--workers", "1"])
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn kube_pod_starts_transforms_logs_and_is_deleted_on_stop() {
    let fake = FakeKube::start().await.unwrap();
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    let runner = runner(&fake, "t1", &w).await;
    let spec = kube_message(&w, fastapi(&w));
    let pod = Pod::start(&runner, &spec, ETL, &pod_options(&target.url))
        .await
        .unwrap();
    assert_eq!(fake.pod_names(NS), [POD]);
    let stored = fake.pod(NS, POD).unwrap();
    let real_port = stored["spec"]["containers"][0]["ports"][0]["containerPort"].clone();
    assert_eq!(pod.url(), format!("http://127.0.0.1:{real_port}"));
    assert_ne!(real_port, json!(8000), "the fake must have moved the port");

    let opts = CommOptions {
        obj_timeout: Duration::from_secs(60),
        ws_connections: 2,
    };
    let comm = Communicator::connect(CommType::Hpush, &pod.url(), &opts)
        .await
        .unwrap();
    let data = b"kube pod data".repeat(1000);
    let fqn = w.file("k/obj.bin", &data);
    let echo = comm
        .transform("ais/@#/b/k/obj.bin", Some(&fqn), None, "", None)
        .await
        .unwrap();
    assert_eq!(echo, Outcome::Bytes(Bytes::from(data.clone())));
    let md5 = comm
        .transform(
            "ais/@#/b/o",
            None,
            Some(Bytes::from(data.clone())),
            "md5",
            None,
        )
        .await
        .unwrap();
    assert_eq!(md5, Outcome::Bytes(md5_hex(&data).into()));
    assert!(
        pod.logs().contains("Uvicorn running"),
        "logs come from pods/{{name}}/log: {:?}",
        pod.logs()
    );

    let url = pod.url();
    pod.stop().await.unwrap();
    assert!(fake.pod_names(NS).is_empty(), "stop deletes the pod");
    let gone = reqwest::get(format!("{url}/health")).await;
    assert!(gone.is_err(), "the pod's process must be dead: {gone:?}");
}

#[tokio::test]
async fn init_code_runs_in_a_kube_pod_through_the_bootstrap() {
    use base64::Engine as _;
    let fake = FakeKube::start().await.unwrap();
    let w = Workdir::new(&[]).await;
    let runner = runner(&fake, "t1", &w).await;
    let path = format!(
        "{}:{}",
        w.venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let code = "def transform(data):\n    return data.upper()\n";
    let msg = json!({"name": ETL, "runtime": "python3.11v2", "communication": "hpush://",
        "code": base64::engine::general_purpose::STANDARD.encode(code),
        "funcs": {"transform": "transform"},
        "env": [{"name": "PATH", "value": path}, {"name": "NUM_WORKERS", "value": "1"}]});
    let spec = ContainerSpec::parse(msg.to_string().as_bytes()).unwrap();
    let pod = Pod::start(&runner, &spec, ETL, &pod_options("http://127.0.0.1:9"))
        .await
        .unwrap();
    let image = fake.pod(NS, POD).unwrap()["spec"]["containers"][0]["image"].clone();
    assert_eq!(image, "aistorage/runtime_python:3.11");
    let opts = CommOptions {
        obj_timeout: Duration::from_secs(60),
        ws_connections: 1,
    };
    let comm = Communicator::connect(CommType::Hpush, &pod.url(), &opts)
        .await
        .unwrap();
    let out = comm
        .transform(
            "ais/@#/b/o",
            None,
            Some(Bytes::from_static(b"abc")),
            "",
            None,
        )
        .await
        .unwrap();
    assert_eq!(out, Outcome::Bytes(Bytes::from_static(b"ABC")));
    pod.stop().await.unwrap();
}

#[tokio::test]
async fn kube_pod_whose_command_exits_fails_start_with_the_reason() {
    let fake = FakeKube::start().await.unwrap();
    let w = Workdir::new(&[]).await;
    let runner = runner(&fake, "t1", &w).await;
    let cmd = ["sh", "-c", "echo no-such-module-here >&2; exit 3"];
    let spec = kube_message(&w, cmd.map(str::to_owned).to_vec());
    let err = Pod::start(&runner, &spec, ETL, &pod_options("http://127.0.0.1:9"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(POD) && err.contains("exit code 3"), "{err}");
    assert!(
        err.contains("no-such-module-here"),
        "logs in the error: {err}"
    );
    assert!(fake.pod_names(NS).is_empty(), "a failed pod is deleted");
}

#[tokio::test]
async fn dropping_a_kube_pod_deletes_it() {
    let fake = FakeKube::start().await.unwrap();
    let w = Workdir::new(&[]).await;
    let runner = runner(&fake, "t1", &w).await;
    let spec = kube_message(&w, fastapi(&w));
    let pod = Pod::start(&runner, &spec, ETL, &pod_options("http://127.0.0.1:9"))
        .await
        .unwrap();
    drop(pod);
    for _ in 0..200 {
        if fake.pod_names(NS).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the dropped pod is still there: {:?}", fake.pod_names(NS));
}

#[tokio::test]
async fn orphan_cleanup_deletes_only_this_targets_pods() {
    let fake = FakeKube::start().await.unwrap();
    let w = Workdir::new(&[]).await;
    let http = reqwest::Client::new();
    let pods = [
        (
            "mine-1",
            json!({"app.kubernetes.io/managed-by": "lode", "lode.target": "t1"}),
        ),
        (
            "mine-2",
            json!({"app.kubernetes.io/managed-by": "lode", "lode.target": "t1", "lode.etl": "x"}),
        ),
        (
            "other-target",
            json!({"app.kubernetes.io/managed-by": "lode", "lode.target": "t2"}),
        ),
        ("not-lode", json!({"lode.target": "t1"})),
    ];
    for (name, labels) in &pods {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "300"]}]}});
        let resp = http
            .post(format!("{}/api/v1/namespaces/{NS}/pods", fake.url()))
            .json(&pod)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
    }
    let Runner::Kubernetes(kube) = runner(&fake, "t1", &w).await else {
        unreachable!()
    };
    let mut gone = kube.cleanup_orphans().await.unwrap();
    gone.sort();
    assert_eq!(gone, ["mine-1", "mine-2"]);
    let mut left = fake.pod_names(NS);
    left.sort();
    assert_eq!(left, ["not-lode", "other-target"]);
}
