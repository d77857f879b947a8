//! Running one object through an SDK-style module: the whole-object form (one copy into
//! guest memory) or the streaming form (`input_read` / `output` chunks).

use std::time::{Duration, Instant};

use lode_host_abi::export;
use wasmtime::{Memory, Store, TypedFunc};

use crate::classify::{classify, Ended};
use crate::error::ErrorKind;
use crate::host::{self, lock, Host, SharedState};
use crate::io::Waits;
use crate::worker::{Ran, Worker};
use crate::{Limits, Module};

/// A live SDK-style instance and its typed entry points.
pub(crate) struct SdkInstance {
    store: Store<Host>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    whole: Option<TypedFunc<(i32, i32), i32>>,
    stream: Option<TypedFunc<(), i32>>,
    limits: Limits,
    tick: Duration,
}

impl SdkInstance {
    fn new(module: &Module, state: &SharedState) -> wasmtime::Result<SdkInstance> {
        let (mut store, instance) = module.instantiate(state, None)?;
        let memory = instance
            .get_memory(&mut store, export::MEMORY)
            .ok_or_else(|| wasmtime::format_err!("the module exports no `memory`"))?;
        let alloc = instance.get_typed_func(&mut store, export::ALLOC)?;
        let whole = instance.get_typed_func(&mut store, export::TRANSFORM).ok();
        let stream = instance
            .get_typed_func(&mut store, export::TRANSFORM_STREAM)
            .ok();
        let (limits, tick) = (module.limits().clone(), module.inner.runtime.inner.tick);
        Ok(SdkInstance {
            store,
            memory,
            alloc,
            whole,
            stream,
            limits,
            tick,
        })
    }
}

/// Runs the object already in the worker's state.
pub(crate) fn run(worker: &mut Worker, whole: bool, streaming: bool) -> Ran {
    let limits = worker.module.limits().clone();
    let (fresh_instance, mut inst) = match worker.sdk.take() {
        Some(inst) => (false, inst),
        None => match SdkInstance::new(&worker.module, &worker.state) {
            Ok(inst) => (true, inst),
            Err(err) => {
                let result = classify(Ended::Failed(err), &mut lock(&worker.state), false, &limits);
                return Ran {
                    result,
                    streamed: false,
                    fresh_instance: true,
                };
            }
        },
    };
    let size = lock(&worker.state)
        .source
        .as_ref()
        .and_then(|s| s.as_memory())
        .map(|b| b.len() as u64);
    let streamed = streaming && (!whole || size.is_none_or(|n| n > worker.stream_threshold));
    inst.store.data_mut().limiter.hit = false;
    let ended = if streamed {
        call_stream(&mut inst, &worker.state)
    } else {
        call_whole(&mut inst, &worker.state)
    };
    let ended = match ended {
        Ok(ended) => ended,
        Err(kind) => {
            // The guest never got the object; its instance is as good as before.
            worker.sdk = worker.reuse.then_some(inst);
            return Ran {
                result: Err(kind),
                streamed,
                fresh_instance,
            };
        }
    };
    let healthy = matches!(ended, Ended::Status(_));
    let memory_hit = inst.store.data().limiter.hit;
    let result = classify(ended, &mut lock(&worker.state), memory_hit, &limits);
    if healthy && worker.reuse {
        worker.sdk = Some(inst);
    }
    Ran {
        result,
        streamed,
        fresh_instance,
    }
}

/// Starts the deadline clock for the call about to happen.
fn start_clock(inst: &mut SdkInstance, state: &SharedState) {
    lock(state).started = Instant::now();
    host::arm_deadline(&mut inst.store, &inst.limits, inst.tick);
}

fn call_stream(inst: &mut SdkInstance, state: &SharedState) -> Result<Ended, ErrorKind> {
    let Some(stream) = inst.stream.clone() else {
        return Err(ErrorKind::Host("the module has no streaming form".into()));
    };
    start_clock(inst, state);
    Ok(ended(stream.call(&mut inst.store, ())))
}

fn call_whole(inst: &mut SdkInstance, state: &SharedState) -> Result<Ended, ErrorKind> {
    let Some(whole) = inst.whole.clone() else {
        return Err(ErrorKind::Host(
            "the module has no whole-object form".into(),
        ));
    };
    let max_memory = inst.limits.max_memory;
    let source = lock(state).source.take();
    // Collecting happens before the deadline clock starts: its waits are not charged, but
    // each is bounded by the deadline.
    let mut waits = Waits::new(inst.limits.deadline);
    let data = match source {
        Some(source) => match source
            .collect(max_memory, &mut waits)
            .map_err(ErrorKind::from_io)?
        {
            Ok(data) => data,
            Err(limit) => {
                return Err(ErrorKind::MemoryLimit {
                    limit,
                    guest_message: None,
                })
            }
        },
        None => bytes::Bytes::new(),
    };
    let Ok(len) = i32::try_from(data.len()) else {
        return Err(ErrorKind::MemoryLimit {
            limit: max_memory,
            guest_message: None,
        });
    };
    lock(state).bytes_in = data.len() as u64;
    start_clock(inst, state);
    let ptr = match inst.alloc.call(&mut inst.store, len) {
        Ok(ptr) => ptr,
        Err(err) => return Ok(Ended::Failed(err)),
    };
    if ptr == 0 && len > 0 {
        if inst.store.data().limiter.hit {
            return Err(ErrorKind::MemoryLimit {
                limit: max_memory,
                guest_message: None,
            });
        }
        return Err(ErrorKind::GuestError(format!(
            "lode_alloc({len}) returned 0: the guest is out of memory"
        )));
    }
    let start = u32::from_ne_bytes(ptr.to_ne_bytes()) as usize;
    let mem = inst.memory.data_mut(&mut inst.store);
    let Some(dest) = mem.get_mut(start..start + data.len()) else {
        return Err(ErrorKind::Host(format!(
            "lode_alloc({len}) returned {start:#x}, outside guest memory"
        )));
    };
    dest.copy_from_slice(&data);
    drop(data);
    Ok(ended(whole.call(&mut inst.store, (ptr, len))))
}

fn ended(result: wasmtime::Result<i32>) -> Ended {
    match result {
        Ok(status) => Ended::Status(status),
        Err(err) => Ended::Failed(err),
    }
}
