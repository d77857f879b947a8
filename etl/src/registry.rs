//! [`Registry`]: the ETLs running on one node, the process's one Wasm runtime, the modules
//! kept by hash, and the container pod runner. Its lifecycle (which ETLs should run, and how
//! each start went) is in [`crate::lifecycle`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use lode_runtime::{Runtime, RuntimeConfig};

#[cfg(feature = "container")]
use crate::container::{ContainerBackend, ContainerContext};
use crate::etl::log_ring;
use crate::lifecycle::Lifecycle;
use crate::modules::ModuleStore;
use crate::wasm::{self, WasmBackend};
use crate::{Etl, EtlError, InitMsg, Pipeline};

/// How a node's registry is set up.
#[derive(Clone, Debug, Default)]
pub struct RegistryConfig {
    /// Where compiled modules are cached (shared by every node of a machine is fine: entries
    /// are keyed by module hash and engine); `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Where modules fetched by hash are kept (a [`ModuleStore`]); `None` fetches every start.
    pub module_dir: Option<PathBuf>,
    /// Worker threads per ETL; 0 = one per core (also a container ETL's objects in flight).
    pub workers: usize,
    /// The pod runner for container ETLs (`process` or `kubernetes`); `None` refuses
    /// container ETLs.
    #[cfg(feature = "container")]
    pub container: Option<lode_container::Runner>,
}

/// The ETLs running on this node, by name.
pub struct Registry {
    runtime: Runtime,
    workers: usize,
    #[cfg(feature = "container")]
    container: Option<lode_container::Runner>,
    pub(crate) modules: Option<ModuleStore>,
    etls: RwLock<BTreeMap<String, Arc<Etl>>>,
    /// Serialises reconciles (and the settling of background starts).
    pub(crate) serial: tokio::sync::Mutex<()>,
    pub(crate) lifecycle: std::sync::Mutex<Lifecycle>,
}

impl Registry {
    /// Creates the node's Wasm runtime (engine, module cache, epoch ticker).
    pub fn new(config: RegistryConfig) -> Result<Registry, EtlError> {
        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: config.cache_dir,
            ..RuntimeConfig::default()
        })
        .map_err(|e| EtlError::Host(e.to_string()))?;
        let workers = match config.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Ok(Registry {
            runtime,
            workers,
            #[cfg(feature = "container")]
            container: config.container,
            modules: config.module_dir.map(ModuleStore::new),
            etls: RwLock::new(BTreeMap::new()),
            serial: tokio::sync::Mutex::new(()),
            lifecycle: std::sync::Mutex::default(),
        })
    }

    /// Compiles `wasm` and checks it against the ABI and the message's limits, starting
    /// nothing. Blocking (compilation can take a while): call it off the async threads.
    pub fn check(&self, msg: &InitMsg, wasm: &[u8]) -> Result<(), EtlError> {
        wasm::load(&self.runtime, msg, wasm)
            .map(drop)
            .map_err(|e| EtlError::Rejected {
                name: msg.name.clone(),
                reason: e.to_string(),
            })
    }

    /// Loads `wasm` and starts its workers under `msg.name`, replacing an ETL of that name.
    /// Blocking, like [`Registry::check`].
    pub fn start(&self, msg: InitMsg, xid: &str, wasm: &[u8]) -> Result<Arc<Etl>, EtlError> {
        let module = wasm::load(&self.runtime, &msg, wasm).map_err(|e| EtlError::Rejected {
            name: msg.name.clone(),
            reason: e.to_string(),
        })?;
        let (logs, sink) = log_ring();
        let env = msg
            .env
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect();
        let backend = WasmBackend::start(&module, self.workers, sink, env)
            .map_err(|e| EtlError::Host(format!("cannot start workers for {}: {e}", msg.name)))?;
        let name = msg.name.clone();
        let etl = Arc::new(Etl::new(msg, xid.to_owned(), Box::new(backend), logs));
        tracing::info!(etl = %name, %xid, workers = etl.workers(), from_cache = module.loaded_from_cache(), "ETL started");
        self.write().insert(name, Arc::clone(&etl));
        Ok(etl)
    }

    /// Starts the container ETL `msg` (whose module is [`crate::ModuleSource::Container`]): plans
    /// its command, starts the transformer and waits for it to be ready, replacing an ETL of
    /// that name.
    #[cfg(feature = "container")]
    pub async fn start_container(
        &self,
        msg: InitMsg,
        xid: &str,
        ctx: &ContainerContext,
    ) -> Result<Arc<Etl>, EtlError> {
        let rejected = |reason: String| EtlError::Rejected {
            name: msg.name.clone(),
            reason,
        };
        let crate::ModuleSource::Container(spec) = &msg.module else {
            return Err(rejected("not a container ETL".into()));
        };
        let runner = self
            .container
            .as_ref()
            .ok_or_else(|| rejected("this node does not run container ETLs".into()))?;
        let backend = ContainerBackend::start(&msg, spec, runner, ctx, self.workers)
            .await
            .map_err(rejected)?;
        let (logs, _sink) = log_ring();
        let name = msg.name.clone();
        let etl = Arc::new(Etl::new(msg, xid.to_owned(), Box::new(backend), logs));
        tracing::info!(etl = %name, %xid, "container ETL started");
        self.write().insert(name, Arc::clone(&etl));
        Ok(etl)
    }

    /// Where this node keeps modules by hash, if anywhere.
    pub fn modules(&self) -> Option<&ModuleStore> {
        self.modules.as_ref()
    }

    /// The running ETL `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Etl>> {
        self.read().get(name).cloned()
    }

    /// Stops `name`: its workers exit once the objects in flight are done.
    pub fn remove(&self, name: &str) -> Option<Arc<Etl>> {
        let etl = self.write().remove(name);
        if let Some(etl) = &etl {
            etl.log("INFO", &format!("ETL {name} stopped"));
            tracing::info!(etl = %name, "ETL stopped");
        }
        etl
    }

    /// Every running ETL, by name.
    pub fn list(&self) -> Vec<Arc<Etl>> {
        self.read().values().cloned().collect()
    }

    /// The pipeline `first` then `rest`, all of which must be running here.
    pub fn pipeline(&self, first: &str, rest: &[String]) -> Result<Pipeline, EtlError> {
        let get = |n: &str| self.get(n).ok_or_else(|| EtlError::NotFound(n.to_owned()));
        let stages = rest.iter().map(|n| get(n)).collect::<Result<Vec<_>, _>>()?;
        Ok(Pipeline::new(get(first)?, stages))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Etl>>> {
        self.etls.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<Etl>>> {
        self.etls.write().unwrap_or_else(|p| p.into_inner())
    }
}
