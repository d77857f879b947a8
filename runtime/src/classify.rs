//! Turning what a guest call returned into an [`ErrorKind`], in one place and one order.
//!
//! The order matters: a host-side refusal (output limit, I/O) explains a trap or an error
//! status that follows it, the deadline explains an interrupt, and a refused memory grow
//! explains whatever failure follows it (Rust guests abort on allocation failure).

use lode_host_abi::status;
use wasmtime::Trap;
use wasmtime_wasi::I32Exit;

use crate::error::ErrorKind;
use crate::host::{HostFailure, ObjectState};
use crate::Limits;

/// What happened in one call into the guest, for [`classify`].
pub(crate) enum Ended {
    /// The transform entry returned this status.
    Status(i32),
    /// A command's `_start` returned normally.
    Exited,
    /// The call failed: a trap, an exit, a host error.
    Failed(wasmtime::Error),
}

/// The object's result: `Ok` when it succeeded.
pub(crate) fn classify(
    ended: Ended,
    state: &mut ObjectState,
    memory_hit: bool,
    limits: &Limits,
) -> Result<(), ErrorKind> {
    match state.failure.take() {
        Some(HostFailure::OutputLimit) => {
            return Err(ErrorKind::OutputLimit {
                limit: limits.max_output,
            })
        }
        Some(HostFailure::Io(err)) if !is_interrupt(&ended) => return Err(ErrorKind::from_io(err)),
        _ => {}
    }
    let guest_message = state.fail_message.take();
    let failed = match ended {
        Ended::Status(status::OK) | Ended::Exited => return Ok(()),
        Ended::Failed(err) => err,
        Ended::Status(status::ERROR) if memory_hit => {
            return Err(ErrorKind::MemoryLimit {
                limit: limits.max_memory,
                guest_message,
            })
        }
        Ended::Status(status::ERROR) => {
            let message = guest_message
                .unwrap_or_else(|| "the guest returned an error without a message".into());
            return Err(ErrorKind::GuestError(message));
        }
        Ended::Status(other) => {
            return Err(ErrorKind::GuestError(format!(
                "unknown status {other} returned"
            )))
        }
    };
    if let Some(exit) = failed.downcast_ref::<I32Exit>() {
        return match exit.0 {
            0 => Ok(()),
            code => Err(ErrorKind::GuestError(format!(
                "the command exited with code {code}"
            ))),
        };
    }
    if failed.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return Err(ErrorKind::Deadline(limits.deadline));
    }
    if memory_hit {
        return Err(ErrorKind::MemoryLimit {
            limit: limits.max_memory,
            guest_message,
        });
    }
    match failed.downcast_ref::<Trap>() {
        Some(trap) => Err(ErrorKind::Trap {
            trap: trap.to_string(),
            guest_message,
        }),
        None => Err(ErrorKind::Host(describe(&failed))),
    }
}

fn is_interrupt(ended: &Ended) -> bool {
    matches!(ended, Ended::Failed(err) if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt))
}

/// A one-line description of a wasmtime error: the trap if there is one, else the chain.
pub(crate) fn describe(err: &wasmtime::Error) -> String {
    match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{err:#}").replace('\n', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::discard_logs;

    fn state() -> ObjectState {
        ObjectState::idle(discard_logs(), &Limits::default())
    }

    #[test]
    fn statuses_map_to_results() {
        let limits = Limits::default();
        assert!(classify(Ended::Status(0), &mut state(), false, &limits).is_ok());
        let mut st = state();
        st.fail_message = Some("bad frame".into());
        let err = classify(Ended::Status(1), &mut st, false, &limits).unwrap_err();
        assert!(matches!(err, ErrorKind::GuestError(m) if m == "bad frame"));
        let err = classify(Ended::Status(1), &mut state(), true, &limits).unwrap_err();
        assert!(matches!(err, ErrorKind::MemoryLimit { .. }));
    }

    #[test]
    fn host_refusals_explain_what_follows() {
        let limits = Limits::default();
        let mut st = state();
        st.failure = Some(HostFailure::OutputLimit);
        let err = classify(Ended::Status(0), &mut st, false, &limits).unwrap_err();
        assert!(matches!(err, ErrorKind::OutputLimit { .. }));
        let trap = wasmtime::Error::from(Trap::Interrupt);
        let err = classify(Ended::Failed(trap), &mut state(), true, &limits).unwrap_err();
        assert!(matches!(err, ErrorKind::Deadline(_)));
    }

    #[test]
    fn exit_codes() {
        let limits = Limits::default();
        let ok = wasmtime::Error::from(I32Exit(0));
        assert!(classify(Ended::Failed(ok), &mut state(), false, &limits).is_ok());
        let three = wasmtime::Error::from(I32Exit(3));
        let err = classify(Ended::Failed(three), &mut state(), false, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the guest reported an error: the command exited with code 3"
        );
    }
}
