//! End-to-end: stopping and starting `lode up` on the same directory keeps the cluster map,
//! the buckets and the objects.

use crate::common::*;
use reqwest::StatusCode;

async fn smap(url: &str) -> serde_json::Value {
    client()
        .get(format!("{url}/v1/daemon?what=smap"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_cluster_map_buckets_and_objects() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports(3);
    let objects: Vec<String> = (0..30).map(|i| format!("o/{i}")).collect();
    let uuid = {
        let c = start(dir.path(), port, 3);
        assert_eq!(create_bucket(&c.url, "keep").await.status(), StatusCode::OK);
        for o in &objects {
            assert_eq!(
                put(&c.url, "keep", o, format!("data of {o}")).await,
                StatusCode::OK
            );
        }
        assert_eq!(
            put(&c.url, "keep", "o/0", "second version").await,
            StatusCode::OK
        );
        smap(&c.url).await["uuid"].clone()
    };
    let c = start(dir.path(), port, 3);
    let map = smap(&c.url).await;
    assert_eq!(map["uuid"], uuid);
    assert_eq!(map["tmap"].as_object().map(|m| m.len()), Some(3));
    assert_eq!(
        create_bucket(&c.url, "keep").await.status(),
        StatusCode::CONFLICT
    );
    for o in &objects[1..] {
        assert_eq!(
            get(&c.url, "keep", o).await,
            (StatusCode::OK, format!("data of {o}").into_bytes())
        );
    }
    let h = client()
        .head(format!("{}/v1/objects/keep/o/0?provider=ais", c.url))
        .send()
        .await
        .unwrap();
    assert_eq!(h.headers()["ais-version"], "2");
    assert_eq!(get(&c.url, "keep", "o/0").await.1, b"second version");
}
