//! A `lode up` cluster on consecutive loopback ports.

use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::Daemon;

/// The line `lode up` prints once the gateway and every target serve.
const READY: &str = "cluster ready";

/// `lode up` (a gateway `p1` on `port`, targets `tK` on `port + K`) over a data directory,
/// stopped on drop like any [`Daemon`] (`lode up` stops its nodes on SIGTERM).
pub struct Up {
    daemon: Daemon,
    /// The gateway's port.
    pub port: u16,
    /// The gateway's URL, `http://127.0.0.1:<port>`.
    pub url: String,
    _logs: tempfile::TempDir,
}

impl Up {
    /// Starts `lode up --targets N --port P --data D <extra>` and waits until it prints that
    /// the cluster is ready (an error with its output if it exits first or takes a minute).
    pub fn start(
        lode: &Path,
        data: &Path,
        port: u16,
        targets: u16,
        extra: &[OsString],
    ) -> io::Result<Up> {
        let logs = tempfile::tempdir()?;
        let mut args: Vec<OsString> = ["up", "--targets", &targets.to_string()]
            .map(OsString::from)
            .to_vec();
        args.extend(["--port".into(), port.to_string().into(), "--data".into()]);
        args.push(data.into());
        args.extend(extra.iter().cloned());
        let daemon = Daemon::spawn(lode, args, logs.path().join("lode-up.log"))?;
        let mut up = Up {
            daemon,
            port,
            url: format!("http://127.0.0.1:{port}"),
            _logs: logs,
        };
        up.wait_ready(Duration::from_secs(90))?;
        Ok(up)
    }

    fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = std::fs::read_to_string(self.daemon.log()).unwrap_or_default();
            if log.lines().any(|l| l.contains(READY)) {
                return Ok(());
            }
            let why = if !self.daemon.alive() {
                "exited"
            } else if Instant::now() > deadline {
                "was not ready in time"
            } else {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            return Err(io::Error::other(format!(
                "lode up on port {} {why}:\n{}",
                self.port,
                self.log_tail()
            )));
        }
    }

    /// The last lines `lode up` and its nodes printed.
    pub fn log_tail(&self) -> String {
        self.daemon.log_tail(40)
    }

    /// The pid of the `lode node` child running target `id` (found through /proc).
    pub fn target_pid(&self, id: &str) -> Option<i32> {
        let up = self.daemon.pid();
        let children = std::fs::read_to_string(format!("/proc/{up}/task/{up}/children")).ok()?;
        children
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                    let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
                    args.windows(2)
                        .any(|w| w[0] == b"--id" && w[1] == id.as_bytes())
                })
            })
    }

    /// The URL of target `id` (`tK`).
    pub fn target_url(&self, id: &str) -> String {
        let k: u16 = id
            .trim_start_matches('t')
            .parse()
            .unwrap_or_else(|_| panic!("target id {id:?} is not tK"));
        format!("http://127.0.0.1:{}", self.port + k)
    }
}
