//! From a [`ContainerSpec`] to a [`Launch`]: the local command that stands in for the pod.
//!
//! * An image with a `command` runs that command; an image without one runs the command its
//!   [`LocalImage`] entry in [`RunnerConfig::images`] gives (the image's entrypoint), else
//!   init fails with [`RunError::NoCommand`]. A mapped image also supplies its working
//!   directory and env (what the image's filesystem would have: e.g. the FFmpeg server's
//!   `fastapi_server.py` and a `PATH` with uvicorn).
//! * `init_class` and init code run `lode_etl.py` (in `src/py/`) from a per-ETL working
//!   directory, with a virtualenv from [`ensure_venv`](crate::ensure_venv) holding the SDK and
//!   the declared packages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{
    venv, CommType, ContainerSpec, InitCode, PodOptions, RunError, Workload, DEFAULT_PORT,
};

pub(crate) const LODE_ETL_PY: &str = include_str!("py/lode_etl.py");
pub(crate) const LODE_ETL_APP_PY: &str = include_str!("py/lode_etl_app.py");

/// What an image provides on this machine, for images run as local processes.
#[derive(Debug, Clone, Default)]
pub struct LocalImage {
    /// The image's entrypoint, used when the init message has no `command`.
    pub command: Vec<String>,
    /// The directory the command runs in.
    pub workdir: Option<PathBuf>,
    /// Env the image sets (e.g. `PATH`), below the user env.
    pub env: Vec<(String, String)>,
}

/// The process runner's configuration (the node's `etl.process` section).
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Image name -> local stand-in.
    pub images: HashMap<String, LocalImage>,
    /// Where virtualenvs are cached.
    pub venv_root: PathBuf,
    /// Where per-ETL working directories go (`<work_root>/<etl name>`).
    pub work_root: PathBuf,
}

/// A local command standing in for a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The command and its args, before the port rewrite.
    pub command: Vec<String>,
    /// User env (and image env), before the AIS variables.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub workdir: Option<PathBuf>,
    /// The port the spec declares (rewritten to the real one, see `ports.rs`).
    pub declared_port: u16,
}

impl Launch {
    /// Plans the launch of `spec` for the ETL `name`: creates the venv and working
    /// directory for Python runtimes (slow the first time).
    pub async fn plan(
        spec: &ContainerSpec,
        name: &str,
        cfg: &RunnerConfig,
    ) -> Result<Launch, RunError> {
        let mut env = Vec::new();
        let (command, workdir, declared_port) = match &spec.workload {
            Workload::Image {
                image,
                command,
                port,
            } => {
                let local = cfg.images.get(image);
                let command = match (command.is_empty(), local) {
                    (false, _) => command.clone(),
                    (true, Some(l)) if !l.command.is_empty() => l.command.clone(),
                    _ => {
                        return Err(RunError::NoCommand {
                            image: image.clone(),
                        })
                    }
                };
                if let Some(l) = local {
                    env.extend(l.env.iter().cloned());
                }
                (command, local.and_then(|l| l.workdir.clone()), *port)
            }
            Workload::PythonClass { python, packages } => {
                check_os_packages(spec.env_var("OS_PACKAGES").unwrap_or(""))?;
                let dir = python_workdir(cfg, name, None).await?;
                let venv =
                    venv::ensure_venv(&cfg.venv_root, &venv::python_interpreter(python), packages)
                        .await?;
                (
                    vec![py(&venv), "lode_etl.py".into()],
                    Some(dir),
                    DEFAULT_PORT,
                )
            }
            Workload::PythonCode(code) => {
                let dir = python_workdir(cfg, name, Some(&code.code)).await?;
                let venv = venv::ensure_venv(
                    &cfg.venv_root,
                    &venv::python_interpreter(&code.python),
                    &code.dependencies,
                )
                .await?;
                env.extend(code_env(code));
                let command = match spec.comm {
                    CommType::Io => {
                        let call = format!("import lode_user_code as m; m.{}()", code.transform);
                        vec![py(&venv), "-c".into(), call]
                    }
                    _ => vec![py(&venv), "lode_etl.py".into()],
                };
                (command, Some(dir), DEFAULT_PORT)
            }
        };
        env.push(("PYTHONUNBUFFERED".into(), "1".into()));
        env.extend(spec.env.iter().cloned());
        Ok(Launch {
            command,
            env,
            workdir,
            declared_port,
        })
    }

