use base64::Engine as _;
use serde_json::{json, Value};

use super::*;

fn cfg() -> KubeConfig {
    KubeConfig {
        api_url: None,
        namespace: None,
        node_name: "node-a".into(),
        target_id: "t1".into(),
        mountpaths: vec!["/var/lib/lode/mp1".into(), "/data/mp2".into()],
    }
}

fn opts() -> PodOptions {
    PodOptions {
        target_url: "http://10.0.0.5:8081/v1/etl/_object/md5-etl/s3cr3t".into(),
        peers: vec![],
        direct_put: true,
        init_timeout: std::time::Duration::from_secs(5),
    }
}

/// The pod for `msg`, as the JSON the API server receives.
fn pod_json(msg: Value) -> Value {
    let spec = ContainerSpec::parse(msg.to_string().as_bytes()).unwrap();
    serde_json::to_value(build(&spec, "md5-etl", &cfg(), &opts()).unwrap()).unwrap()
}

fn image_msg() -> Value {
    json!({"communication": "hpush://", "support_direct_put": true,
        "runtime": {"image": "aistorage/transformer_md5:latest",
            "command": ["uvicorn", "server:app", "--port", "8000"],
            "env": [{"name": "AIS_TARGET_URL", "value": "spoofed"}, {"name": "AR", "value": "1"}]}})
}

fn env_of(pod: &Value) -> Vec<(String, String)> {
    pod["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let v = e["value"].as_str().unwrap_or_default();
            (e["name"].as_str().unwrap().to_owned(), v.to_owned())
        })
        .collect()
}

