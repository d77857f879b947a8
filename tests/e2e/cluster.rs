//! End-to-end: the real `lode up` (gateway + 3 targets as processes) driven over HTTP the way
//! the AIS SDK drives it.

use std::collections::BTreeSet;

use crate::common::*;
use reqwest::StatusCode;

async fn smap(url: &str) -> lode_wire::Smap {
    client()
        .get(format!("{url}/v1/daemon?what=smap"))
        .send()
        .await
        .expect("smap")
        .json()
        .await
        .expect("smap json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_objects_redirects_and_direct_reads() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(dir.path(), free_ports(3), 3);
    let url = c.url.as_str();

    // Buckets: create, 409, list, HEAD, missing.
    assert_eq!(create_bucket(url, "b1").await.status(), StatusCode::OK);
    let dup = create_bucket(url, "b1").await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    assert!(dup
        .text()
        .await
        .unwrap()
        .contains(r#"bucket \"ais://b1\" already exists"#));
    assert_eq!(
        create_bucket(url, ".bad").await.status(),
        StatusCode::BAD_REQUEST
    );
    let list: serde_json::Value = client()
        .get(format!("{url}/v1/buckets?provider=ais"))
        .body(r#"{"action":"list","name":"","value":null}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "b1");
    let head = client()
        .head(format!("{url}/v1/buckets/b1?provider=ais"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().contains_key("ais-bucket-props"));
    let head = client()
        .head(format!("{url}/v1/buckets/zz?provider=ais"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    let hdr = head.headers()["hdr-error"].to_str().unwrap().to_owned();
    assert!(
        hdr.contains(r#"bucket \"ais://zz\" does not exist"#),
        "{hdr}"
    );
    let del = client()
        .delete(format!("{url}/v1/buckets/zz?provider=ais"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), StatusCode::NOT_FOUND);

    // Objects: put, get, range, head, overwrite (version), delete.
    assert_eq!(
        put(url, "b1", "dir/a.txt", "hello world").await,
        StatusCode::OK
    );
    assert_eq!(
        get(url, "b1", "dir/a.txt").await,
        (StatusCode::OK, b"hello world".to_vec())
    );
    let obj = format!("{url}/v1/objects/b1/dir/a.txt?provider=ais");
    for (range, want) in [
        ("bytes=0-4", "hello"),
        ("bytes=6-", "world"),
        ("bytes=-3", "rld"),
    ] {
        let r = client()
            .get(&obj)
            .header("Range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(r.text().await.unwrap(), want);
    }
    let r = client()
        .get(&obj)
        .header("Range", "bytes=50-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let h = client().head(&obj).send().await.unwrap();
    assert_eq!(h.status(), StatusCode::OK);
    assert_eq!(h.headers()["content-length"], "11");
    assert_eq!(h.headers()["ais-checksum-type"], "xxhash");
    // xxhash64("hello world", seed 0), as Python's `xxhash.xxh64(b"hello world").hexdigest()`.
    assert_eq!(h.headers()["ais-checksum-value"], "45ab6734b21e6968");
    assert_eq!(h.headers()["ais-version"], "1");
    assert_eq!(h.headers()["ais-present"], "true");
    assert_eq!(put(url, "b1", "dir/a.txt", "v2").await, StatusCode::OK);
    let h = client().head(&obj).send().await.unwrap();
    assert_eq!(h.headers()["ais-version"], "2");
    let r = client()
        .get(format!("{obj}&validate=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "v2");
    let missing = client()
        .get(format!("{url}/v1/objects/b1/nope?provider=ais"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("ais://b1/nope does not exist"));
    let (status, body) = get(url, "zz", "o").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains(r#"bucket \"ais://zz\" does not exist"#));
    assert_eq!(
        client().delete(&obj).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(get(url, "b1", "dir/a.txt").await.0, StatusCode::NOT_FOUND);

    // Names that are both an object and a prefix, and odd characters.
    for name in ["a", "a/b", "sp%20ace%3F%23%C3%BC"] {
        assert_eq!(put(url, "b1", name, name.to_owned()).await, StatusCode::OK);
    }
    assert_eq!(get(url, "b1", "a").await.1, b"a");
    assert_eq!(get(url, "b1", "a/b").await.1, b"a/b");

    // Redirects: 301 for GET, 307 otherwise, Location = HRW target + path + query + pid/utm.
    let map = smap(url).await;
    let owner = map.owner("b1", "a/b").expect("owner").daemon_id.clone();
    let raw = no_redirects();
    let o = format!("{url}/v1/objects/b1/a/b?provider=ais&props=name,size");
    let expect_loc = format!(
        "{}/v1/objects/b1/a/b?provider=ais&props=name,size&pid=p1&utm=",
        c.target_url(&owner)
    );
    for (req, code) in [
        (raw.get(&o), StatusCode::MOVED_PERMANENTLY),
        (raw.head(&o), StatusCode::TEMPORARY_REDIRECT),
        (raw.put(&o).body("ignored"), StatusCode::TEMPORARY_REDIRECT),
        (raw.delete(&o), StatusCode::TEMPORARY_REDIRECT),
    ] {
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), code);
        let loc = r.headers()["location"].to_str().unwrap();
        assert!(loc.starts_with(&expect_loc), "{loc} vs {expect_loc}");
    }
    // HEAD of a missing object is still redirected (the CLI asks where to PUT).
    let r = raw
        .head(format!("{url}/v1/objects/b1/not-yet?provider=ais"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);

    // Direct reads (SDK direct=True): the HRW target serves without a pid; others redirect there.
    let direct = raw
        .get(format!(
            "{}/v1/objects/b1/a/b?provider=ais",
            c.target_url(&owner)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::OK);
    assert_eq!(direct.text().await.unwrap(), "a/b");
    let other = map.tmap.keys().find(|id| **id != owner).unwrap();
    let r = raw
        .get(format!(
            "{}/v1/objects/b1/a/b?provider=ais",
            c.target_url(other)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
    let h = client()
        .head(format!("{url}/v1/objects/b1/a/b?provider=ais"))
        .send()
        .await
        .unwrap();
    let loc = h.headers()["ais-location"].to_str().unwrap();
    assert!(loc.starts_with(&format!("t[{owner}]:")), "{loc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_escaping_a_mountpath_are_rejected_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = start(dir.path(), free_ports(3), 3);
    assert_eq!(create_bucket(&c.url, "b").await.status(), StatusCode::OK);
    let before: BTreeSet<_> = files_under(dir.path()).into_iter().collect();
    let bad = [
        "/v1/objects/b/../../../../escaped?provider=ais",
        "/v1/objects/b/a/../../escaped?provider=ais",
        "/v1/objects/b/%2e%2e/%2e%2e/escaped?provider=ais",
        "/v1/objects/b/a//escaped?provider=ais",
        "/v1/objects/b/x%00y?provider=ais",
        "/v1/objects/b//etc/escaped?provider=ais",
    ];
    let mut ports = vec![c.port];
    ports.extend((1..=3).map(|k| c.port + k));
    for port in ports {
        for path in bad {
            assert_eq!(
                raw_status(port, "PUT", path, b"evil"),
                400,
                "PUT {path} on port {port}"
            );
            assert_eq!(
                raw_status(port, "GET", path, b""),
                400,
                "GET {path} on port {port}"
            );
        }
    }
    let after: BTreeSet<_> = files_under(dir.path()).into_iter().collect();
    assert_eq!(before, after, "a rejected PUT wrote files");
    let parent = dir.path().parent().unwrap();
    assert!(!parent.join("escaped").exists());
}
