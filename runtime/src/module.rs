//! [`Module`]: a compiled, validated transform, ready to instantiate; and how one is loaded.

use std::sync::{Arc, Mutex};

use lode_host_abi::{export, ABI_VERSION};
use sha2::{Digest, Sha256};
use wasmtime::{Instance, InstancePre, Store};
use wasmtime_wasi::WasiCtxBuilder;

use crate::error::LoadError;
use crate::host::{self, Host, MemoryLimiter, ObjectState, SharedState};
use crate::log::{discard_logs, LogSink};
use crate::runtime::Runtime;
use crate::stdio::Stdio;
use crate::validate::{self, ModuleStyle};
use crate::Limits;

/// A loaded transform module. Cheap to clone; pools built from it share the compiled code.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

pub(crate) struct ModuleInner {
    pub(crate) runtime: Runtime,
    pub(crate) pre: InstancePre<Host>,
    pub(crate) style: ModuleStyle,
    pub(crate) initialize: bool,
    pub(crate) limits: Limits,
    sha256: [u8; 32],
    from_cache: bool,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("sha256", &self.sha256())
            .field("style", &self.inner.style)
            .field("limits", &self.inner.limits)
            .finish()
    }
}

impl Module {
    /// SDK style or WASI command, and which SDK forms it exports.
    pub fn style(&self) -> ModuleStyle {
        self.inner.style
    }

    /// The limits every object of this module runs under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The SHA-256 of the module's bytes, lower-case hex.
    pub fn sha256(&self) -> String {
        hex::encode(self.inner.sha256)
    }

    /// Whether the compiled code came from the on-disk cache rather than a compilation.
    pub fn loaded_from_cache(&self) -> bool {
        self.inner.from_cache
    }

    /// A new store and instance of this module, with WASI wired for its style; runs
    /// `_initialize` when the module has one. `state` is the object state the imports see.
    pub(crate) fn instantiate(
        &self,
        state: &SharedState,
        env: Option<(&str, &str)>,
    ) -> wasmtime::Result<(Store<Host>, Instance)> {
        let inner = &self.inner;
        let mut wasi = WasiCtxBuilder::new();
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let extra_env = crate::host::lock(state).env.clone();
        let reserved = [lode_host_abi::env::ETL_ARGS, lode_host_abi::env::ETL_OBJECT];
        for (name, value) in extra_env
            .iter()
            .filter(|(n, _)| !reserved.contains(&n.as_str()))
        {
            wasi.env(name, value);
        }
        match inner.style {
            ModuleStyle::Command => {
                let (args, object) = env.unwrap_or_default();
                wasi.stdin(Stdio::stdin(state))
                    .stdout(Stdio::stdout(state))
                    .stderr(Stdio::stderr(state))
                    .arg("transform")
                    .env(lode_host_abi::env::ETL_ARGS, args)
                    .env(lode_host_abi::env::ETL_OBJECT, object);
            }
            // An SDK guest's stray prints are log lines, not output.
            ModuleStyle::Sdk { .. } => {
                wasi.stdout(Stdio::stderr(state))
                    .stderr(Stdio::stderr(state));
            }
        }
        let host = Host {
            wasi: wasi.build_p1(),
            limiter: MemoryLimiter::new(&inner.limits),
            state: state.clone(),
        };
        let runtime = &inner.runtime.inner;
        let mut store = host::new_store(&runtime.engine, host, runtime.tick);
        host::arm_deadline(&mut store, &inner.limits, runtime.tick);
        let instance = inner.pre.instantiate(&mut store)?;
        if inner.initialize {
            instance
                .get_typed_func::<(), ()>(&mut store, export::INITIALIZE)?
                .call(&mut store, ())?;
        }
        Ok((store, instance))
    }
}

/// Does [`Runtime::load`].
pub(crate) fn load(runtime: &Runtime, wasm: &[u8], limits: Limits) -> Result<Module, LoadError> {
    limits.check().map_err(LoadError::Limits)?;
    let rt = &runtime.inner;
    let sha256: [u8; 32] = Sha256::digest(wasm).into();
    let cached = rt
        .cache
        .as_ref()
        .and_then(|cache| cache.get(&rt.engine, &sha256));
    let from_cache = cached.is_some();
    let compiled = match cached {
        Some(module) => module,
        None => {
            // Only binary modules: the text format is for tests, which parse it themselves.
            if !wasm.starts_with(b"\0asm") {
                return Err(LoadError::Invalid(
                    "missing the `\\0asm` magic number".into(),
                ));
            }
            let module = wasmtime::Module::new(&rt.engine, wasm)
                .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
            if let Some(cache) = &rt.cache {
                cache.put(&module, &sha256);
            }
            module
        }
    };
    validate::imports(&compiled, &rt.wasi_names)?;
    let shape = validate::exports(&compiled)?;
    let pre = rt
        .linker
        .instantiate_pre(&compiled)
        .map_err(|e| LoadError::Signature(format!("{e:#}")))?;
    let module = Module {
        inner: Arc::new(ModuleInner {
            runtime: runtime.clone(),
            pre,
            style: shape.style,
            initialize: shape.initialize,
            limits,
            sha256,
            from_cache,
        }),
    };
    probe(&module, discard_logs())?;
    tracing::debug!(sha256 = %module.sha256(), style = ?module.style(), from_cache, "wasm module loaded");
    Ok(module)
}

/// Instantiates the module once under its limits and, for an SDK module, checks
/// `lode_abi_version`.
fn probe(module: &Module, log: LogSink) -> Result<(), LoadError> {
    let state = Arc::new(Mutex::new(ObjectState::idle(log, &module.inner.limits)));
    let (mut store, instance) = module
        .instantiate(&state, None)
        .map_err(|e| LoadError::Probe(crate::classify::describe(&e)))?;
    if let ModuleStyle::Sdk { .. } = module.style() {
        let version = instance
            .get_typed_func::<(), i32>(&mut store, export::ABI_VERSION)
            .and_then(|f| f.call(&mut store, ()))
            .map_err(|e| LoadError::Probe(crate::classify::describe(&e)))?;
        if version != ABI_VERSION {
            return Err(LoadError::AbiVersion {
                found: version,
                expected: ABI_VERSION,
            });
        }
    }
    Ok(())
}
