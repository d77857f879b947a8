//! The `kubernetes` ETL runner end to end: `lode up --etl-runner kubernetes --kube-api-url`
//! against `lode-fake-kube` (in this test process), whose kubelet runs each pod's command —
//! the `aistore[etl]` FastAPI server computing MD5s — as a local process. No real cluster.
//!
//! Init makes one pod per target (pinned to node `lode-tK`); an inline GET and an offline
//! `etl-bck` job go through the pods; a target killed and restarted deletes its orphans (and
//! only its own) before it starts the ETL again; deleting the ETL deletes every pod.

// unsafe here: SIGKILL of a target this test started; each block says why it is sound.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{create_bucket, free_ports, get, put, start_with};
use lode_fake_kube::FakeKube;
use lode_testkit::md5_hex;
use serde_json::{json, Value};

const NS: &str = "default";
const ETL: &str = "md5-kube";
const OBJECTS: usize = 12;

const MD5_SERVER: &str = r#"
import hashlib
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer

class Md5(FastAPIServer):
    def transform(self, data, path, etl_args):
        if isinstance(data, str):
            with open(data, "rb") as f:
                data = f.read()
        return hashlib.md5(data).hexdigest().encode()

app = Md5().app
"#;

/// A `lode node target` started by this test; killed (by pid) on drop.
struct Restarted(Child);