/// The additions every pod gets: name, labels, affinity, env, read-only mounts.
fn check_additions(pod: &Value) {
    assert_eq!(pod["metadata"]["name"], "etl-md5-etl-t1");
    let labels = &pod["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "lode");
    assert_eq!(labels["lode.etl"], "md5-etl");
    assert_eq!(labels["lode.target"], "t1");
    let term = &pod["spec"]["affinity"]["nodeAffinity"]
        ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0];
    assert_eq!(
        term["matchExpressions"][0],
        json!({"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]})
    );
    let env = env_of(pod);
    let get = |k: &str| {
        let all: Vec<_> = env.iter().filter(|(n, _)| n == k).collect();
        assert_eq!(all.len(), 1, "{k} must be set exactly once: {env:?}");
        all[0].1.clone()
    };
    assert_eq!(get("AIS_TARGET_URL"), opts().target_url);
    assert_eq!(
        (get("DIRECT_PUT"), get("direct_put")),
        ("true".into(), "true".into())
    );
    let c0 = &pod["spec"]["containers"][0];
    for (i, path) in ["/var/lib/lode/mp1", "/data/mp2"].iter().enumerate() {
        let name = format!("lode-mp{i}");
        let mount = c0["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name.as_str())
            .unwrap();
        assert_eq!(
            (&mount["mountPath"], &mount["readOnly"]),
            (&json!(path), &json!(true))
        );
        let vol = pod["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name.as_str())
            .unwrap();
        assert_eq!(vol["hostPath"]["path"], *path);
    }
}

#[test]
fn image_form_is_a_one_container_server_pod() {
    let pod = pod_json(image_msg());
    check_additions(&pod);
    let c0 = &pod["spec"]["containers"][0];
    assert_eq!(c0["image"], "aistorage/transformer_md5:latest");
    assert_eq!(
        c0["command"],
        json!(["uvicorn", "server:app", "--port", "8000"])
    );
    assert_eq!(
        c0["ports"],
        json!([{"name": "default", "containerPort": 8000}])
    );
    assert_eq!(
        c0["readinessProbe"]["httpGet"],
        json!({"path": "/health", "port": "default"})
    );
    assert!(env_of(&pod).contains(&("AR".into(), "1".into())));
}

#[test]
fn init_spec_pod_is_kept_with_the_additions() {
    let yaml = r#"
apiVersion: v1
kind: Pod
metadata:
  name: user-name
  labels: {team: audio}
  annotations: {communication_type: "hpull://", wait_timeout: 2m}
spec:
  serviceAccountName: etl-sa
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
    - name: server
      image: acme/transformer:2
      imagePullPolicy: Always
      ports: [{name: default, containerPort: 9000}]
      command: ["python", "srv.py"]
      readinessProbe: {httpGet: {path: /ready, port: default}}
      env: [{name: MODE, value: fast}, {name: AR, value: 16000}]
      volumeMounts: [{name: scratch, mountPath: /scratch}]
"#;
    let b64 = base64::engine::general_purpose::STANDARD.encode(yaml);
    let pod = pod_json(json!({"communication": "hpull://", "spec": b64}));
    check_additions(&pod);
    assert_eq!(pod["metadata"]["labels"]["team"], "audio");
    assert_eq!(pod["metadata"]["annotations"]["wait_timeout"], "2m");
    assert_eq!(pod["spec"]["serviceAccountName"], "etl-sa");
    let c0 = &pod["spec"]["containers"][0];
    assert_eq!(c0["imagePullPolicy"], "Always");
    assert_eq!(c0["ports"][0]["containerPort"], 9000);
    assert_eq!(c0["readinessProbe"]["httpGet"]["path"], "/ready");
    assert_eq!(c0["volumeMounts"][0]["name"], "scratch");
    assert_eq!(pod["spec"]["volumes"][0]["name"], "scratch");
    assert!(env_of(&pod).contains(&("MODE".into(), "fast".into())));
    assert!(env_of(&pod).contains(&("AR".into(), "16000".into())));
}

#[test]
fn init_class_runs_the_runtime_python_image() {
    let pod = pod_json(json!({"communication": "hpush://", "runtime": {
        "image": "aistorage/runtime_python:3.11",
        "env": [{"name": "ETL_CLASS_PAYLOAD", "value": "gASV"}]}}));
    let c0 = &pod["spec"]["containers"][0];
    assert_eq!(c0["image"], "aistorage/runtime_python:3.11");
    assert!(c0["command"].is_null(), "the image's entrypoint runs");
    assert!(env_of(&pod).contains(&("ETL_CLASS_PAYLOAD".into(), "gASV".into())));
}

#[test]
fn init_code_runs_lodes_bootstrap_in_the_runtime_python_image() {
    let code = "def transform(b):\n    return b\n";
    let msg = json!({"runtime": "python3.11v2", "communication": "hpush://",
        "code": base64::engine::general_purpose::STANDARD.encode(code),
        "dependencies": base64::engine::general_purpose::STANDARD.encode("numpy\nlibrosa\n"),
        "funcs": {"transform": "transform"}});
    let pod = pod_json(msg);
    check_additions(&pod);
    let c0 = &pod["spec"]["containers"][0];
    assert_eq!(c0["image"], "aistorage/runtime_python:3.11");
    assert_eq!(c0["command"][0], "python3");
    assert_eq!(c0["command"][2], POD_BOOT);
    let env = env_of(&pod);
    for (k, v) in [
        ("LODE_USER_CODE", code),
        ("LODE_ETL_TRANSFORM", "transform"),
        ("LODE_ETL_DEPS", "numpy librosa"),
        ("LODE_ETL_PY", LODE_ETL_PY),
        ("PORT", "8000"),
    ] {
        assert!(env.contains(&(k.into(), v.into())), "{k}: {env:?}");
    }
}

fn valid_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[test]
fn pod_names_are_dns_labels_and_distinct() {
    let long = "e".repeat(80);
    let cases = [
        ("md5-etl", "t1"),
        ("MD5_etl", "t1"),
        ("md5.etl", "t1"),
        (long.as_str(), "lode-target-0"),
        ("---", "T_2"),
    ];
    let names: Vec<String> = cases.iter().map(|(e, t)| pod_name(e, t)).collect();
    for (name, case) in names.iter().zip(&cases) {
        assert!(valid_dns_label(name), "{case:?} -> {name:?}");
    }
    assert_eq!(names[0], "etl-md5-etl-t1", "a valid name is kept as is");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert_eq!(pod_name(&long, "t1"), pod_name(&long, "t1"), "stable");
    assert_eq!(
        target_selector("t1"),
        "app.kubernetes.io/managed-by=lode,lode.target=t1"
    );
}
