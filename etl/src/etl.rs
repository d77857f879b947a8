//! [`Etl`]: one running ETL on a node: its init message, its backend, its counters, its log
//! ring and its inline object errors.

use std::sync::Arc;
use std::time::Instant;

use lode_runtime::{LogLine, LogSink, Request};
use tracing::Instrument;

use crate::backend::{Backend, BackendError, Transformed};
use crate::ring::{stamp, ObjError, Ring, LOG_LINES, OBJ_ERRORS};
use crate::stats::{Counters, Stats};
use crate::{EtlError, InitMsg};

/// An ETL running on this node.
pub struct Etl {
    msg: InitMsg,
    xid: String,
    backend: Box<dyn Backend>,
    counters: Counters,
    logs: Arc<Ring<String>>,
    errors: Ring<ObjError>,
}

impl std::fmt::Debug for Etl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Etl")
            .field("name", &self.msg.name)
            .field("xid", &self.xid)
            .field("backend", &self.backend.kind())
            .finish_non_exhaustive()
    }
}

/// A log ring and the runtime sink that feeds it (guest log lines, WASI stderr).
pub(crate) fn log_ring() -> (Arc<Ring<String>>, LogSink) {
    let ring = Arc::new(Ring::new(LOG_LINES));
    let sink_ring = Arc::clone(&ring);
    let sink: LogSink = Arc::new(move |line: &LogLine<'_>| {
        let level = format!("{:?}", line.level).to_uppercase();
        let text = if line.object.is_empty() {
            line.message.to_owned()
        } else {
            format!("{}: {}", line.object, line.message)
        };
        sink_ring.push(stamp(&level, &text));
    });
    (ring, sink)
}

impl Etl {
    pub(crate) fn new(
        msg: InitMsg,
        xid: String,
        backend: Box<dyn Backend>,
        logs: Arc<Ring<String>>,
    ) -> Etl {
        let etl = Etl {
            msg,
            xid,
            backend,
            counters: Counters::default(),
            logs,
            errors: Ring::new(OBJ_ERRORS),
        };
        etl.log(
            "INFO",
            &format!(
                "ETL {} started ({} backend, {} workers)",
                etl.msg.name,
                etl.backend.kind(),
                etl.backend.workers()
            ),
        );
        etl
    }

    /// The ETL's name.
    pub fn name(&self) -> &str {
        &self.msg.name
    }

    /// The validated init message it was started from.
    pub fn msg(&self) -> &InitMsg {
        &self.msg
    }

    /// The id of this incarnation (the gateway's `etl-...` xid).
    pub fn xid(&self) -> &str {
        &self.xid
    }

    /// The backend's kind (`"wasm"`, `"container"`).
    pub fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// Objects it can transform at once.
    pub fn workers(&self) -> usize {
        self.backend.workers()
    }

    /// Its counters now.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// How its container transformer is reached on this node; `None` for Wasm.
    pub fn network(&self) -> Option<String> {
        self.backend.network()
    }

    /// Its log: guest lines, stderr and transform errors, oldest first, one per line; then
    /// the backend's own log (a container's output).
    pub fn logs(&self) -> String {
        let mut text = self.logs.snapshot().join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&self.backend.logs());
        text
    }

    /// Appends a line to its log.
    pub fn log(&self, level: &str, text: &str) {
        self.logs.push(stamp(level, text));
    }

    /// The inline object errors kept, oldest first.
    pub fn obj_errors(&self) -> Vec<ObjError> {
        self.errors.snapshot()
    }

    /// Records an inline (GET) object error.
    pub fn record_obj_error(&self, error: ObjError) {
        self.errors.push(error);
    }

    /// For an ETL that serves inline reads itself (a container speaking hpull): the URL to
    /// redirect a client to for `uname` stored at `fqn`.
    pub fn redirect(&self, uname: &str, fqn: &std::path::Path, args: &str) -> Option<String> {
        self.backend.redirect(uname, fqn, args)
    }

    /// Transforms one object with this ETL alone; failures are counted and logged.
    /// `direct_put`: see [`Backend::transform`].
    pub async fn transform(
        &self,
        request: Request,
        direct_put: Option<String>,
    ) -> Result<Transformed, EtlError> {
        let object = request.object.clone();
        let span = tracing::info_span!("etl.transform", etl = %self.msg.name, %object);
        let started = Instant::now();
        match self
            .backend
            .transform(request, direct_put)
            .instrument(span)
            .await
        {
            Ok(done) => {
                self.counters
                    .ok(done.bytes_in, done.bytes_out, started.elapsed());
                Ok(done)
            }
            Err(e) => {
                self.counters.error();
                let name = self.msg.name.clone();
                let err = match e {
                    BackendError::Object(reason) => EtlError::Transform {
                        name,
                        object,
                        reason,
                    },
                    BackendError::Transient(reason) => EtlError::Unavailable {
                        name,
                        object,
                        reason,
                    },
                };
                self.log("ERROR", &err.to_string());
                tracing::debug!(error = %err, "transform failed");
                Err(err)
            }
        }
    }
}
