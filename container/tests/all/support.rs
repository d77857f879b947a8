//! Shared test fixtures: the venv, a server working directory, pods, and a fake target.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use lode_container::{
    ensure_venv, python_interpreter, CommOptions, CommType, Communicator, ContainerSpec, Launch,
    LocalImage, PodOptions, ProcessPod, RunnerConfig,
};
use tokio::net::TcpListener;

pub const IMAGE: &str = "lode-test/servers:latest";
pub const SECRET: &str = "s3cr3t";
pub const ETL: &str = "test-etl";

pub use lode_testkit::venv_root;

/// The venv the runner's Python runtimes also get (same interpreter, no extra deps).
pub async fn venv() -> PathBuf {
    ensure_venv(&venv_root(), &python_interpreter("3.11"), &[])
        .await
        .expect("test venv")
}

/// The echo / md5 / fail transformer on all three SDK servers. `etl_args` picks the mode.
pub const SERVERS_PY: &str = r#"
import hashlib, sys
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer
from aistore.sdk.etl.webserver.flask_server import FlaskServer
from aistore.sdk.etl.webserver.http_multi_threaded_server import HTTPMultiThreadedServer

def transform(self, data, path, etl_args):
    if isinstance(data, str):
        with open(data, "rb") as f:
            data = f.read()
    if etl_args == "fail":
        raise ValueError("asked to fail on " + path)
    if etl_args == "md5":
        return hashlib.md5(data).hexdigest().encode()
    return data

class Fast(FastAPIServer):
    transform = transform

class Fl(FlaskServer):
    transform = transform

class Http(HTTPMultiThreadedServer):
    transform = transform
"#;

/// A working directory holding the test servers, like a transformer image's `/code`.
pub struct Workdir {
    pub dir: tempfile::TempDir,
    pub venv: PathBuf,
}

impl Workdir {
    pub async fn new(files: &[(&str, &str)]) -> Workdir {
        let venv = venv().await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("servers.py"), SERVERS_PY).unwrap();
        std::fs::write(
            dir.path().join("fastapi_srv.py"),
            "from servers import Fast\nfastapi_app = Fast().app\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("flask_srv.py"),
            "from servers import Fl\nflask_app = Fl().app\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("http_srv.py"),
            "import sys\nfrom servers import Http\nHttp(host='127.0.0.1', port=int(sys.argv[sys.argv.index('--port') + 1])).start()\n",
        )
        .unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Workdir { dir, venv }
    }

    pub fn config(&self) -> RunnerConfig {
        let path = format!(
            "{}:{}",
            self.venv.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let image = LocalImage {
            command: vec![],
            workdir: Some(self.dir.path().to_owned()),
            env: vec![("PATH".into(), path)],
        };
        RunnerConfig {
            images: HashMap::from([(IMAGE.to_string(), image)]),
            venv_root: venv_root(),
            work_root: self.dir.path().join("etls"),
        }
    }

    pub fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.dir.path().join("objects").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    }
}

/// The commands each server kind runs, written for a pod (port 8000, all interfaces).
pub fn command(kind: &str) -> &'static str {
    match kind {
        "fastapi" => "uvicorn fastapi_srv:fastapi_app --host 0.0.0.0 --port 8000 --workers 1 --ws-max-size 17179869184 --ws-ping-interval 0 --ws-ping-timeout 86400 --no-access-log",
        "flask" => "gunicorn flask_srv:flask_app --bind 0.0.0.0:8000 --workers 2",
        "http" => "python http_srv.py --port 8000",
        _ => unreachable!(),
    }
}

/// An init message for the test image running `command`.
pub fn message(command: &str, comm: &str, env: &[(&str, &str)]) -> Vec<u8> {
    let env: Vec<_> = env
        .iter()
        .map(|(n, v)| serde_json::json!({"name": n, "value": v}))
        .collect();
    serde_json::json!({"name": ETL, "communication": comm, "support_direct_put": true,
        "runtime": {"image": IMAGE, "command": command, "env": env}})
    .to_string()
    .into_bytes()
}

pub fn pod_options(target: &str) -> PodOptions {
    PodOptions {
        target_url: format!("{target}/v1/etl/_object/{ETL}/{SECRET}"),
        peers: vec![],
        direct_put: true,
        init_timeout: Duration::from_secs(120),
    }
}

pub async fn start(msg: &[u8], cfg: &RunnerConfig, target: &str) -> ProcessPod {
    let spec = ContainerSpec::parse(msg).unwrap();
    let launch = Launch::plan(&spec, ETL, cfg).await.unwrap();
    ProcessPod::start(&launch, &pod_options(target))
        .await
        .unwrap()
}

pub async fn comm(comm: CommType, pod: &ProcessPod) -> Communicator {
    let opts = CommOptions {
        obj_timeout: Duration::from_secs(60),
        ws_connections: 2,
    };
    Communicator::connect(comm, &pod.url(), &opts)
        .await
        .unwrap()
}

/// A fake target: serves `/v1/etl/_object/<etl>/<secret>/<uname>` GET (objects) and PUT
/// (direct puts land in `received`).
#[derive(Clone, Default)]
pub struct FakeTarget {
    pub objects: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    pub received: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    pub url: String,
}

impl FakeTarget {
    pub async fn start() -> FakeTarget {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let t = FakeTarget {
            url: format!("http://{}", listener.local_addr().unwrap()),
            ..FakeTarget::default()
        };
        let app = axum::Router::new()
            .route(
                "/v1/etl/_object/{etl}/{secret}/{*uname}",
                get(get_obj).put(put_obj),
            )
            .with_state(t.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        t
    }

    /// The direct-put destination URL for `uname` (a target entry: it has a path).
    pub fn dst(&self, uname: &str) -> String {
        format!(
            "{}/{}?owt=4&uuid=job1",
            self.url,
            lode_container::path_escape(uname)
        )
    }
}

async fn get_obj(
    State(t): State<FakeTarget>,
    UrlPath((_etl, secret, uname)): UrlPath<(String, String, String)>,
) -> Result<Vec<u8>, StatusCode> {
    if secret != SECRET {
        return Err(StatusCode::UNAUTHORIZED);
    }
    t.objects
        .lock()
        .unwrap()
        .get(&uname)
        .cloned()
        .ok_or(StatusCode::NOT_FOUND)
}

async fn put_obj(
    State(t): State<FakeTarget>,
    UrlPath((_etl, secret, uname)): UrlPath<(String, String, String)>,
    body: Bytes,
) -> StatusCode {
    if secret != SECRET {
        return StatusCode::UNAUTHORIZED;
    }
    t.received.lock().unwrap().insert(uname, body.to_vec());
    StatusCode::OK
}

pub use lode_testkit::md5_hex;
