//! `lode node gateway|target`: run one daemon in the foreground (what `lode up` starts).

use std::path::PathBuf;

use anyhow::Context;
use lode_node::{EtlConfig, GatewayConfig, RunnerKind, TargetConfig};

/// Arguments of `lode node`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    role: Role,
}

#[derive(clap::Subcommand)]
enum Role {
    /// The gateway: cluster map, buckets, redirects to targets.
    Gateway {
        /// TCP port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Directory for the cluster map and bucket metadata.
        #[arg(long)]
        data: PathBuf,
        /// Address to listen on and advertise.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Gateway id (kept in the cluster map after the first start).
        #[arg(long, default_value = "p1")]
        id: String,
        /// Compiled Wasm module cache, may be shared by all nodes (default: <data>/wasm-cache).
        #[arg(long)]
        module_cache: Option<PathBuf>,
    },
    /// A storage target: joins the gateway, stores objects on its mountpaths.
    Target {
        /// Target id; decides object placement, keep it across restarts.
        #[arg(long)]
        id: String,
        /// TCP port to listen on.
        #[arg(long)]
        port: u16,
        /// Gateway URL, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        gateway: String,
        /// Directory for the target's identity (and its default mountpath, <data>/mp).
        #[arg(long)]
        data: PathBuf,
        /// Mountpath directory; repeat for several (default: <data>/mp).
        #[arg(long = "mountpath")]
        mountpaths: Vec<PathBuf>,
        /// Address to listen on and advertise.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Skip fsync on PUT (faster, not crash-safe).
        #[arg(long)]
        no_fsync: bool,
        /// Worker threads per Wasm ETL (a container ETL's objects in flight); 0 = one per core.
        #[arg(long, default_value_t = 0)]
        etl_workers: usize,
        /// Multipart uploads nothing touched for this long are removed (Go duration).
        #[arg(long, default_value = "24h", value_parser = lode_wire::duration::parse)]
        upload_max_age: std::time::Duration,
        /// Compiled Wasm module cache, may be shared by all nodes (default: <data>/wasm-cache).
        #[arg(long)]
        module_cache: Option<PathBuf>,
        /// Container ETLs: Python virtualenvs are cached in <etl-dir>/venv, may be shared by
        /// all nodes (default: <data>/etl).
        #[arg(long)]
        etl_dir: Option<PathBuf>,
        #[command(flatten)]
        etl: EtlArgs,
    },
}

/// How targets run container ETLs: a configuration file and overrides for the common cases
/// (shared with `lode up`).
#[derive(clap::Args, Clone, Default)]
pub struct EtlArgs {
    /// Node configuration file (YAML; its `etl:` section: runner, images, kubernetes).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Pod runner for container ETLs: process or kubernetes (overrides the file's etl.runner).
    #[arg(long)]
    pub etl_runner: Option<RunnerKind>,
    /// Kubernetes API server URL (overrides etl.kubernetes.api_url).
    #[arg(long)]
    pub kube_api_url: Option<String>,
}

impl EtlArgs {
    /// The file's `etl:` section with the flags applied.
    fn resolve(&self) -> anyhow::Result<EtlConfig> {
        let mut etl = match &self.config {
            Some(path) => EtlConfig::load(path)?,
            None => EtlConfig::default(),
        };
        if let Some(runner) = self.etl_runner {
            etl.runner = runner;
        }
        if let Some(url) = &self.kube_api_url {
            etl.kubernetes.api_url = Some(url.clone());
        }
        Ok(etl)
    }

    /// The same settings as `lode node target` flags.
    pub fn to_args(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(path) = &self.config {
            v.push(format!("--config={}", path.display()));
        }
        if let Some(runner) = self.etl_runner {
            let name = match runner {
                RunnerKind::Process => "process",
                RunnerKind::Kubernetes => "kubernetes",
            };
            v.push(format!("--etl-runner={name}"));
        }
        if let Some(url) = &self.kube_api_url {
            v.push(format!("--kube-api-url={url}"));
        }
        v
    }
}

/// Run the daemon until SIGTERM/SIGINT.
pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.role {
        Role::Gateway {
            port,
            data,
            host,
            id,
            module_cache,
        } => {
            let cfg = GatewayConfig {
                id,
                host,
                port,
                data_dir: data,
                module_cache,
            };
            lode_node::run_gateway(cfg).await.context("gateway")
        }
        Role::Target {
            id,
            port,
            gateway,
            data,
            mountpaths,
            host,
            no_fsync,
            etl_workers,
            upload_max_age,
            module_cache,
            etl_dir,
            etl,
        } => {
            let etl = etl.resolve()?;
            let cfg = TargetConfig {
                id: id.clone(),
                host,
                port,
                gateway_url: gateway,
                data_dir: data,
                mountpaths,
                fsync: !no_fsync,
                upload_max_age,
                etl_workers,
                module_cache,
                etl_dir,
                etl,
            };
            lode_node::run_target(cfg)
                .await
                .with_context(|| format!("target {id}"))
        }
    }
}
