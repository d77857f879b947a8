//! End-to-end: a target killed (SIGKILL) in the middle of a PUT keeps the previous version of
//! the object, and its leftover temp file is removed when it starts again.

// unsafe here: SIGKILL of a target this test started; each block says why it is sound.
#![allow(unsafe_code)]

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_put_keeps_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports(3);
    let owner = {
        let c = start(dir.path(), port, 3);
        assert_eq!(
            create_bucket(&c.url, "crash").await.status(),
            StatusCode::OK
        );
        assert_eq!(put(&c.url, "crash", "obj", "old").await, StatusCode::OK);
        let smap: lode_wire::Smap = client()
            .get(format!("{}/v1/daemon?what=smap", c.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let owner = smap.owner("crash", "obj").unwrap().daemon_id.clone();
        let tmp = dir.path().join(format!("{owner}/mp/%tmp"));
        let k: u16 = owner[1..].parse().unwrap();

        // Half of a 4 MiB body, straight to the owner, then SIGKILL while it waits for the rest.
        let mut s = TcpStream::connect(("127.0.0.1", port + k)).unwrap();
        let head = format!(
            "PUT /v1/objects/crash/obj?provider=ais HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            4 << 20
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&vec![b'n'; 2 << 20]).unwrap();
        s.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0) == 0 {
            assert!(
                Instant::now() < deadline,
                "no temp file appeared in {}",
                tmp.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = c.target_pid(&owner).expect("target pid");
        // SAFETY: kill(2) on a grandchild we just identified through /proc; test-only.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        owner
    };
    let tmp = dir.path().join(format!("{owner}/mp/%tmp"));
    assert!(
        std::fs::read_dir(&tmp).unwrap().count() > 0,
        "the crash should leave a temp file"
    );
    let c = start(dir.path(), port, 3);
    assert_eq!(
        get(&c.url, "crash", "obj").await,
        (StatusCode::OK, b"old".to_vec())
    );
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}
