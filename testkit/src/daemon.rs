//! One spawned process, stopped by pid when its guard drops.

// unsafe here: signals to the processes the guard spawned; each block says why it is sound.
#![allow(unsafe_code)]

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a SIGTERMed process gets to exit before its group is SIGKILLed.
const GRACE: Duration = Duration::from_secs(10);

/// A process in its own process group, its stdout and stderr appended to a log file. Dropping
/// it sends SIGTERM, waits up to 10 s, then SIGKILLs the whole group and reaps the process:
/// nothing it started outlives the test, and nothing else is touched (no kill by name).
pub struct Daemon {
    child: Child,
    program: PathBuf,
    args: Vec<OsString>,
    log: PathBuf,
}

impl Daemon {
    /// Starts `program` with `args`, logging to `log` (appended to, so a restart keeps the
    /// earlier output).
    pub fn spawn(program: &Path, args: Vec<OsString>, log: PathBuf) -> io::Result<Daemon> {
        let out = OpenOptions::new().create(true).append(true).open(&log)?;
        let err = out.try_clone()?;
        let child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", program.display())))?;
        Ok(Daemon {
            child,
            program: program.to_owned(),
            args,
            log,
        })
    }

    /// Stops it (as on drop) and starts the same command again, logging to the same file.
    pub fn restart(self) -> io::Result<Daemon> {
        let (program, args, log) = (self.program.clone(), self.args.clone(), self.log.clone());
        drop(self);
        Daemon::spawn(&program, args, log)
    }

    /// Its pid (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `sig` to the process (not its group).
    pub fn signal(&self, sig: libc::c_int) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on the pid of our own child, not reaped yet (`Child::wait` has not
            // returned), so the pid cannot name another process; no memory is involved.
            unsafe { libc::kill(pid, sig) };
        }
    }

    /// SIGKILLs the process and reaps it (a crash, as far as the cluster can tell).
    pub fn kill9(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }

    /// The log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline && self.alive() {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Ok(pgid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: killpg(2) on the group `process_group(0)` created at spawn, whose leader
            // is our child and not reaped yet (reaped just below); no memory is involved.
            unsafe { libc::killpg(pgid, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}
