//! Transformer processes an earlier run of this target left behind. A target that is
//! SIGKILLed cannot stop its transformers (each runs in its own process group), so at start
//! it finds them by their environment: every process the `process` runner starts (servers and
//! `io://` runs) carries `AIS_TARGET_URL=<target url>/v1/etl/_object/...`, and a target's URL
//! is unique on its machine. Their whole groups are killed before any ETL starts.

// unsafe here: process group ids of leftover transformers (getpgrp(2), getpgid(2)); each block says why it is sound.
#![allow(unsafe_code)]

use std::collections::BTreeSet;

use crate::process::signal_group;

/// Kills (SIGKILL, whole process group) every process whose `AIS_TARGET_URL` names the target
/// at `target_url` (e.g. `http://127.0.0.1:51081`). Returns the process groups killed.
/// Linux: reads `/proc/<pid>/environ`; processes it may not read are skipped.
pub fn kill_orphan_processes(target_url: &str) -> Vec<i32> {
    let needle = format!(
        "AIS_TARGET_URL={}/v1/etl/_object/",
        target_url.trim_end_matches('/')
    );
    // SAFETY: getpgrp has no preconditions and cannot fail.
    let own_group = unsafe { libc::getpgrp() };
    let Ok(proc_dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut groups = BTreeSet::new();
    for entry in proc_dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if env
            .split(|b| *b == 0)
            .any(|var| var.starts_with(needle.as_bytes()))
        {
            // SAFETY: getpgid has no memory-safety preconditions; a pid that is gone by now
            // makes it return -1.
            let group = unsafe { libc::getpgid(pid) };
            if group > 1 && group != own_group {
                groups.insert(group);
            }
        }
    }
    groups
        .into_iter()
        .filter(|g| signal_group(*g, libc::SIGKILL))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command};
    use std::time::{Duration, Instant};

    use super::*;

    fn transformer(target_url: &str) -> Child {
        Command::new("sleep")
            .arg("300")
            .env(
                "AIS_TARGET_URL",
                format!("{target_url}/v1/etl/_object/etl/secret"),
            )
            .process_group(0)
            .spawn()
            .unwrap()
    }

    fn exited(child: &mut Child) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn kills_only_the_transformers_of_this_target() {
        // Names no real target (of a parallel test) has: the pid makes them unique.
        let pid = std::process::id();
        let mine = format!("http://orphans-{pid}.invalid:1");
        let other = format!("http://orphans-{pid}.invalid:2");
        let mut orphan = transformer(&mine);
        let mut bystander = transformer(&other);
        std::thread::sleep(Duration::from_millis(100));

        let killed = kill_orphan_processes(&format!("{mine}/"));
        assert_eq!(killed, vec![orphan.id() as i32]);
        assert!(exited(&mut orphan), "the orphan survived");
        assert!(
            bystander.try_wait().unwrap().is_none(),
            "another target's transformer died"
        );
        assert!(kill_orphan_processes(&mine).is_empty());

        signal_group(bystander.id() as i32, libc::SIGKILL);
        assert!(exited(&mut bystander));
    }
}
