//! Running one object through a WASI command: a fresh instance, `_start`, stdin to stdout.

use std::time::Instant;

use lode_host_abi::export;

use crate::classify::{classify, Ended};
use crate::host::lock;
use crate::stdio::finish_stderr;
use crate::worker::{Ran, Worker};

/// Runs the object already in the worker's state in a new instance of the command.
pub(crate) fn run(worker: &mut Worker) -> Ran {
    let limits = worker.module.limits().clone();
    let (args, object) = {
        let state = lock(&worker.state);
        (state.args.clone(), state.object.clone())
    };
    lock(&worker.state).started = Instant::now();
    let (ended, memory_hit) = match worker
        .module
        .instantiate(&worker.state, Some((&args, &object)))
    {
        Ok((mut store, instance)) => {
            let ended = match instance.get_typed_func::<(), ()>(&mut store, export::START) {
                Ok(start) => match start.call(&mut store, ()) {
                    Ok(()) => Ended::Exited,
                    Err(err) => Ended::Failed(err),
                },
                Err(err) => Ended::Failed(err),
            };
            (ended, store.data().limiter.hit)
        }
        Err(err) => (Ended::Failed(err), false),
    };
    finish_stderr(&worker.state);
    let result = classify(ended, &mut lock(&worker.state), memory_hit, &limits);
    Ran {
        result,
        streamed: false,
        fresh_instance: true,
    }
}
