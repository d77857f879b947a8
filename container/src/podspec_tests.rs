use super::*;

const MD5: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: transformer-md5
  annotations:
    communication_type: "hpull://"
    wait_timeout: 5m
    support_direct_put: "true"
spec:
  containers:
    - name: server
      image: aistorage/transformer_md5:latest
      ports:
        - name: default
          containerPort: 8000
      command: ["uvicorn", "fastapi_server:fastapi_app"]
      args: ["--port", "8000"]
      readinessProbe:
        httpGet:
          path: /health
          port: default
      env:
        - name: AR
          value: "16000"
        - name: EMPTY
"#;

fn parse(yaml: &str) -> Result<PodSpec, SpecError> {
    PodSpec::parse(yaml.as_bytes(), CommType::Hpush)
}

/// Applies `edit` to the valid spec's YAML value and expects an error naming `field`.
fn rejects(field: &str, edit: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_yaml_ng::from_str(MD5).unwrap();
    edit(&mut v);
    let err = parse(&serde_yaml_ng::to_string(&v).unwrap()).unwrap_err();
    assert_eq!(err.field, field, "{err}");
}

fn c0(v: &mut Value) -> &mut Value {
    &mut v["spec"]["containers"][0]
}

fn remove(v: &mut Value, key: &str) {
    v.as_mapping_mut().unwrap().remove(key);
}

#[test]
fn valid_spec_is_read() {
    let p = parse(MD5).unwrap();
    assert_eq!(p.image, "aistorage/transformer_md5:latest");
    assert_eq!(
        p.command,
        ["uvicorn", "fastapi_server:fastapi_app", "--port", "8000"]
    );
    assert_eq!(p.port, Some(8000));
    assert_eq!(p.comm, Some(CommType::Hpull));
    assert_eq!(p.wait_timeout.as_deref(), Some("5m"));
    assert_eq!(p.direct_put, Some(true));
    assert_eq!(
        p.env,
        [
            ("AR".into(), "16000".into()),
            ("EMPTY".into(), String::new())
        ]
    );
}

#[test]
fn annotations_are_optional() {
    let mut v: Value = serde_yaml_ng::from_str(MD5).unwrap();
    remove(&mut v["metadata"], "annotations");
    let p = parse(&serde_yaml_ng::to_string(&v).unwrap()).unwrap();
    assert_eq!((p.comm, p.wait_timeout, p.direct_put), (None, None, None));
}

#[test]
fn not_yaml_names_spec() {
    assert_eq!(parse(":\n  - [").unwrap_err().field, "spec");
    assert_eq!(parse("just text").unwrap_err().field, "spec");
}

#[test]
fn bad_annotations() {
    rejects("metadata.annotations.communication_type", |v| {
        v["metadata"]["annotations"]["communication_type"] = "hpush".into();
    });
    rejects("metadata.annotations.support_direct_put", |v| {
        v["metadata"]["annotations"]["support_direct_put"] = "yes".into();
    });
    rejects("metadata.annotations.wait_timeout", |v| {
        v["metadata"]["annotations"]["wait_timeout"] = Value::Sequence(vec![]);
    });
}

#[test]
fn node_affinity_is_forbidden() {
    rejects("spec.affinity.nodeAffinity", |v| {
        let aff: Value = serde_yaml_ng::from_str(
            "nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {}}",
        )
        .unwrap();
        v["spec"]
            .as_mapping_mut()
            .unwrap()
            .insert("affinity".into(), aff);
    });
}

#[test]
fn exactly_one_container() {
    rejects("spec.containers", |v| remove(&mut v["spec"], "containers"));
    rejects("spec.containers", |v| {
        v["spec"]["containers"] = Value::Sequence(vec![])
    });
    rejects("spec.containers", |v| {
        let c = v["spec"]["containers"][0].clone();
        v["spec"]["containers"].as_sequence_mut().unwrap().push(c);
    });
}

#[test]
fn image_is_required() {
    rejects("spec.containers[0].image", |v| remove(c0(v), "image"));
    rejects("spec.containers[0].image", |v| c0(v)["image"] = "".into());
}

#[test]
fn ports_are_required_with_a_default_first_port() {
    rejects("spec.containers[0].ports", |v| remove(c0(v), "ports"));
    rejects("spec.containers[0].ports", |v| {
        c0(v)["ports"] = Value::Sequence(vec![])
    });
    rejects("spec.containers[0].ports[0].name", |v| {
        c0(v)["ports"][0]["name"] = "http".into()
    });
    rejects("spec.containers[0].ports[0].containerPort", |v| {
        remove(&mut c0(v)["ports"][0], "containerPort");
    });
    rejects("spec.containers[0].ports[0].containerPort", |v| {
        c0(v)["ports"][0]["containerPort"] = 70000.into();
    });
}

#[test]
fn readiness_probe_is_required_on_the_default_port() {
    rejects("spec.containers[0].readinessProbe", |v| {
        remove(c0(v), "readinessProbe")
    });
    rejects("spec.containers[0].readinessProbe.httpGet", |v| {
        remove(&mut c0(v)["readinessProbe"], "httpGet");
    });
    rejects("spec.containers[0].readinessProbe.httpGet.path", |v| {
        remove(&mut c0(v)["readinessProbe"]["httpGet"], "path");
    });
    rejects("spec.containers[0].readinessProbe.httpGet.port", |v| {
        remove(&mut c0(v)["readinessProbe"]["httpGet"], "port");
    });
    rejects("spec.containers[0].readinessProbe.httpGet.port", |v| {
        c0(v)["readinessProbe"]["httpGet"]["port"] = 8000.into();
    });
    rejects("spec.containers[0].readinessProbe.timeoutSeconds", |v| {
        c0(v)["readinessProbe"]["timeoutSeconds"] = 0.into();
    });
    rejects("spec.containers[0].readinessProbe.periodSeconds", |v| {
        c0(v)["readinessProbe"]["periodSeconds"] = "ten".into();
    });
}

#[test]
fn env_entries_need_a_name_and_a_literal_value() {
    rejects("spec.containers[0].env[1].name", |v| {
        remove(&mut c0(v)["env"][1], "name")
    });
    rejects("spec.containers[0].env[0].valueFrom", |v| {
        c0(v)["env"][0]["valueFrom"] = "x".into();
    });
    rejects("spec.containers[0].command", |v| {
        c0(v)["command"] = "uvicorn app".into()
    });
}

#[test]
fn io_needs_no_port_or_probe() {
    let mut v: Value = serde_yaml_ng::from_str(MD5).unwrap();
    v["metadata"]["annotations"]["communication_type"] = "io://".into();
    remove(c0(&mut v), "ports");
    remove(c0(&mut v), "readinessProbe");
    let p = parse(&serde_yaml_ng::to_string(&v).unwrap()).unwrap();
    assert_eq!((p.comm, p.port), (Some(CommType::Io), None));
}
