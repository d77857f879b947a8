//! One test per bug fixed, named after the symptom a user saw (`listing_skips_objects_after_restart`,
//! not `fix_issue_12`), so the bug cannot come back unnoticed.
//!
//! Add yours at the end: a short doc line saying what went wrong, then a test that fails on the
//! code before the fix. Use the helpers of the other modules (`crate::common`, `crate::etl`);
//! a bug found by a Python SDK test gets its regression test in `tests/python/` instead.

use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::etl::support::Cluster;

/// Clients that sent an inline-transform GET of a large object and then stopped reading held
/// the ETL's Wasm workers forever (waits on the response were bounded by nothing), so every
/// later inline GET on that target hung.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn inline_get_clients_that_stop_reading_no_longer_hang_the_etl() {
    let c = Cluster::start(1).await;
    c.init_code("rot13-stall", "rot13_c.wasm", json!({"obj_timeout": "1s"}))
        .await;
    c.create_bucket("src").await;
    c.put("src", "small.txt", b"hello".to_vec()).await;
    let location = c.put_direct("src", "big.txt", vec![b'a'; 64 << 20]).await;
    let url = reqwest::Url::parse(&location).expect("redirect URL");
    let addr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().expect("port")
    );
    let request = format!(
        "GET {}?{}&etl_name=rot13-stall HTTP/1.1\r\nHost: {addr}\r\n\r\n",
        url.path(),
        url.query().unwrap_or("provider=ais")
    );
    // More stalled clients than the target has workers; each reads nothing.
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let mut conn = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        conn.write_all(request.as_bytes()).await.expect("send GET");
        stalled.push(conn);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = tokio::time::timeout(
        Duration::from_secs(30),
        c.get("objects/src/small.txt?provider=ais&etl_name=rot13-stall"),
    )
    .await
    .expect("an inline GET behind stalled clients hung");
    assert_eq!((status, body), (200, b"uryyb".to_vec()));
    drop(stalled);
}

/// A job output streamed to another target by direct put while the guest produced it must not
/// appear there when the transform fails after its first bytes: the receiver discards the
/// abandoned body (nothing half-made under the destination name), and the job reports the
/// transform's own error.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_transform_that_fails_midway_leaves_no_half_output_on_the_receiving_target() {
    use crate::etl::hrw::hrw_owner;
    use crate::etl::support::wait_job;

    let c = Cluster::start(3).await;
    c.init_code("faults-stream", "faults.wasm", json!({})).await;
    c.create_bucket("src").await;
    c.create_bucket("dst").await;
    // A name whose source and destination live on different targets, so the output travels.
    let smap = c.smap().await;
    let name = (0..100)
        .map(|i| format!("big-{i}.truncate"))
        .find(|n| {
            hrw_owner(&smap, &lode_wire::uname("src", n))
                != hrw_owner(&smap, &lode_wire::uname("dst", n))
        })
        .expect("a name that crosses targets");
    // Above the streaming threshold (8 MiB), so the streaming form runs and writes half first.
    c.put_direct("src", &name, vec![b'z'; 12 << 20]).await;
    let msg = json!({"action": "etl-bck", "name": "", "value": {
        "id": "faults-stream", "ext": {}, "prefix": "", "prepend": "", "dry_run": false,
        "force": false, "latest-ver": false, "synchronize": false, "request_timeout": "1m",
        "pipeline": null, "num-workers": 0, "coer": true,
    }});
    let xid = c.post_bucket("src", Some("dst"), &msg).await;
    let status = wait_job(&c, &xid, "etl-bck", Duration::from_secs(60)).await;
    assert!(
        !c.exists("dst", &name).await,
        "a half output appeared: {status}"
    );
    let details = c.etl_details("faults-stream", &xid).await;
    let errors = details["obj_errors"].to_string();
    assert!(
        errors.contains("failure requested") && errors.contains(&name),
        "the transform's error is reported: {errors}"
    );
}
