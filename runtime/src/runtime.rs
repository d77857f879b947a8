//! [`Runtime`]: the process's one wasmtime engine, its linker, module cache and epoch ticker.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::{Engine, InstanceAllocationStrategy, Linker, PoolingAllocationConfig};

use crate::cache::ArtifactCache;
use crate::error::LoadError;
use crate::host::Host;
use crate::limits::{
    DEFAULT_EPOCH_TICK, DEFAULT_MAX_INSTANCES, DEFAULT_MAX_WASM_STACK, MEMORY_CEILING,
};
use crate::module::{self, Module};
use crate::{imports, Limits};

/// Engine-wide settings; the [`Default`] suits a target.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Where compiled modules are cached; `None` compiles every load.
    pub cache_dir: Option<PathBuf>,
    /// The deadline's resolution: how often the ticker thread bumps the engine's epoch.
    pub epoch_tick: Duration,
    /// Instances alive at once across all pools (pooling allocator slots).
    pub max_instances: u32,
    /// Wasm stack per call into a guest, in bytes.
    pub max_wasm_stack: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            epoch_tick: DEFAULT_EPOCH_TICK,
            max_instances: DEFAULT_MAX_INSTANCES,
            max_wasm_stack: DEFAULT_MAX_WASM_STACK,
        }
    }
}

/// The transform runtime: one per process. Cheap to clone (a handle); modules and pools keep
/// what they need of it alive.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<RuntimeInner>,
}

pub(crate) struct RuntimeInner {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<Host>,
    pub(crate) cache: Option<ArtifactCache>,
    pub(crate) wasi_names: HashSet<String>,
    pub(crate) tick: Duration,
    pub(crate) wasm_stack: usize,
    _ticker: Ticker,
}

impl Runtime {
    /// Creates the engine (pooling allocator, copy-on-write memory images, epoch
    /// interruption), opens the cache directory and starts the epoch ticker thread.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, LoadError> {
        let engine = Engine::new(&engine_config(&config))
            .map_err(|e| LoadError::Config(format!("{e:#}")))?;
        let linker = imports::linker(&engine).map_err(|e| LoadError::Config(format!("{e:#}")))?;
        let wasi_names = imports::wasi_names(&engine, &linker);
        let cache = match &config.cache_dir {
            Some(dir) => Some(ArtifactCache::open(dir, &engine).map_err(|e| {
                LoadError::Config(format!("cannot open module cache {}: {e}", dir.display()))
            })?),
            None => None,
        };
        let ticker = Ticker::start(engine.clone(), config.epoch_tick)
            .map_err(|e| LoadError::Config(format!("cannot start the epoch ticker: {e}")))?;
        let inner = RuntimeInner {
            engine,
            linker,
            cache,
            wasi_names,
            tick: config.epoch_tick,
            wasm_stack: config.max_wasm_stack,
            _ticker: ticker,
        };
        Ok(Runtime {
            inner: Arc::new(inner),
        })
    }

    /// Validates and compiles `wasm` (or loads it from the cache), checks it against the
    /// lode ABI, and prepares it for instantiation under `limits`.
    ///
    /// Rejects, with a [`LoadError`] that says why: bytes that are not a module, an import
    /// outside WASI preview1 and the lode ABI (naming it), an ABI export with the wrong
    /// signature, a module that is neither SDK style nor a WASI command, an ABI version
    /// other than [`lode_host_abi::ABI_VERSION`], and a module that cannot start within
    /// `limits`.
    pub fn load(&self, wasm: &[u8], limits: Limits) -> Result<Module, LoadError> {
        module::load(self, wasm, limits)
    }
}

/// Bytes of each freed memory and table slot reset with `memset` and kept mapped instead of
/// `madvise`d away: a fresh instance of a small guest then takes no page faults and the
/// process no TLB shootdowns. 128 KiB covers a C command's stack and buffers: a fresh
/// command instance went from 26 to 15 us (64 KiB: 21 us; BENCHMARKS.md).
const KEEP_RESIDENT: usize = 128 << 10;

fn engine_config(config: &RuntimeConfig) -> wasmtime::Config {
    let mut pooling = PoolingAllocationConfig::new();
    pooling
        .total_core_instances(config.max_instances)
        .total_memories(config.max_instances)
        .total_tables(config.max_instances)
        .total_gc_heaps(config.max_instances)
        .max_memory_size(usize::try_from(MEMORY_CEILING).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT);
    let mut wasm = wasmtime::Config::new();
    wasm.epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling))
        .memory_init_cow(true)
        .max_wasm_stack(config.max_wasm_stack)
        .parallel_compilation(true);
    // A developer's knob, not a setting: `LODE_WASM_PERFMAP=1` writes `/tmp/perf-<pid>.map` so
    // that `perf report` names the guest's functions instead of `[JIT]`.
    if std::env::var_os("LODE_WASM_PERFMAP").is_some() {
        wasm.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    wasm
}

/// The thread that advances the engine's epoch every tick; stopped and joined on drop.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine, tick: Duration) -> std::io::Result<Ticker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("lode-epoch".into())
            .spawn(move || {
                // Parks until the next tick is due (an unpark on drop, or a spurious wake-up,
                // re-checks rather than ticking early: early ticks would shorten deadlines).
                let mut next = Instant::now() + tick;
                while !flag.load(Ordering::Relaxed) {
                    let now = Instant::now();
                    if now < next {
                        std::thread::park_timeout(next - now);
                        continue;
                    }
                    engine.increment_epoch();
                    next += tick;
                    if next < now {
                        next = now + tick;
                    }
                }
            })?;
        Ok(Ticker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}
