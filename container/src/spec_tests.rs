use super::*;
use serde_json::json;

fn parse(v: Value) -> Result<ContainerSpec, SpecError> {
    ContainerSpec::parse(v.to_string().as_bytes())
}

fn field(v: Value) -> String {
    parse(v).unwrap_err().field
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn sdk_image_message() {
    let s = parse(
        json!({"name": "ffmpeg-etl", "communication": "ws://", "support_direct_put": true,
        "runtime": {"image": "aistorage/transformer_ffmpeg:latest", "command": ["uvicorn", "a:b"],
                    "env": [{"name": "AC", "value": "1"}]},
        "env": [{"name": "AC", "value": "2"}]}),
    )
    .unwrap();
    assert_eq!((s.comm, s.direct_put), (CommType::Ws, true));
    assert_eq!(s.env_var("AC"), Some("2"));
    assert_eq!(
        s.workload,
        Workload::Image {
            image: "aistorage/transformer_ffmpeg:latest".into(),
            command: vec!["uvicorn".into(), "a:b".into()],
            port: 8000
        }
    );
}

#[test]
fn string_command_is_split_on_whitespace() {
    let s = parse(json!({"runtime": {"image": "x", "command": "python  server.py"}})).unwrap();
    assert!(
        matches!(s.workload, Workload::Image { ref command, .. } if command == &["python", "server.py"])
    );
}

#[test]
fn image_and_env_are_validated() {
    assert_eq!(
        field(json!({"runtime": {"command": ["x"]}})),
        "runtime.image"
    );
    assert_eq!(
        field(json!({"runtime": {"image": "x", "command": [1]}})),
        "runtime.command[0]"
    );
    assert_eq!(
        field(json!({"runtime": {"image": "x", "env": [{"value": "v"}]}})),
        "runtime.env[0].name"
    );
    assert_eq!(
        field(json!({"runtime": {"image": "x"}, "env": {"A": "b"}})),
        "env"
    );
    assert_eq!(
        field(json!({"runtime": {"image": "x"}, "communication": "hpush"})),
        "communication"
    );
    assert_eq!(
        field(json!({"runtime": {"image": "x"}, "support_direct_put": "yes"})),
        "support_direct_put"
    );
    assert_eq!(field(json!({"name": "x"})), "runtime");
    assert_eq!(field(json!([1])), "body");
}

#[test]
fn ws_requires_direct_put() {
    assert_eq!(
        field(json!({"communication": "ws://", "runtime": {"image": "x"}})),
        "support_direct_put"
    );
}

#[test]
fn init_class_needs_its_payload() {
    let s = parse(json!({"runtime": {"image": "aistorage/runtime_python:3.11", "env": [
        {"name": "ETL_CLASS_PAYLOAD", "value": "gAS="}, {"name": "PACKAGES", "value": "numpy, pillow"}]}}))
    .unwrap();
    assert_eq!(
        s.workload,
        Workload::PythonClass {
            python: "3.11".into(),
            packages: vec!["numpy".into(), "pillow".into()]
        }
    );
    assert_eq!(
        field(json!({"runtime": {"image": "aistorage/runtime_python:3.11"}})),
        "runtime.env.ETL_CLASS_PAYLOAD"
    );
}

#[test]
fn pod_spec_message_takes_annotations() {
    let pod = "metadata: {annotations: {communication_type: 'ws://', support_direct_put: 'true', wait_timeout: 2m}}\n\
               spec:\n  containers:\n  - image: md5\n    ports: [{name: default, containerPort: 8080}]\n    \
               readinessProbe: {httpGet: {path: /health, port: default}}\n";
    let s = parse(json!({"name": "md5-pod", "spec": b64(pod)})).unwrap();
    assert_eq!(
        (s.comm, s.direct_put, s.wait_timeout.as_deref()),
        (CommType::Ws, true, Some("2m"))
    );
    assert!(matches!(s.workload, Workload::Image { port: 8080, .. }));
    assert_eq!(field(json!({"spec": "%%%"})), "spec");
    assert_eq!(field(json!({"spec": 5})), "spec");
    let no_dp = pod.replace("support_direct_put: 'true', ", "");
    assert_eq!(field(json!({"spec": b64(&no_dp)})), "support_direct_put");
}

#[test]
fn init_code_message() {
    let s = parse(json!({"runtime": "python3.11v2", "communication": "hpull://", "code": b64("def f(b): return b"),
        "funcs": {"transform": "f"}, "argument": "fqn"}))
    .unwrap();
    assert!(matches!(s.workload, Workload::PythonCode(ref c) if c.transform == "f"));
    assert_eq!(s.env_var("ETL_DIRECT_FQN"), Some("true"));
    assert_eq!(
        field(json!({"runtime": "python3.11v2", "funcs": {"transform": "f"}})),
        "code"
    );
}
