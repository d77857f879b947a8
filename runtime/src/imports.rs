//! The linker: WASI preview1 plus the `lode` ABI imports (`lode_host_abi::import`).
//!
//! A bad pointer passed to `input_read`/`output` returns
//! [`BAD_POINTER`](lode_host_abi::error::BAD_POINTER) as the ABI says; a bad pointer passed
//! to `args`, `object`, `log` or `fail` (which have no error result) traps.

use std::collections::HashSet;

use lode_host_abi::{error, export, import, LogLevel, IMPORT_MODULE};
use wasmtime::{Caller, Engine, Extern, Linker, Memory};

use crate::host::{lock, Host, MemoryLimiter, ObjectState};
use crate::limits::Limits;
use crate::log::{discard_logs, emit, MAX_LINE};

/// Builds the one linker of a runtime.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |host: &mut Host| &mut host.wasi)?;
    linker.func_wrap(
        IMPORT_MODULE,
        import::ARGS,
        |caller: Caller<'_, Host>, ptr: i32, cap: i32| {
            copy_string(caller, ptr, cap, |st| st.args.as_bytes())
        },
    )?;
    linker.func_wrap(
        IMPORT_MODULE,
        import::OBJECT,
        |caller: Caller<'_, Host>, ptr: i32, cap: i32| {
            copy_string(caller, ptr, cap, |st| st.object.as_bytes())
        },
    )?;
    linker.func_wrap(IMPORT_MODULE, import::INPUT_READ, input_read)?;
    linker.func_wrap(IMPORT_MODULE, import::OUTPUT, output)?;
    linker.func_wrap(IMPORT_MODULE, import::LOG, log)?;
    linker.func_wrap(IMPORT_MODULE, import::FAIL, fail)?;
    Ok(linker)
}

/// The WASI function names `linker` defines, for import validation.
pub(crate) fn wasi_names(engine: &Engine, linker: &Linker<Host>) -> HashSet<String> {
    let limits = Limits::default();
    let host = Host {
        wasi: wasmtime_wasi::WasiCtxBuilder::new().build_p1(),
        limiter: MemoryLimiter::new(&limits),
        state: std::sync::Arc::new(std::sync::Mutex::new(ObjectState::idle(
            discard_logs(),
            &limits,
        ))),
    };
    let mut store = wasmtime::Store::new(engine, host);
    linker
        .iter(&mut store)
        .filter(|(module, _, _)| *module == lode_host_abi::WASI_MODULE)
        .map(|(_, name, _)| name.to_string())
        .collect()
}

fn memory(caller: &mut Caller<'_, Host>) -> wasmtime::Result<Memory> {
    match caller.get_export(export::MEMORY) {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(wasmtime::format_err!("the module exports no `memory`")),
    }
}

/// `ptr..ptr+len` as a range inside `mem`, if it is one.
fn range(mem: &[u8], ptr: i32, len: i32) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(u32::from_ne_bytes(ptr.to_ne_bytes())).ok()?;
    let len = usize::try_from(len).ok()?;
    let end = start.checked_add(len)?;
    (end <= mem.len()).then_some(start..end)
}

fn trap_bad_pointer(name: &str) -> wasmtime::Error {
    wasmtime::format_err!("lode.{name}: pointer/length outside guest memory")
}

fn copy_string(
    mut caller: Caller<'_, Host>,
    ptr: i32,
    cap: i32,
    field: impl Fn(&ObjectState) -> &[u8],
) -> wasmtime::Result<i32> {
    let memory = memory(&mut caller)?;
    let (mem, host) = memory.data_and_store_mut(&mut caller);
    let state = lock(&host.state);
    let value = field(&state);
    let full = i32::try_from(value.len()).unwrap_or(i32::MAX);
    if value.len() <= usize::try_from(cap).unwrap_or(0) {
        let at = range(mem, ptr, full).ok_or_else(|| trap_bad_pointer("args/object"))?;
        mem[at].copy_from_slice(value);
    }
    Ok(full)
}

fn input_read(mut caller: Caller<'_, Host>, ptr: i32, cap: i32) -> wasmtime::Result<i32> {
    let memory = memory(&mut caller)?;
    let (mem, host) = memory.data_and_store_mut(&mut caller);
    let mut state = lock(&host.state);
    if state.source.is_none() {
        return Ok(error::NO_STREAM);
    }
    let Some(at) = range(mem, ptr, cap) else {
        return Ok(error::BAD_POINTER);
    };
    Ok(match state.read_input(&mut mem[at]) {
        Ok(n) => i32::try_from(n).unwrap_or(i32::MAX),
        Err(code) => code,
    })
}

fn output(mut caller: Caller<'_, Host>, ptr: i32, len: i32) -> wasmtime::Result<i32> {
    let memory = memory(&mut caller)?;
    let (mem, host) = memory.data_and_store_mut(&mut caller);
    let Some(at) = range(mem, ptr, len) else {
        return Ok(error::BAD_POINTER);
    };
    let mut state = lock(&host.state);
    Ok(match state.write_output(&mem[at]) {
        Ok(()) => 0,
        Err(code) => code,
    })
}

fn log(mut caller: Caller<'_, Host>, level: i32, ptr: i32, len: i32) -> wasmtime::Result<()> {
    let memory = memory(&mut caller)?;
    let (mem, host) = memory.data_and_store_mut(&mut caller);
    let at = range(mem, ptr, len).ok_or_else(|| trap_bad_pointer(import::LOG))?;
    let state = lock(&host.state);
    emit(
        &state.log,
        &state.object,
        LogLevel::from_raw(level),
        &mem[at],
    );
    Ok(())
}

fn fail(mut caller: Caller<'_, Host>, ptr: i32, len: i32) -> wasmtime::Result<()> {
    let memory = memory(&mut caller)?;
    let (mem, host) = memory.data_and_store_mut(&mut caller);
    let at = range(mem, ptr, len).ok_or_else(|| trap_bad_pointer(import::FAIL))?;
    let message = &mem[at];
    let message = String::from_utf8_lossy(&message[..message.len().min(MAX_LINE)]).into_owned();
    lock(&host.state).fail_message = Some(message);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        let mem = [0u8; 16];
        assert_eq!(range(&mem, 4, 8), Some(4..12));
        assert_eq!(range(&mem, 8, 8), Some(8..16));
        assert_eq!(range(&mem, 8, 9), None);
        assert_eq!(range(&mem, 0, -1), None);
        assert_eq!(range(&mem, -1, 1), None);
        assert_eq!(range(&mem, 16, 0), Some(16..16));
    }
}
