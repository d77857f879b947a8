//! The SDK's FastAPI, Flask and HTTP multi-threaded servers over hpush, hpull, hrev and ws.

use bytes::Bytes;
use lode_container::{CommError, CommType, Communicator, Outcome};

use crate::support::*;

/// A fake target, a work dir, and the named SDK server flavour running for `declared`.
async fn serve(server: &str, declared: &str) -> (FakeTarget, Workdir, lode_container::ProcessPod) {
    let target = FakeTarget::start().await;
    let w = Workdir::new(&[]).await;
    let pod = start(
        &message(command(server), declared, &[]),
        &w.config(),
        &target.url,
    )
    .await;
    (target, w, pod)
}

const UNAME: &str = "ais/@#/bck/dir/✓ sp?q.bin";

fn data() -> Vec<u8> {
    (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// echo and md5, FQN on and off, through `comm`.
async fn echo_and_md5(c: &Communicator, w: &Workdir, target: &FakeTarget) {
    let data = data();
    let fqn = w.file("dir/obj.bin", &data);
    target
        .objects
        .lock()
        .unwrap()
        .insert(UNAME.into(), data.clone());
    for with_fqn in [true, false] {
        let fqn = with_fqn.then_some(fqn.as_path());
        // hpull and hrev without a file: the container reads the object back from the target.
        let body = match c.comm_type() {
            CommType::Hpull | CommType::Hrev if !with_fqn => None,
            _ => Some(Bytes::from(data.clone())),
        };
        let echo = c
            .transform(UNAME, fqn, body.clone(), "", None)
            .await
            .unwrap();
        assert_eq!(
            echo,
            Outcome::Bytes(data.clone().into()),
            "{:?} echo fqn={with_fqn}",
            c.comm_type()
        );
        let md5 = c.transform(UNAME, fqn, body, "md5", None).await.unwrap();
        assert_eq!(
            md5,
            Outcome::Bytes(md5_hex(&data).into()),
            "{:?} md5 fqn={with_fqn}",
            c.comm_type()
        );
    }
}

async fn failures(c: &Communicator, w: &Workdir) {
    let fqn = w.file("f.bin", b"abc");
    match c.transform(UNAME, Some(&fqn), None, "fail", None).await {
        Err(CommError::Status { status: 500, .. }) => {}
        other => panic!(
            "{:?}: transform exception must be a 500 error, got {other:?}",
            c.comm_type()
        ),
    }
    let missing = w.dir.path().join("no/such/file");
    if c.comm_type() == CommType::Hrev {
        // hrev reads back through the target, which does not have this object.
        let gone = "ais/@#/bck/not-at-the-target";
        match c.transform(gone, Some(&missing), None, "", None).await {
            Err(CommError::Status { .. }) => {}
            other => panic!("hrev: an object the target lacks must be an error, got {other:?}"),
        }
        return;
    }
    match c.transform(UNAME, Some(&missing), None, "", None).await {
        Err(CommError::Status { status: 404, .. }) => {}
        other => panic!(
            "{:?}: a missing FQN must be a 404 error, got {other:?}",
            c.comm_type()
        ),
    }
}

#[tokio::test]
async fn fastapi_hpush_hpull_hrev_ws() {
    let (target, w, pod) = serve("fastapi", "ws://").await;
    for ct in [
        CommType::Hpush,
        CommType::Hpull,
        CommType::Hrev,
        CommType::Ws,
    ] {
        let c = comm(ct, &pod).await;
        echo_and_md5(&c, &w, &target).await;
        if ct != CommType::Ws {
            failures(&c, &w).await;
        }
    }
}

#[tokio::test]
async fn fastapi_ws_text_frames_are_errors() {
    let (_target, w, pod) = serve("fastapi", "ws://").await;
    let c = comm(CommType::Ws, &pod).await;
    let fqn = w.file("f.bin", b"abc");
    match c.transform(UNAME, Some(&fqn), None, "fail", None).await {
        Err(CommError::Status { status: 500, text }) => {
            assert!(text.contains("asked to fail"), "{text}")
        }
        other => panic!("a ws transform error must not be a success: {other:?}"),
    }
    // The connection is still good afterwards.
    let ok = c
        .transform(UNAME, Some(&fqn), None, "", None)
        .await
        .unwrap();
    assert_eq!(ok, Outcome::Bytes(Bytes::from_static(b"abc")));
}

#[tokio::test]
async fn fastapi_direct_put_over_hpush_hpull_hrev_ws() {
    let (target, w, pod) = serve("fastapi", "ws://").await;
    let fqn = w.file("src.bin", b"direct put me");
    target
        .objects
        .lock()
        .unwrap()
        .insert(UNAME.into(), b"direct put me".to_vec());
    for ct in [
        CommType::Hpush,
        CommType::Hpull,
        CommType::Hrev,
        CommType::Ws,
    ] {
        let c = comm(ct, &pod).await;
        let dst = format!("ais/@#/dst/{ct:?}.bin");
        let got = c
            .transform(UNAME, Some(&fqn), None, "md5", Some(target.dst(&dst)))
            .await
            .unwrap();
        let md5 = md5_hex(b"direct put me");
        assert_eq!(
            got,
            Outcome::DeliveredByContainer(md5.len() as u64),
            "{ct:?}"
        );
        assert_eq!(
            target.received.lock().unwrap().get(&dst),
            Some(&md5.into_bytes()),
            "{ct:?}"
        );
    }
}

/// Echo, md5 and failures over hpush, hpull and hrev against one server flavour.
async fn hpush_hpull_hrev(server: &str, declared: &str) {
    let (target, w, pod) = serve(server, declared).await;
    for ct in [CommType::Hpush, CommType::Hpull, CommType::Hrev] {
        let c = comm(ct, &pod).await;
        echo_and_md5(&c, &w, &target).await;
        failures(&c, &w).await;
    }
}

#[tokio::test]
async fn flask_hpush_hpull_hrev() {
    hpush_hpull_hrev("flask", "hpush://").await;
}

#[tokio::test]
async fn http_multithreaded_hpush_hpull_hrev() {
    hpush_hpull_hrev("http", "hpull://").await;
}

#[tokio::test]
async fn hpull_redirect_url_is_served_by_the_container() {
    let (_target, w, pod) = serve("fastapi", "hpull://").await;
    let fqn = w.file("r.bin", b"redirected");
    let url = lode_container::hpull_redirect_url(&pod.url(), UNAME, Some(&fqn), "md5");
    let body = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(body, md5_hex(b"redirected").as_bytes());
}

#[tokio::test]
async fn hpull_and_hrev_put_bytes_that_have_no_file() {
    // A later pipeline stage's input exists only in memory: there is nothing to read back.
    let (_target, _w, pod) = serve("fastapi", "hrev://").await;
    for ct in [CommType::Hpull, CommType::Hrev] {
        let c = comm(ct, &pod).await;
        let got = c
            .transform(
                "ais/@#/bck/in-memory-only",
                None,
                Some(Bytes::from_static(b"stage two")),
                "md5",
                None,
            )
            .await
            .unwrap();
        assert_eq!(got, Outcome::Bytes(md5_hex(b"stage two").into()), "{ct:?}");
    }
}
