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
    // Straight to the target: a body this large does not survive the gateway's redirect.
    let location = c.redirect_of("objects/src/big.txt?provider=ais").await;
    let put = reqwest::Client::new()
        .put(&location)
        .body(vec![b'a'; 64 << 20])
        .send()
        .await
        .expect("PUT big.txt");
    assert!(put.status().is_success(), "PUT big.txt: {}", put.status());
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
