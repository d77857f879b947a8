//! nginx serving a directory over loopback with `sendfile on`: the static file server lode's
//! GET is compared against, started from Debian's `nginx` (or `nginx-light`) package.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lode_testkit::{free_port_block, Daemon};

use crate::Result;

/// An nginx master in the foreground (`daemon off`), stopped on drop like any [`Daemon`].
pub struct Nginx {
    _daemon: Daemon,
    url: String,
    _dir: tempfile::TempDir, // after the daemon: its config, pid, logs and temp paths
}

impl Nginx {
    /// Serves `root` on a free loopback port with one worker per core; `Ok(None)` when nginx
    /// is not installed (the caller prints how to get it).
    pub fn start(root: &Path) -> Result<Option<Nginx>> {
        let Some(bin) = find_nginx() else {
            return Ok(None);
        };
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port_block(1).map_err(|e| e.to_string())?;
        let d = dir.path().display();
        // `user root` only matters when run as root (the workers would drop to nobody and
        // could not read a 0700 temp dir); nginx ignores it otherwise, with a warning.
        let conf = format!(
            "daemon off; worker_processes auto; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             user root;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
               access_log off; sendfile on; tcp_nopush on; tcp_nodelay on;\n\
               keepalive_requests 1000000; default_type application/octet-stream;\n\
               client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
               server {{ listen 127.0.0.1:{port}; root {root}; }}\n\
             }}\n",
            root = root.display()
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).map_err(|e| format!("nginx.conf: {e}"))?;
        let args: Vec<OsString> = vec![
            "-p".into(),
            dir.path().into(),
            "-e".into(),
            dir.path().join("error.log").into(),
            "-c".into(),
            conf_path.into(),
        ];
        let mut daemon =
            Daemon::spawn(&bin, args, dir.path().join("nginx.out")).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if !daemon.alive() || Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                return Err(format!(
                    "nginx did not start: {}\n{log}",
                    daemon.log_tail(20)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Some(Nginx {
            _daemon: daemon,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }))
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn find_nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}