    /// The full environment: the user env, then `AIS_TARGET_URL`, `DIRECT_PUT`,
    /// `direct_put` and (for servers) `PORT`, which the user cannot override.
    pub(crate) fn env(&self, opts: &PodOptions, port: Option<u16>) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = self.env.iter().cloned().collect();
        let dp = opts.direct_put.to_string();
        env.insert("AIS_TARGET_URL".into(), opts.target_url.clone());
        env.insert("DIRECT_PUT".into(), dp.clone());
        env.insert("direct_put".into(), dp);
        if let Some(port) = port {
            env.insert("PORT".into(), port.to_string());
        }
        env
    }
}

/// What `lode_etl.py` needs to know about init code, as env (both runners).
pub(crate) fn code_env(code: &InitCode) -> [(String, String); 3] {
    [
        ("LODE_ETL_TRANSFORM".into(), code.transform.clone()),
        ("LODE_ETL_ARGUMENT".into(), code.argument.as_str().into()),
        ("LODE_ETL_CHUNK_SIZE".into(), code.chunk_size.to_string()),
    ]
}

fn py(venv: &Path) -> String {
    venv.join("bin/python").to_string_lossy().into_owned()
}

async fn python_workdir(
    cfg: &RunnerConfig,
    name: &str,
    code: Option<&str>,
) -> Result<PathBuf, RunError> {
    let dir = cfg.work_root.join(name);
    let mut files = vec![
        ("lode_etl.py", LODE_ETL_PY),
        ("lode_etl_app.py", LODE_ETL_APP_PY),
    ];
    if let Some(code) = code {
        files.push(("lode_user_code.py", code));
    }
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(RunError::io(format!("creating {}", dir.display())))?;
    for (file, text) in files {
        let path = dir.join(file);
        tokio::fs::write(&path, text)
            .await
            .map_err(RunError::io(format!("writing {}", path.display())))?;
    }
    Ok(dir)
}

/// The process runner cannot install OS packages; it accepts those already installed.
fn check_os_packages(list: &str) -> Result<(), RunError> {
    for pkg in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let installed = std::process::Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", pkg])
            .output()
            .is_ok_and(|o| o.status.success() && o.stdout.ends_with(b"installed"));
        if !installed {
            return Err(RunError::Python(format!(
                "OS_PACKAGES: {pkg:?} is not installed, and the process runner cannot install OS packages"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> RunnerConfig {
        let ffmpeg = LocalImage {
            command: vec!["uvicorn".into(), "fastapi_server:fastapi_app".into()],
            workdir: Some("/srv/ffmpeg".into()),
            env: vec![("PATH".into(), "/venv/bin".into())],
        };
        RunnerConfig {
            images: HashMap::from([("aistorage/transformer_ffmpeg:latest".into(), ffmpeg)]),
            venv_root: "/nonexistent".into(),
            work_root: "/nonexistent".into(),
        }
    }

    fn spec(json: &str) -> ContainerSpec {
        ContainerSpec::parse(json.as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn image_without_command_uses_the_image_map() {
        let s = spec(
            r#"{"runtime": {"image": "aistorage/transformer_ffmpeg:latest", "env": [{"name": "AC", "value": "1"}]}}"#,
        );
        let l = Launch::plan(&s, "ffmpeg", &cfg()).await.unwrap();
        assert_eq!(l.command, ["uvicorn", "fastapi_server:fastapi_app"]);
        assert_eq!(l.workdir.as_deref(), Some(Path::new("/srv/ffmpeg")));
        assert!(
            l.env.contains(&("AC".into(), "1".into()))
                && l.env.contains(&("PATH".into(), "/venv/bin".into()))
        );
    }

    #[tokio::test]
    async fn unmapped_image_without_command_is_an_error() {
        let s = spec(r#"{"runtime": {"image": "acme/unknown:1"}}"#);
        let err = Launch::plan(&s, "x", &cfg()).await.unwrap_err();
        assert!(
            matches!(err, RunError::NoCommand { ref image } if image == "acme/unknown:1"),
            "{err}"
        );
    }

    #[test]
    fn ais_env_overrides_the_user_env() {
        let l = Launch {
            command: vec![],
            env: vec![("AIS_TARGET_URL".into(), "x".into())],
            workdir: None,
            declared_port: 8000,
        };
        let opts = PodOptions {
            target_url: "http://t/v1/etl/_object/e/s".into(),
            peers: vec![],
            direct_put: true,
            init_timeout: Default::default(),
        };
        let env = l.env(&opts, Some(5));
        assert_eq!(env["AIS_TARGET_URL"], "http://t/v1/etl/_object/e/s");
        assert_eq!(
            (
                env["DIRECT_PUT"].as_str(),
                env["direct_put"].as_str(),
                env["PORT"].as_str()
            ),
            ("true", "true", "5")
        );
    }

    #[test]
    fn missing_os_packages_are_refused() {
        assert!(check_os_packages("").is_ok());
        assert!(check_os_packages("surely-not-a-package-lode").is_err());
    }
}
