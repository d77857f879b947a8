//! Building the Pod object for one ETL on one target: pure functions from the validated
//! [`ContainerSpec`] and the [`KubeConfig`] to a [`Pod`], unit-tested without a cluster.
//!
//! * The image + command form (and `init_class`, which is AIStore's
//!   `aistorage/runtime_python:<ver>` image with `ETL_CLASS_PAYLOAD` and no command) becomes a
//!   one-container pod: port `default` (the spec's, 8000 unless said), a readiness probe
//!   `GET /health` on it.
//! * Init code (`python3.Xv2`) runs the same `runtime_python` image with the command
//!   `python3 -c <lode_pod_boot.py> --host 0.0.0.0`: the bootstrap writes lode's `lode_etl.py`
//!   shim and the user's code from the env (`LODE_ETL_PY`, `LODE_USER_CODE`, ...), pip-installs
//!   the dependencies, and serves on port 8000 as the process runner does. The code travels in
//!   the pod's env, so it must stay under the kernel's 128 KiB per variable.
//! * The init-spec form keeps the user's pod as given.
//!
//! Both get the same additions: the name and labels below, the container env (the user env,
//! then `AIS_TARGET_URL`, `DIRECT_PUT` and `direct_put`, which the user cannot override), a
//! required node affinity on `kubernetes.io/hostname` = the target's node, and one `hostPath`
//! volume per target mountpath, mounted read-only at the same path so that FQNs resolve.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerPort, EnvVar, HTTPGetAction, HostPathVolumeSource, NodeAffinity,
    NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, Probe, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sha2::Digest;

use crate::launch::{code_env, LODE_ETL_APP_PY, LODE_ETL_PY};
use crate::{
    ContainerSpec, KubeConfig, PodOptions, RunError, Workload, DEFAULT_PORT, RUNTIME_PYTHON_IMAGE,
};

/// Label every lode ETL pod carries.
pub(crate) const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "lode");
/// Label naming the ETL.
pub(crate) const ETL_LABEL: &str = "lode.etl";
/// Label naming the target that started the pod (orphan cleanup selects on it).
pub(crate) const TARGET_LABEL: &str = "lode.target";
/// The name of the port the target talks to.
pub(crate) const PORT_NAME: &str = "default";
const HOSTNAME_KEY: &str = "kubernetes.io/hostname";
const MOUNT_PREFIX: &str = "lode-mp";
const MAX_NAME: usize = 63;
const POD_BOOT: &str = include_str!("../py/lode_pod_boot.py");

/// The pod for ETL `etl` on this target.
pub(crate) fn build(
    spec: &ContainerSpec,
    etl: &str,
    cfg: &KubeConfig,
    opts: &PodOptions,
) -> Result<Pod, RunError> {
    let (mut pod, workload_env) = match &spec.pod {
        Some(user) => {
            // Its env is in `spec.env` already (with numbers and booleans as strings).
            let mut user = user.clone();
            if let Some(c0) = user["spec"]["containers"][0].as_object_mut() {
                c0.remove("env");
            }
            let pod = serde_json::from_value::<Pod>(user).map_err(|e| {
                RunError::Invalid(format!("the pod spec is not a Kubernetes Pod: {e}"))
            })?;
            (pod, Vec::new())
        }
        None => server_pod(spec),
    };
    let meta = &mut pod.metadata;
    meta.name = Some(pod_name(etl, &cfg.target_id));
    meta.namespace = None;
    meta.generate_name = None;
    meta.labels
        .get_or_insert_with(BTreeMap::new)
        .extend(labels(etl, &cfg.target_id));
    let podspec = pod.spec.get_or_insert_with(PodSpec::default);
    podspec
        .affinity
        .get_or_insert_with(Affinity::default)
        .node_affinity = Some(node_affinity(&cfg.node_name));
    let volumes = podspec.volumes.get_or_insert_with(Vec::new);
    let container = podspec
        .containers
        .first_mut()
        .ok_or_else(|| RunError::Invalid("the pod has no container".into()))?;
    container.env = Some(env(&workload_env, spec, opts));
    let mounts = container.volume_mounts.get_or_insert_with(Vec::new);
    for (i, mp) in cfg.mountpaths.iter().enumerate() {
        let name = format!("{MOUNT_PREFIX}{i}");
        let path = mp.to_string_lossy().into_owned();
        volumes.push(Volume {
            name: name.clone(),
            host_path: Some(HostPathVolumeSource {
                path: path.clone(),
                type_: Some("Directory".into()),
            }),
            ..Volume::default()
        });
        mounts.push(VolumeMount {
            name,
            mount_path: path,
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    Ok(pod)
}

/// The one-container pod for an image, `init_class` or init code spec, and the env its
/// workload needs (below the user env).
fn server_pod(spec: &ContainerSpec) -> (Pod, Vec<(String, String)>) {
    let mut workload_env = Vec::new();
    let (image, command, port) = match &spec.workload {
        Workload::Image {
            image,
            command,
            port,
        } => (image.clone(), command.clone(), *port),
        Workload::PythonClass { python, .. } => (
            format!("{RUNTIME_PYTHON_IMAGE}{python}"),
            Vec::new(),
            DEFAULT_PORT,
        ),
        Workload::PythonCode(code) => {
            workload_env.extend(code_env(code));
            workload_env.extend([
                ("LODE_ETL_PY".into(), LODE_ETL_PY.into()),
                ("LODE_ETL_APP_PY".into(), LODE_ETL_APP_PY.into()),
                ("LODE_USER_CODE".into(), code.code.clone()),
                ("LODE_ETL_DEPS".into(), code.dependencies.join(" ")),
                ("PORT".into(), DEFAULT_PORT.to_string()),
                ("PYTHONUNBUFFERED".into(), "1".into()),
            ]);
            let command = ["python3", "-c", POD_BOOT, "--host", "0.0.0.0"];
            (
                format!("{RUNTIME_PYTHON_IMAGE}{}", code.python),
                command.map(str::to_owned).to_vec(),
                DEFAULT_PORT,
            )
        }
    };
    let container = Container {
        name: "server".into(),
        image: Some(image),
        command: (!command.is_empty()).then_some(command),
        ports: Some(vec![ContainerPort {
            name: Some(PORT_NAME.into()),
            container_port: i32::from(port),
            ..ContainerPort::default()
        }]),
        readiness_probe: Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/health".into()),
                port: IntOrString::String(PORT_NAME.into()),
                ..HTTPGetAction::default()
            }),
            period_seconds: Some(1),
            ..Probe::default()
        }),
        ..Container::default()
    };
    let pod = Pod {
        spec: Some(PodSpec {
            containers: vec![container],
            ..PodSpec::default()
        }),
        ..Pod::default()
    };
    (pod, workload_env)
}

