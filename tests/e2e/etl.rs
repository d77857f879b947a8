//! End-to-end Wasm ETL on real clusters of `lode node` processes (a gateway and 3 targets on
//! 127.0.0.1, free ports, temp data dirs; every process stopped by pid on drop, also on panic).
//!
//! * an offline md5 job puts every output on the destination name's HRW target (computed here
//!   from the smap's `id_digest`, `docs/rest-api.md` §3.3), with the right bytes, and each target
//!   transforms exactly the source objects it stores;
//! * a target SIGKILLed in the middle of a job makes the job end failed — or, if it had already
//!   finished, every output is there: never success with objects missing;
//! * hostile modules (panic, trap, endless loop, memory hog) fail their object with a 400 and
//!   the targets keep serving.
//!
//! Modules come from `$LODE_WASM_DIR` (default `$CARGO_TARGET_DIR/wasm`): run
//! `scripts/build-wasm.sh` first. The kill test also needs the `flac` tool.

pub(crate) mod hrw;
mod inputs;
pub(crate) mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use hrw::{hrw_owner, MAINTENANCE_FLAGS};
use lode_testkit::md5_hex;
use serde_json::{json, Value};
use support::{wait_job, Cluster};

const MD5_OBJECTS: usize = 50;

fn etl_bck(etl: &str, ext: Value, prepend: &str, num_workers: i64) -> Value {
    json!({"action": "etl-bck", "name": "", "value": {
        "id": etl, "ext": ext, "prefix": "", "prepend": prepend, "dry_run": false, "force": false,
        "latest-ver": false, "synchronize": false, "request_timeout": "5m", "pipeline": null,
        "num-workers": num_workers,
    }})
}

