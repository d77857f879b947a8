//! The ETL lifecycle on one node: [`Registry::reconcile`] runs exactly the ETLs the cluster
//! wants here ([`Wanted`]), and [`Registry::state`] says where each one is
//! ([`EtlState`]: Starting, Running, Failed with the reason, or not running).
//!
//! Wasm ETLs start before `reconcile` returns (the module fetched once by hash, compiled or
//! loaded from the cache); container ETLs start in the background (a first virtualenv build or
//! a pod's readiness can take minutes) and are `Starting` until then. When a background start
//! finishes, the newest wanted state decides: still wanted under the same xid, it stays;
//! stopped or deleted meanwhile, it is dropped (its process or pod goes with it); restarted
//! under a new xid, that one starts next.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::backend::BoxFuture;
use crate::modules::ModuleRef;
use crate::{InitMsg, Registry};

/// One ETL the cluster wants running on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The incarnation (`etl-...`); a new one on every start.
    pub xid: String,
    /// The init message as the gateway stored it (a Wasm module's bytes are not in it).
    pub init: String,
    /// The Wasm module to run; `None` for a container ETL.
    pub module: Option<ModuleRef>,
    /// `AIS_TARGET_URL` for a container transformer: `<target>/v1/etl/_object/<etl>/<secret>`.
    pub target_url: String,
    /// The loopback ports of the cluster's targets, which a container transformer may call.
    pub peers: Vec<u16>,
}

/// Where an ETL stands on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EtlState {
    /// Its transformer is coming up.
    Starting,
    /// It transforms objects.
    Running,
    /// It could not start here; the reason.
    Failed(String),
    /// Not wanted here, or not yet reconciled.
    NotRunning,
}

/// Where a node gets the bytes of a module it does not have yet (the gateway).
pub trait ModuleFetch: Send + Sync {
    /// The bytes of `module`; the registry verifies them against the hash.
    fn fetch<'a>(&'a self, module: &'a ModuleRef) -> BoxFuture<'a, Result<Vec<u8>, String>>;
}

/// What the lifecycle remembers between reconciles.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    wanted: BTreeMap<String, Wanted>,
    starting: BTreeSet<String>,
    failed: BTreeMap<String, String>,
}

impl Registry {
    /// Starts the ETLs of `wanted` that do not run here yet and stops the others. Answers the
    /// names it stopped (their jobs should be aborted). Calls are serialised.
    pub async fn reconcile(
        self: &Arc<Self>,
        wanted: BTreeMap<String, Wanted>,
        modules: &dyn ModuleFetch,
    ) -> Vec<String> {
        let _serial = self.serial.lock().await;
        {
            let mut lc = self.lifecycle();
            lc.failed.retain(|name, _| wanted.contains_key(name));
            lc.wanted = wanted.clone();
        }
        let mut stopped = Vec::new();
        for etl in self.list() {
            if wanted.get(etl.name()).is_none_or(|w| w.xid != etl.xid()) {
                self.remove(etl.name());
                stopped.push(etl.name().to_owned());
            }
        }
        for (name, want) in wanted {
            if self.get(&name).is_some() || self.lifecycle().starting.contains(&name) {
                continue;
            }
            let msg = match InitMsg::parse_stored(want.init.as_bytes()) {
                Ok(msg) => msg,
                Err(e) => {
                    self.record_start(&name, Err(format!("cannot parse its init message: {e}")));
                    continue;
                }
            };
            match &want.module {
                #[cfg(feature = "container")]
                None => self.start_in_background(name, msg, want),
                #[cfg(not(feature = "container"))]
                None => self.record_start(
                    &name,
                    Err("a container ETL needs lode-etl's `container` feature".into()),
                ),
                Some(module) => {
                    let result = self.start_wasm(msg, &want.xid, module, modules).await;
                    self.record_start(&name, result);
                }
            }
        }
        stopped
    }

    /// Where `name` stands on this node.
    pub fn state(&self, name: &str) -> EtlState {
        if self.get(name).is_some() {
            return EtlState::Running;
        }
        let lc = self.lifecycle();
        if lc.starting.contains(name) {
            EtlState::Starting
        } else if let Some(reason) = lc.failed.get(name) {
            EtlState::Failed(reason.clone())
        } else {
            EtlState::NotRunning
        }
    }

    async fn start_wasm(
        self: &Arc<Self>,
        msg: InitMsg,
        xid: &str,
        module: &ModuleRef,
        modules: &dyn ModuleFetch,
    ) -> Result<(), String> {
        let wasm = match self.modules.as_ref().and_then(|s| s.get(module)) {
            Some(bytes) => bytes,
            None => {
                let bytes = modules.fetch(module).await?;
                if !module.matches(&bytes) {
                    return Err(format!(
                        "module {} fetched with a different hash or size",
                        module.sha256
                    ));
                }
                if let Some(store) = &self.modules {
                    if let Err(e) = store.put(&bytes) {
                        tracing::warn!(error = %e, dir = %store.dir().display(), "cannot keep a module");
                    }
                }
                bytes
            }
        };
        let (registry, xid) = (Arc::clone(self), xid.to_owned());
        match tokio::task::spawn_blocking(move || registry.start(msg, &xid, &wasm)).await {
            Ok(started) => started.map(drop).map_err(|e| e.to_string()),
            Err(e) => Err(format!("start task failed: {e}")),
        }
    }

    /// Starts the container ETL `name` in a background task, then settles it against the
    /// newest wanted state (see the module docs).
    #[cfg(feature = "container")]
    fn start_in_background(self: &Arc<Self>, name: String, msg: InitMsg, want: Wanted) {
        self.lifecycle().starting.insert(name.clone());
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            let (mut msg, mut want) = (msg, want);
            loop {
                let ctx = crate::ContainerContext {
                    target_url: want.target_url.clone(),
                    peers: want.peers.clone(),
                };
                let result = registry.start_container(msg, &want.xid, &ctx).await;
                let _serial = registry.serial.lock().await;
                let newest = registry.lifecycle().wanted.get(&name).cloned();
                let next = match newest {
                    Some(w) if w.xid == want.xid => {
                        registry.record_start(&name, result.map(drop).map_err(|e| e.to_string()));
                        None
                    }
                    newer => {
                        if result.is_ok()
                            && registry.get(&name).is_some_and(|e| e.xid() == want.xid)
                        {
                            registry.remove(&name);
                        }
                        newer
                            .and_then(|w| Some((InitMsg::parse_stored(w.init.as_bytes()).ok()?, w)))
                    }
                };
                match next {
                    Some(n) => (msg, want) = n,
                    None => {
                        // Under the serial lock, so a reconcile never skips an ETL nobody starts.
                        registry.lifecycle().starting.remove(&name);
                        break;
                    }
                }
            }
        });
    }

    /// Remembers why `name` failed to start here, or forgets an old failure.
    fn record_start(&self, name: &str, result: Result<(), String>) {
        let mut lc = self.lifecycle();
        match result {
            Ok(()) => {
                lc.failed.remove(name);
            }
            Err(reason) => {
                tracing::error!(etl = %name, error = %reason, "cannot start ETL");
                lc.failed.insert(name.to_owned(), reason);
            }
        }
    }

    fn lifecycle(&self) -> std::sync::MutexGuard<'_, Lifecycle> {
        self.lifecycle.lock().unwrap_or_else(|p| p.into_inner())
    }
}
