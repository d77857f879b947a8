//! io: one process per object, the object on stdin (its file itself when there is an FQN),
//! the result on stdout. `ETL_ARGS` and `ETL_OBJECT` (the uname) are added to the env; a
//! non-zero exit is an error carrying stderr. The process gets its own process group, which
//! is killed if the object times out. Direct put is not offered: the result always comes back.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::{Outcome, Request};
use crate::process::signal_group;
use crate::{ports, CommError, Launch, PodOptions};

#[derive(Debug)]
pub(crate) struct IoRunner {
    command: Vec<String>,
    env: HashMap<String, String>,
    workdir: Option<PathBuf>,
}

/// Kills the object's process group if the transform is abandoned (timeout, cancel).
struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            signal_group(pgid, libc::SIGKILL);
        }
    }
}

impl IoRunner {
    pub(crate) fn new(launch: &Launch, pod: &PodOptions) -> IoRunner {
        let env = launch.env(pod, None);
        let command = launch
            .command
            .iter()
            .map(|a| ports::expand(a, &env))
            .collect();
        IoRunner {
            command,
            env,
            workdir: launch.workdir.clone(),
        }
    }

    pub(crate) async fn transform(&self, req: &Request<'_>) -> Result<Outcome, CommError> {
        let (exe, args) = self
            .command
            .split_first()
            .ok_or_else(|| CommError::BadRequest("io:// needs a command".into()))?;
        let stdin = match (req.fqn, &req.body) {
            (Some(fqn), _) => Stdio::from(
                std::fs::File::open(fqn)
                    .map_err(|e| CommError::BadRequest(format!("{}: {e}", fqn.display())))?,
            ),
            (None, Some(_)) => Stdio::piped(),
            (None, None) => {
                return Err(CommError::BadRequest(
                    "io:// needs the object's FQN or its bytes".into(),
                ))
            }
        };
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .envs(&self.env)
            .env("ETL_ARGS", req.args)
            .env("ETL_OBJECT", req.uname.full)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(dir) = &self.workdir {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| CommError::Transport(format!("starting {exe:?}: {e}")))?;
        let mut guard = GroupGuard(child.id().and_then(|p| i32::try_from(p).ok()));
        let feeder = match (
            child.stdin.take(),
            req.fqn.is_none().then(|| req.body.clone()).flatten(),
        ) {
            (Some(mut stdin), Some(body)) => Some(tokio::spawn(async move {
                // A transformer may exit without reading all of its input: not our error.
                let _ = stdin.write_all(&body).await;
            })),
            _ => None,
        };
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| CommError::Transport(format!("io:// process: {e}")))?;
        guard.0 = None;
        if let Some(f) = feeder {
            let _ = f.await;
        }
        if !out.status.success() {
            return Err(CommError::Status {
                status: 500,
                text: format!(
                    "{} ({}): {}",
                    exe,
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        Ok(Outcome::Bytes(out.stdout.into()))
    }
}
