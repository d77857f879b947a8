//! Test harness: a real `lode up` cluster on free loopback ports with a temp data dir, stopped
//! (SIGTERM, then SIGKILL of its process group) when the guard drops, also on panic.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

pub use lode_testkit::Up as Cluster;

/// A base port P such that P..=P+n are all free right now (a gateway and `n` targets).
pub fn free_ports(n: u16) -> u16 {
    lode_testkit::free_port_block(n + 1).expect("free loopback ports")
}

/// Starts `lode up --no-fsync` on `data` (a fresh or an existing cluster directory).
pub fn start(data: &Path, port: u16, targets: u16) -> Cluster {
    start_with(data, port, targets, &[])
}

/// Starts `lode up --no-fsync` on `data` with `extra` arguments (e.g. `--etl-runner kubernetes`).
pub fn start_with(data: &Path, port: u16, targets: u16, extra: &[String]) -> Cluster {
    let mut args = vec![OsString::from("--no-fsync")];
    args.extend(extra.iter().map(OsString::from));
    let lode = Path::new(env!("CARGO_BIN_EXE_lode"));
    Cluster::start(lode, data, port, targets, &args).unwrap_or_else(|e| panic!("{e}"))
}

/// An HTTP client that does not follow redirects.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A client that follows redirects (as the SDK does).
pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Send a raw HTTP/1.1 request (paths exactly as written, no client-side normalisation);
/// returns the status code.
pub fn raw_status(port: u16, method: &str, path: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("send head");
    s.write_all(body).expect("send body");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

pub async fn create_bucket(url: &str, bucket: &str) -> reqwest::Response {
    client()
        .post(format!("{url}/v1/buckets/{bucket}?provider=ais"))
        .body(r#"{"action":"create-bck","name":"","value":null}"#)
        .send()
        .await
        .expect("create bucket")
}

pub async fn put(
    url: &str,
    bucket: &str,
    obj: &str,
    data: impl Into<reqwest::Body>,
) -> reqwest::StatusCode {
    client()
        .put(format!("{url}/v1/objects/{bucket}/{obj}?provider=ais"))
        .body(data)
        .send()
        .await
        .expect("put")
        .status()
}

pub async fn get(url: &str, bucket: &str, obj: &str) -> (reqwest::StatusCode, Vec<u8>) {
    let r = client()
        .get(format!("{url}/v1/objects/{bucket}/{obj}?provider=ais"))
        .send()
        .await
        .expect("get");
    let status = r.status();
    (status, r.bytes().await.expect("body").to_vec())
}

/// All regular files under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