impl Drop for Restarted {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` every 100 ms for up to `secs` seconds.
async fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn uids(fake: &FakeKube) -> BTreeMap<String, String> {
    fake.pod_names(NS)
        .into_iter()
        .filter_map(|n| {
            let uid = fake.pod(NS, &n)?["metadata"]["uid"].as_str()?.to_owned();
            Some((n, uid))
        })
        .collect()
}

/// The init message: the FastAPI MD5 server from `dir`, run by the venv's uvicorn.
fn init_msg(venv: &Path, dir: &Path) -> Value {
    let uvicorn = venv.join("bin/uvicorn").display().to_string();
    json!({"name": ETL, "communication": "hpush://", "init_timeout": "120s",
        "runtime": {"image": "lode-test/md5:latest", "command": [
            uvicorn, "--app-dir", dir.display().to_string(), "md5_srv:app",
            "--host", "127.0.0.1", "--port", "8000", "--workers", "1"]}})
}

async fn wait_job(http: &reqwest::Client, url: &str, xid: &str) -> Value {
    let query = json!({"ID": xid, "Kind": "etl-bck", "DaemonID": "", "Bck": null, "Buckets": null});
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let resp = http
            .get(format!("{url}/v1/cluster?what=status"))
            .json(&query)
            .send()
            .await
            .unwrap();
        let status: Value = resp.json().await.unwrap();
        if status["end_time"].as_i64().unwrap_or(0) != 0 {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "job {xid} still running: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kubernetes_runner_through_a_cluster() {
    let fake = FakeKube::start().await.unwrap();
    let venv = lode_container::ensure_venv(
        &lode_testkit::venv_root(),
        &lode_container::python_interpreter("3.11"),
        &[],
    )
    .await
    .unwrap();
    let code = tempfile::tempdir().unwrap();
    std::fs::write(code.path().join("md5_srv.py"), MD5_SERVER).unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = free_ports(3);
    let extra = ["--etl-runner", "kubernetes", "--kube-api-url", fake.url()].map(String::from);
    let c = start_with(data.path(), port, 3, &extra);
    let http = reqwest::Client::new();

    assert!(create_bucket(&c.url, "src").await.status().is_success());
    let mut inputs = BTreeMap::new();
    for i in 0..OBJECTS {
        let body = format!("object {i} through a kubernetes pod\n").repeat(1 + i * 13);
        assert!(put(&c.url, "src", &format!("o{i}.txt"), body.clone())
            .await
            .is_success());
        inputs.insert(format!("o{i}.txt"), body.into_bytes());
    }

    let resp = http
        .put(format!("{}/v1/etl", c.url))
        .json(&init_msg(&venv, code.path()))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let pods: Vec<String> = (1..=3).map(|k| format!("etl-{ETL}-t{k}")).collect();
    eventually(120, "one pod per target", || fake.pod_names(NS) == pods).await;
    for (k, pod) in pods.iter().enumerate() {
        let p = fake.pod(NS, pod).unwrap();
        let term = &p["spec"]["affinity"]["nodeAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0];
        assert_eq!(
            term["matchExpressions"][0]["values"],
            json!([format!("lode-t{}", k + 1)])
        );
    }

    // Inline: the pods become ready in the background; poll until the transform answers.
    let inline = format!(
        "{}/v1/objects/src/o3.txt?provider=ais&etl_name={ETL}",
        c.url
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let resp = http.get(&inline).send().await.unwrap();
        if resp.status().is_success() {
            assert_eq!(resp.text().await.unwrap(), md5_hex(&inputs["o3.txt"]));
            break;
        }
        assert!(Instant::now() < deadline, "inline GET: {}", resp.status());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Offline: every object through its target's pod into `dst`.
    assert!(create_bucket(&c.url, "dst").await.status().is_success());
    let msg = json!({"action": "etl-bck", "name": "", "value": {
        "id": ETL, "ext": {"txt": "md5"}, "prefix": "", "prepend": "", "dry_run": false,
        "force": false, "latest-ver": false, "synchronize": false, "request_timeout": "5m",
        "pipeline": null, "num-workers": 0}});
    let resp = http
        .post(format!(
            "{}/v1/buckets/src?provider=ais&bck_to=ais%2F%40%23%2Fdst%2F",
            c.url
        ))
        .json(&msg)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let xid = resp.text().await.unwrap();
    let status = wait_job(&http, &c.url, &xid).await;
    assert_eq!(
        (&status["err"], &status["aborted"]),
        (&json!(""), &json!(false)),
        "{status}"
    );
    for (name, body) in &inputs {
        let (code, out) = get(&c.url, "dst", &name.replace(".txt", ".md5")).await;
        assert_eq!(code, 200, "{name}");
        assert_eq!(String::from_utf8(out).unwrap(), md5_hex(body), "{name}");
    }

    // Restart t1 after a crash: its orphans go (a stale one and its old ETL pod), t2's and t3's
    // stay, and the ETL comes back on a new pod.
    let stale = json!({"metadata": {"name": "etl-stale-t1", "labels":
            {"app.kubernetes.io/managed-by": "lode", "lode.target": "t1"}},
        "spec": {"containers": [{"name": "c", "image": "x", "command": ["sleep", "300"]}]}});
    let created = http
        .post(format!("{}/api/v1/namespaces/{NS}/pods", fake.url()))
        .json(&stale)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let before = uids(&fake);
    let t1 = c.target_pid("t1").expect("t1 pid");
    let argv = std::fs::read(format!("/proc/{t1}/cmdline")).unwrap();
    let argv: Vec<String> = argv
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    // SAFETY: kill(2) on the pid of a live child of our `lode up` child, read just above.
    unsafe { libc::kill(t1, libc::SIGKILL) };
    eventually(30, "t1 gone", || {
        !Path::new(&format!("/proc/{t1}")).exists()
    })
    .await;
    let _t1 = Restarted(
        Command::new(env!("CARGO_BIN_EXE_lode"))
            .args(&argv[1..])
            .env("NODE_NAME", "lode-t1")
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    eventually(120, "orphans of t1 deleted, its ETL pod recreated", || {
        let now = uids(&fake);
        !now.contains_key("etl-stale-t1")
            && now
                .get(&pods[0])
                .is_some_and(|uid| Some(uid) != before.get(&pods[0]))
    })
    .await;
    let now = uids(&fake);
    for pod in &pods[1..] {
        assert_eq!(
            now.get(pod),
            before.get(pod),
            "{pod} belongs to another target"
        );
    }

    let resp = http
        .delete(format!("{}/v1/etl/{ETL}", c.url))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    eventually(60, "every ETL pod deleted", || {
        fake.pod_names(NS).is_empty()
    })
    .await;
}