/// Sums a stat (Go int64 as a string, or a number) per target over the job's snapshots.
fn per_target_stat(stats: &Value, key: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (tid, snaps) in stats.as_object().into_iter().flatten() {
        let sum = snaps
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| match &s["stats"][key] {
                Value::String(v) => v.parse::<u64>().unwrap_or_else(|_| panic!("{key}: {v:?}")),
                v => v.as_u64().unwrap_or(0),
            });
        out.insert(tid.clone(), sum.sum());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn md5_bck_outputs_land_on_their_hrw_targets() {
    let c = Cluster::start(3).await;
    c.init_code("md5-e2e", "md5.wasm", json!({})).await;
    c.create_bucket("src").await;
    let mut inputs = BTreeMap::new();
    for i in 0..MD5_OBJECTS {
        let name = format!("dir-{}/obj-{i:03}.txt", i % 4);
        let data = format!("object {i} of the md5 e2e test\n").repeat(1 + i * 37 % 200);
        c.put("src", &name, data.clone().into_bytes()).await;
        inputs.insert(name, data.into_bytes());
    }

    let xid = c
        .post_bucket(
            "src",
            Some("dst"),
            &etl_bck("md5-e2e", json!({"txt": "md5"}), "md5/", 0),
        )
        .await;
    let status = wait_job(&c, &xid, "etl-bck", Duration::from_secs(120)).await;
    assert_eq!(status["err"], "", "{status}");
    assert_eq!(status["aborted"], false, "{status}");

    let smap = c.smap().await;
    let tmap = smap["tmap"].as_object().expect("smap has a tmap");
    assert_eq!(tmap.len(), 3, "{smap}");
    let (mut expect_loc, mut moved) = (BTreeMap::<String, u64>::new(), 0);
    for (name, data) in &inputs {
        let out = format!("md5/{}.md5", name.trim_end_matches(".txt"));
        let owner = hrw_owner(&smap, &format!("ais/@#/dst/{out}"));
        let src_owner = hrw_owner(&smap, &format!("ais/@#/src/{name}"));
        *expect_loc.entry(src_owner.clone()).or_default() += 1;
        moved += usize::from(owner != src_owner);
        // The gateway redirects to the same target, and that target stores the output.
        let location = c
            .redirect_of(&format!("objects/dst/{out}?provider=ais"))
            .await;
        let owner_url = tmap[&owner]["public_net"]["direct_url"]
            .as_str()
            .expect("direct_url");
        assert!(
            location.starts_with(owner_url),
            "{out}: gateway -> {location}, HRW -> {owner}"
        );
        let body = c
            .get_direct(owner_url, &format!("objects/dst/{out}?provider=ais"))
            .await;
        assert_eq!(
            body.as_deref(),
            Some(md5_hex(data).as_bytes()),
            "{out} on {owner}"
        );
    }

    let stats = c.qryxstats(&xid).await;
    let loc = per_target_stat(&stats, "loc-objs");
    for tid in tmap.keys() {
        assert_eq!(
            loc.get(tid).copied().unwrap_or(0),
            expect_loc.get(tid).copied().unwrap_or(0),
            "loc-objs of {tid}: {stats}"
        );
    }
    let total = |key| per_target_stat(&stats, key).values().sum::<u64>();
    assert_eq!(total("loc-bytes"), 32 * MD5_OBJECTS as u64, "{stats}");
    assert_eq!(total("out-objs"), moved as u64, "{stats}");
    assert_eq!(total("in-objs"), moved as u64, "{stats}");
    assert_eq!(total("out-bytes"), 32 * moved as u64, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_target_mid_job_never_yields_success_with_missing_objects() {
    const FILES: usize = 240;
    let flac = inputs::flac_tone(5);
    let mut c = Cluster::start(3).await;
    c.init_code("f2w-kill", "flac2wav.wasm", json!({"obj_timeout": "60s"}))
        .await;
    c.create_bucket("audio").await;
    let names: Vec<String> = (0..FILES).map(|i| format!("a/{i:04}.flac")).collect();
    c.put_many("audio", &names, &flac).await;

    let victim = "t2";
    let smap = c.smap().await; // placement as it was while every target was up
    let xid = c
        .post_bucket(
            "audio",
            Some("wav"),
            &etl_bck("f2w-kill", json!({"flac": "wav"}), "", -1),
        )
        .await;
    c.kill9(victim);
    let status = wait_job(&c, &xid, "etl-bck", Duration::from_secs(180)).await;
    eprintln!("job {xid} after SIGKILL of {victim}: {status}");
    let failed = status["aborted"] == true || status["err"].as_str().is_some_and(|e| !e.is_empty());
    if failed {
        let err = status["err"].as_str().unwrap_or_default();
        assert!(
            err.contains(victim),
            "the error should name the lost target {victim}: {status}"
        );
    } else {
        // It finished before the kill mattered: then every output must be there.
        c.restart(victim).await;
        for name in &names {
            let wav = name.replace(".flac", ".wav");
            assert!(
                c.exists("wav", &wav).await,
                "job {xid} succeeded but {wav} is missing"
            );
        }
    }
    // The survivors keep serving what they store.
    for name in names.iter().take(30) {
        let owner = hrw_owner(&smap, &format!("ais/@#/audio/{name}"));
        if owner != victim {
            let url = smap["tmap"][&owner]["public_net"]["direct_url"]
                .as_str()
                .expect("direct_url");
            let body = c
                .get_direct(url, &format!("objects/audio/{name}?provider=ais"))
                .await;
            assert_eq!(body.as_deref(), Some(&flac[..]), "{name} on {owner}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_modules_fail_their_objects_and_targets_keep_serving() {
    let mut c = Cluster::start(3).await;
    c.init_code("faults-e2e", "faults.wasm", json!({"obj_timeout": "2s"}))
        .await;
    c.create_bucket("src").await;
    let data = b"still here\n".repeat(100);
    let names: Vec<String> = (0..6).map(|i| format!("h/{i}.txt")).collect();
    c.put_many("src", &names, &data).await;

    for (i, args) in ["panic", "fail", "loop", "alloc", "recurse"]
        .iter()
        .enumerate()
    {
        let name = &names[i];
        let path = format!("objects/src/{name}?provider=ais&etl_name=faults-e2e&etl_args={args}");
        let (status, body) = c.get(&path).await;
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, 400, "{args}: {text}");
        assert!(
            text.contains("ETL faults-e2e") && text.contains(&format!("ais://src/{name}")),
            "{args}: {text}"
        );
        let (status, body) = c
            .get(&format!(
                "objects/src/{name}?provider=ais&etl_name=faults-e2e"
            ))
            .await;
        assert_eq!((status, body), (200, data.clone()), "echo after {args}");
        c.assert_all_alive();
    }
    // Every target's workers still work: an offline echo over all objects succeeds.
    let xid = c
        .post_bucket(
            "src",
            Some("echoed"),
            &etl_bck("faults-e2e", json!({}), "", 0),
        )
        .await;
    let status = wait_job(&c, &xid, "etl-bck", Duration::from_secs(60)).await;
    assert_eq!(
        (&status["err"], &status["aborted"]),
        (&json!(""), &json!(false)),
        "{status}"
    );
    for name in &names {
        let (status, body) = c.get(&format!("objects/echoed/{name}?provider=ais")).await;
        assert_eq!((status, body), (200, data.clone()), "{name}");
    }
    let flags = c.smap().await["tmap"].as_object().map(|m| {
        m.values()
            .map(|n| n["flags"].as_u64().unwrap_or(0) & MAINTENANCE_FLAGS)
            .sum::<u64>()
    });
    assert_eq!(flags, Some(0), "no target left the cluster");
    c.assert_all_alive();
}

#[test]
fn hrw_owner_skips_targets_in_maintenance() {
    // docs/rest-api.md §3.3: of t1 and t2, t2 owns ais/@#/bck/obj; with t2 in maintenance, t1.
    let digest = |id: &str| lode_wire::hrw::digest(id.as_bytes());
    let mut smap =
        json!({"tmap": {"t1": {"id_digest": digest("t1")}, "t2": {"id_digest": digest("t2")}}});
    assert_eq!(hrw_owner(&smap, "ais/@#/bck/obj"), "t2");
    smap["tmap"]["t2"]["flags"] = json!(4);
    assert_eq!(hrw_owner(&smap, "ais/@#/bck/obj"), "t1");
}
