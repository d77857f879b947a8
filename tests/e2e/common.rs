//! Test harness: a real `lode up` cluster on free loopback ports with a temp data dir, stopped
//! (SIGTERM, then wait) when the guard drops, also on panic.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Cluster {
    child: Child,
    pub port: u16,
    pub url: String,
}

/// A base port P such that P..=P+n are all free right now.
pub fn free_ports(n: u16) -> u16 {
    for _ in 0..100 {
        let probe = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let base = probe.local_addr().expect("local addr").port();
        drop(probe);
        if u32::from(base) + u32::from(n) > 65_000 {
            continue;
        }
        if (0..=n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range found");
}

impl Cluster {
    /// Start `lode up` on `data` (a fresh or an existing cluster directory).
    pub fn start(data: &Path, port: u16, targets: u16) -> Cluster {
        Cluster::start_with(data, port, targets, &[])
    }

    /// Start `lode up` on `data` with `extra` arguments (e.g. `--etl-runner kubernetes`).
    pub fn start_with(data: &Path, port: u16, targets: u16, extra: &[String]) -> Cluster {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lode"))
            .args([
                "up",
                "--no-fsync",
                "--targets",
                &targets.to_string(),
                "--port",
                &port.to_string(),
                "--data",
            ])
            .arg(data)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn lode up");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("cluster ready") {
                    let _ = tx.send(());
                }
            }
        });
        let cluster = Cluster {
            child,
            port,
            url: format!("http://127.0.0.1:{port}"),
        };
        rx.recv_timeout(Duration::from_secs(90))
            .expect("lode up did not become ready");
        cluster
    }

    /// Pid of the `lode node` child running target `id` (found through /proc).
    pub fn target_pid(&self, id: &str) -> Option<i32> {
        let up = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{up}/task/{up}/children")).ok()?;
        children
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|c| {
                        let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
                        args.windows(2)
                            .any(|w| w[0] == b"--id" && w[1] == id.as_bytes())
                    })
                    .unwrap_or(false)
            })
    }

    pub fn target_url(&self, id: &str) -> String {
        let k: u16 = id.trim_start_matches('t').parse().expect("target id tK");
        format!("http://127.0.0.1:{}", self.port + k)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: plain kill(2) on the pid of our own child, which has not been reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let _ = self.child.wait();
    }
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
