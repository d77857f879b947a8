//! The harness for `etl.rs`: a cluster of `lode node` processes this test started itself (so
//! it knows every pid and can SIGKILL and restart one target), and the HTTP calls the tests make.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use lode_testkit::{free_port_block, wasm_module, Daemon};
use serde_json::{json, Value};

/// A gateway (`p1`) and targets `t1..tN` on consecutive free ports.
pub struct Cluster {
    nodes: BTreeMap<String, Daemon>,
    targets: usize,
    pub gw: String,
    follow: reqwest::Client,
    nofollow: reqwest::Client,
    /// For PUTs through the gateway: fresh connections, since the gateway answers 307 without
    /// reading the body and closes that connection.
    uploads: reqwest::Client,
    root: tempfile::TempDir, // after `nodes`: dropped once every process is gone
}

impl Cluster {
    pub async fn start(targets: u16) -> Cluster {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("logs")).expect("logs dir");
        let port = free_port_block(targets + 1).expect("free loopback ports");
        let gw = format!("http://127.0.0.1:{port}");
        let client = |policy| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .redirect(policy)
                .build()
                .expect("client")
        };
        let mut c = Cluster {
            nodes: BTreeMap::new(),
            targets: usize::from(targets),
            gw: gw.clone(),
            follow: client(reqwest::redirect::Policy::limited(10)),
            nofollow: client(reqwest::redirect::Policy::none()),
            uploads: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(0)
                .build()
                .expect("client"),
            root,
        };
        let node_args = |role: &str, id: &str, port: u16, data: &Path| {
            let mut args: Vec<OsString> = [
                "node",
                role,
                "--id",
                id,
                "--port",
                &port.to_string(),
                "--data",
            ]
            .map(OsString::from)
            .to_vec();
            args.push(data.join(id).into());
            if role == "target" {
                args.extend(["--gateway", &gw].map(OsString::from));
            }
            args
        };
        let data = c.root.path().join("data");
        c.spawn("p1", node_args("gateway", "p1", port, &data));
        for i in 1..=targets {
            let id = format!("t{i}");
            c.spawn(&id, node_args("target", &id, port + i, &data));
        }
        c.wait_ready().await;
        c
    }

    fn spawn(&mut self, id: &str, args: Vec<OsString>) {
        let log = self.root.path().join("logs").join(format!("{id}.log"));
        let lode = Path::new(env!("CARGO_BIN_EXE_lode"));
        let node = Daemon::spawn(lode, args, log).expect("spawn lode node");
        self.nodes.insert(id.to_owned(), node);
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|(id, n)| format!("--- {id}\n{}\n", n.log_tail(40)))
            .collect()
    }

    /// Until the gateway is healthy and its smap lists every target.
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(id) = self
                .nodes
                .iter_mut()
                .find_map(|(id, n)| (!n.alive()).then(|| id.clone()))
            {
                panic!("{id} exited early\n{}", self.logs());
            }
            let healthy = self
                .nofollow
                .get(format!("{}/v1/health", self.gw))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                if let Ok(resp) = self
                    .nofollow
                    .get(format!("{}/v1/daemon?what=smap", self.gw))
                    .send()
                    .await
                {
                    let smap: Value = resp.json().await.unwrap_or_default();
                    if smap["tmap"].as_object().map_or(0, |m| m.len()) >= self.targets {
                        return;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "cluster at {} not ready after 60 s\n{}",
                self.gw,
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn kill9(&mut self, id: &str) {
        self.nodes.get_mut(id).expect("known node").kill9();
    }

    /// Starts `id` again with the arguments it had and waits until it serves.
    pub async fn restart(&mut self, id: &str) {
        let old = self.nodes.remove(id).expect("known node");
        let node = old.restart().expect("restart lode node");
        self.nodes.insert(id.to_owned(), node);
        self.wait_ready().await;
    }

    pub fn assert_all_alive(&mut self) {
        let dead: Vec<String> = self
            .nodes
            .iter_mut()
            .filter_map(|(id, n)| (!n.alive()).then(|| id.clone()))
            .collect();
        assert!(dead.is_empty(), "{dead:?} died\n{}", self.logs());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.gw)
    }

    pub async fn smap(&self) -> Value {
        self.json(self.follow.get(self.url("daemon?what=smap")))
            .await
    }

    async fn json(&self, req: reqwest::RequestBuilder) -> Value {
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert!(status.is_success(), "{status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    async fn ok(&self, req: reqwest::RequestBuilder, what: &str) -> String {
        let resp = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert!(
            status.is_success(),
            "{what}: {status} {text}\n{}",
            self.logs()
        );
        text
    }

    /// Init code (`runtime: wasm32`) from a module in the Wasm dir, plus `extra` fields.
    pub async fn init_code(&self, name: &str, module: &str, extra: Value) {
        let code = base64::engine::general_purpose::STANDARD.encode(wasm_module(module));
        let mut msg = json!({"name": name, "runtime": "wasm32", "code": code});
        msg.as_object_mut()
            .expect("object")
            .extend(extra.as_object().cloned().unwrap_or_default());
        let xid = self
            .ok(self.follow.put(self.url("etl")).json(&msg), "ETL init")
            .await;
        assert!(xid.starts_with("etl-"), "{xid}");
    }

    pub async fn create_bucket(&self, bucket: &str) {
        let msg = json!({"action": "create-bck", "name": "", "value": null});
        self.ok(
            self.follow
                .post(self.url(&format!("buckets/{bucket}?provider=ais")))
                .json(&msg),
            "create bucket",
        )
        .await;
    }

    pub async fn put(&self, bucket: &str, name: &str, data: Vec<u8>) {
        let url = self.url(&format!("objects/{bucket}/{name}?provider=ais"));
        self.ok(self.uploads.put(url).body(data), name).await;
    }

    /// PUTs `data` under every name, 8 at a time.
    pub async fn put_many(&self, bucket: &str, names: &[String], data: &[u8]) {
        for chunk in names.chunks(8) {
            let puts = chunk.iter().map(|n| self.put(bucket, n, data.to_vec()));
            futures_util::future::join_all(puts).await;
        }
    }

    /// POST an action message to a bucket (`bck_to` = the destination's uname); returns the body.
    pub async fn post_bucket(&self, bucket: &str, dst: Option<&str>, msg: &Value) -> String {
        let mut path = format!("buckets/{bucket}?provider=ais");
        if let Some(dst) = dst {
            path += &format!("&bck_to=ais%2F%40%23%2F{dst}%2F");
        }
        self.ok(self.follow.post(self.url(&path)).json(msg), "bucket action")
            .await
    }

    /// PUTs a large body straight to the object's target (asked of the gateway first; hyper
    /// clients cannot resend a large body after the gateway's 307); returns the target's URL.
    pub async fn put_direct(&self, bucket: &str, name: &str, data: Vec<u8>) -> String {
        let location = self
            .redirect_of(&format!("objects/{bucket}/{name}?provider=ais"))
            .await;
        self.ok(self.uploads.put(&location).body(data), name).await;
        location
    }

    /// `GET /v1/etl/<name>?uuid=<xid>`: the init message and the job's object errors.
    pub async fn etl_details(&self, name: &str, xid: &str) -> Value {
        self.json(self.follow.get(self.url(&format!("etl/{name}?uuid={xid}"))))
            .await
    }

    pub async fn qryxstats(&self, xid: &str) -> Value {
        self.json(
            self.follow
                .get(self.url("cluster?what=qryxstats"))
                .json(&job_query(xid, "")),
        )
        .await
    }

    /// Where the gateway redirects a HEAD of `path`.
    pub async fn redirect_of(&self, path: &str) -> String {
        let resp = self
            .nofollow
            .head(self.url(path))
            .send()
            .await
            .expect("HEAD");
        let loc = resp.headers().get("location").and_then(|v| v.to_str().ok());
        loc.unwrap_or_else(|| panic!("HEAD {path}: {} without Location", resp.status()))
            .to_owned()
    }

    /// GET straight from one target: Some(body) on 200, None on 404.
    pub async fn get_direct(&self, target_url: &str, path: &str) -> Option<Vec<u8>> {
        let resp = self
            .nofollow
            .get(format!("{target_url}/v1/{path}"))
            .send()
            .await
            .expect("GET");
        match resp.status().as_u16() {
            200 => Some(resp.bytes().await.expect("body").to_vec()),
            404 => None,
            s => panic!(
                "GET {target_url}/v1/{path}: {s} {}",
                resp.text().await.unwrap_or_default()
            ),
        }
    }

    /// GET through the gateway, following its redirect: (status, body).
    pub async fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let resp = self.follow.get(self.url(path)).send().await.expect("GET");
        (
            resp.status().as_u16(),
            resp.bytes().await.expect("body").to_vec(),
        )
    }

    pub async fn exists(&self, bucket: &str, name: &str) -> bool {
        let resp = self
            .follow
            .head(self.url(&format!("objects/{bucket}/{name}?provider=ais")))
            .send()
            .await
            .expect("HEAD");
        resp.status().is_success()
    }
}

fn job_query(xid: &str, kind: &str) -> Value {
    json!({"ID": xid, "Kind": kind, "DaemonID": "", "Bck": null, "Buckets": null})
}

/// Polls `what=status` until the job has an end time; returns that status.
pub async fn wait_job(c: &Cluster, xid: &str, kind: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let status = c
            .json(
                c.follow
                    .get(c.url("cluster?what=status"))
                    .json(&job_query(xid, kind)),
            )
            .await;
        if status["end_time"].as_i64().unwrap_or(0) != 0 {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "job {xid} still running after {timeout:?}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