/// The container env: the workload's, the user's (last one wins), then the AIS variables.
fn env(workload: &[(String, String)], spec: &ContainerSpec, opts: &PodOptions) -> Vec<EnvVar> {
    let dp = opts.direct_put.to_string();
    let ais = [
        ("AIS_TARGET_URL", opts.target_url.as_str()),
        ("DIRECT_PUT", dp.as_str()),
        ("direct_put", dp.as_str()),
    ];
    let mut vars: Vec<(&str, &str)> = Vec::new();
    let user = workload.iter().chain(&spec.env);
    for (k, v) in user.map(|(k, v)| (k.as_str(), v.as_str())).chain(ais) {
        vars.retain(|(name, _)| *name != k);
        vars.push((k, v));
    }
    vars.into_iter()
        .map(|(name, value)| EnvVar {
            name: name.into(),
            value: Some(value.into()),
            ..EnvVar::default()
        })
        .collect()
}

fn node_affinity(node: &str) -> NodeAffinity {
    NodeAffinity {
        required_during_scheduling_ignored_during_execution: Some(NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm {
                match_expressions: Some(vec![NodeSelectorRequirement {
                    key: HOSTNAME_KEY.into(),
                    operator: "In".into(),
                    values: Some(vec![node.into()]),
                }]),
                ..NodeSelectorTerm::default()
            }],
        }),
        ..NodeAffinity::default()
    }
}

/// The labels of ETL `etl`'s pod on target `target_id`.
pub(crate) fn labels(etl: &str, target_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.0.into(), MANAGED_BY.1.into()),
        (ETL_LABEL.into(), dns_label(etl)),
        (TARGET_LABEL.into(), dns_label(target_id)),
    ])
}

/// The label selector of every pod target `target_id` started.
pub(crate) fn target_selector(target_id: &str) -> String {
    format!(
        "{}={},{TARGET_LABEL}={}",
        MANAGED_BY.0,
        MANAGED_BY.1,
        dns_label(target_id)
    )
}

/// `etl-<etl>-<target>` as a DNS-1123 label (lowercase alphanumerics and `-`, at most 63
/// characters, alphanumeric at both ends). A name that had to be changed gets a hash of the
/// original, so two ETLs never share a pod name.
pub(crate) fn pod_name(etl: &str, target_id: &str) -> String {
    dns_label(&format!("etl-{etl}-{target_id}"))
}

fn dns_label(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        match c {
            'a'..='z' | '0'..='9' => s.push(c),
            _ if !s.ends_with('-') => s.push('-'),
            _ => {}
        }
    }
    let trimmed = s.trim_matches('-');
    if trimmed == raw && raw.len() <= MAX_NAME {
        return raw.to_owned();
    }
    let hash = hex::encode(&sha2::Sha256::digest(raw.as_bytes())[..4]);
    let keep = MAX_NAME - hash.len() - 1;
    let head = trimmed[..trimmed.len().min(keep)].trim_end_matches('-');
    match head {
        "" => format!("x{hash}"),
        head => format!("{head}-{hash}"),
    }
}

#[cfg(test)]
#[path = "object_tests.rs"]
mod tests;
