//! Target side of multi-object jobs: each target works only on what it stores (`*-bck`: its
//! objects of the source; `*-listrange`: the listed names it owns by HRW). `etl-*` transform
//! each object and `copy-*` copy it as it is, delivering the result to the destination's HRW
//! target; `delete-listrange` deletes. The gateway starts, snapshots, syncs and aborts them.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use futures_util::StreamExt;
use lode_etl::{Input, ObjError, Output, Pipeline};
use lode_store::Durability;
use lode_wire::Snode;
use tokio::sync::{mpsc, oneshot};

use super::deliver::{direct_put, remote_owner, stream_to, Destination};
use super::{Target, Tg};
use crate::error::ApiError;
use crate::xact::{
    bck_json, dst_name, expand_template, JobSpec, Snap, SnapStats, ABORTED, MAX_TEMPLATE,
};

/// Object errors kept per job.
const MAX_ERRORS: usize = 1000;

/// One job on this target.
pub(crate) struct Job {
    spec: JobSpec,
    start: SystemTime,
    end: Mutex<Option<SystemTime>>,
    aborted: AtomicBool,
    /// Its outputs here were made durable (the gateway's closing sync).
    synced: AtomicBool,
    /// Released by the gateway's `run` once every target knows the job (so no target gets
    /// an output of a job it has not heard of), or by an abort.
    go: tokio::sync::Notify,
    err: Mutex<String>,
    counters: [AtomicU64; 6],
    errors: Mutex<Vec<ObjError>>,
}

const LOC_OBJS: usize = 0;
const LOC_BYTES: usize = 1;
const OUT_OBJS: usize = 2;
const OUT_BYTES: usize = 3;
const IN_OBJS: usize = 4;
const IN_BYTES: usize = 5;

impl Job {
    fn add(&self, which: usize, n: u64) {
        self.counters[which].fetch_add(n, Relaxed);
    }

    fn abort(&self, why: &str) {
        let mut err = self.err.lock().unwrap_or_else(|p| p.into_inner());
        if err.is_empty() {
            err.push_str(why);
        }
        self.aborted.store(true, Relaxed);
        self.go.notify_one();
        tracing::info!(xid = %self.spec.xid, reason = %why, "job aborted");
    }

    fn finish(&self) {
        let mut end = self.end.lock().unwrap_or_else(|p| p.into_inner());
        end.get_or_insert_with(SystemTime::now);
    }

    fn uses(&self, etl: &str) -> bool {
        self.spec.etl == etl || self.spec.pipeline.iter().any(|p| p == etl)
    }

    fn snap(&self) -> Snap {
        let end = *self.end.lock().unwrap_or_else(|p| p.into_inner());
        let c = |i: usize| self.counters[i].load(Relaxed);
        let aborted = self.aborted.load(Relaxed);
        let err = self.err.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Snap {
            id: self.spec.xid.clone(),
            kind: self.spec.kind.clone(),
            start_time: lode_etl::time::rfc3339(self.start),
            end_time: end.map_or_else(
                || lode_etl::time::ZERO_TIME.to_owned(),
                lode_etl::time::rfc3339,
            ),
            src_bck: bck_json(&self.spec.src),
            dst_bck: bck_json(&self.spec.dst),
            stats: SnapStats {
                loc_objs: c(LOC_OBJS),
                loc_bytes: c(LOC_BYTES),
                out_objs: c(OUT_OBJS),
                out_bytes: c(OUT_BYTES),
                in_objs: c(IN_OBJS),
                in_bytes: c(IN_BYTES),
            },
            aborted,
            is_idle: end.is_some(),
            abort_err: if aborted { err.clone() } else { String::new() },
            err,
            glob_id: 0,
        }
    }
}

/// The jobs this target knows, by xid.
#[derive(Default)]
pub(crate) struct Jobs {
    map: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    fn get(&self, xid: &str) -> Option<Arc<Job>> {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(xid)
            .cloned()
    }

    /// Object errors of job `xid`.
    pub(crate) fn errors(&self, xid: &str) -> Vec<ObjError> {
        self.get(xid)
            .map(|j| j.errors.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default()
    }

    /// Whether job `xid` is known here and its outputs are not yet synced (a direct put of
    /// its output may then defer durability to the job's closing sync).
    pub(crate) fn is_running(&self, xid: &str) -> bool {
        self.get(xid).is_some_and(|j| !j.synced.load(Relaxed))
    }

    /// Counts an object received by direct put for job `xid`.
    pub(crate) fn received(&self, xid: &str, bytes: u64) {
        if let Some(job) = self.get(xid) {
            job.add(IN_OBJS, 1);
            job.add(IN_BYTES, bytes);
        }
    }

    /// Aborts the running jobs that use ETL `etl` (it was stopped).
    pub(crate) fn abort_using(&self, etl: &str) {
        let jobs: Vec<Arc<Job>> = self
            .map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for job in jobs.iter().filter(|j| j.uses(etl)) {
            job.abort(&format!("ETL {etl} was stopped"));
        }
    }
}

/// `POST /v1/xactions/<xid>`: take this target's part of a job, to start on `run`.
pub(super) async fn start(
    State(tg): State<Tg>,
    Json(spec): Json<JobSpec>,
) -> Result<StatusCode, ApiError> {
    let pipeline = match spec.kind.as_str() {
        "etl-bck" | "etl-listrange" => Some(super::etl::pipeline(
            &tg,
            &spec.etl,
            Some(&spec.pipeline.join(",")),
        )?),
        "copy-bck" | "copy-listrange" | "move-bck" | "delete-listrange" => None,
        other => {
            return Err(ApiError::bad_request(format!(
                "{}: unknown job kind {other:?}",
                tg.name
            )))
        }
    };
    let job = Arc::new(Job {
        spec,
        start: SystemTime::now(),
        end: Mutex::new(None),
        aborted: AtomicBool::new(false),
        synced: AtomicBool::new(false),
        go: tokio::sync::Notify::new(),
        err: Mutex::new(String::new()),
        counters: Default::default(),
        errors: Mutex::new(Vec::new()),
    });
    tg.jobs
        .map
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(job.spec.xid.clone(), Arc::clone(&job));
    tokio::spawn(async move {
        job.go.notified().await;
        if !job.aborted.load(Relaxed) {
            let span = tracing::info_span!("job", xid = %job.spec.xid, kind = %job.spec.kind);
            let work = run(Arc::clone(&tg), Arc::clone(&job), pipeline);
            tracing::Instrument::instrument(work, span).await;
        }
        job.finish();
    });
    Ok(StatusCode::OK)
}

/// Job `xid` of this target, or 404.
fn known(tg: &Target, xid: &str) -> Result<Arc<Job>, ApiError> {
    tg.jobs.get(xid).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{}: job {xid} does not exist", tg.name),
        )
    })
}

/// `POST /v1/xactions/<xid>/run`: every target has the job; this one starts working.
pub(super) async fn go(
    State(tg): State<Tg>,
    Path(xid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let job = known(&tg, &xid)?;
    job.go.notify_one();
    Ok(StatusCode::OK)
}

/// `GET /v1/xactions/<xid>`: this target's snapshot.
pub(super) async fn snapshot(
    State(tg): State<Tg>,
    Path(xid): Path<String>,
) -> Result<Json<Snap>, ApiError> {
    let job = known(&tg, &xid)?;
    Ok(Json(job.snap()))
}

/// `DELETE /v1/xactions/<xid>`: abort.
pub(super) async fn abort(State(tg): State<Tg>, Path(xid): Path<String>) -> StatusCode {
    if let Some(job) = tg.jobs.get(&xid) {
        job.abort(ABORTED);
    }
    StatusCode::OK
}

/// `POST /v1/xactions/<xid>/sync`: the gateway's closing barrier, once every target is idle:
/// makes this target's outputs of the job (written and received without an fsync each)
/// durable, with one `syncfs` per mountpath.
pub(super) async fn sync(
    State(tg): State<Tg>,
    Path(xid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let job = known(&tg, &xid)?;
    let store = Arc::clone(&tg.store);
    super::objects::blocking(&tg, move || store.sync()).await?;
    job.synced.store(true, Relaxed);
    Ok(StatusCode::OK)
}

/// The names this target works on.
fn names(tg: &Target, spec: &JobSpec) -> Result<Vec<String>, String> {
    if spec.kind.ends_with("-bck") {
        let list = tg.store.list(&spec.src, &spec.prefix, "", usize::MAX);
        return Ok(list.into_iter().map(|(n, _)| n).collect());
    }
    let all = match (&spec.objnames, &spec.template) {
        (Some(names), _) => names.clone(),
        (None, Some(t)) => expand_template(t, MAX_TEMPLATE)?,
        (None, None) => Vec::new(),
    };
    let meta = tg.meta().ok_or("not joined")?;
    Ok(all
        .into_iter()
        .filter(|n| {
            meta.smap
                .owner(&spec.src, n)
                .is_some_and(|o| o.daemon_id == tg.id)
        })
        .collect())
}

async fn run(tg: Tg, job: Arc<Job>, pipeline: Option<Pipeline>) {
    let names = match names(&tg, &job.spec) {
        Ok(n) => n,
        Err(e) => return job.abort(&e),
    };
    // Copies and deletes wait on the disk, the network and thread wake-ups, not a core:
    // four per core.
    let default = pipeline.as_ref().map_or_else(
        || std::thread::available_parallelism().map_or(4, |n| 4 * n.get()),
        Pipeline::workers,
    );
    let workers = match job.spec.num_workers {
        0 => default,
        n if n < 0 => 1,
        n => usize::try_from(n).unwrap_or(1),
    };
    futures_util::stream::iter(names)
        .for_each_concurrent(workers, |name| {
            let (tg, job, pipeline) = (&tg, &job, &pipeline);
            async move {
                if job.aborted.load(Relaxed) {
                    return;
                }
                let done = match (pipeline, job.spec.kind.as_str()) {
                    (Some(pipeline), _) => one(tg, job, pipeline, &name).await,
                    (None, "delete-listrange") => delete(tg, job, &name).await,
                    (None, _) => copy(tg, job, &name).await,
                };
                if let Err(e) = done {
                    let mut errors = job.errors.lock().unwrap_or_else(|p| p.into_inner());
                    if errors.len() < MAX_ERRORS {
                        errors.push(ObjError {
                            obj_name: format!("ais://{}/{name}", job.spec.src),
                            msg: e.message.clone(),
                            ecode: e.status.as_u16(),
                        });
                    }
                    drop(errors);
                    if !job.spec.coer {
                        job.abort(&e.message);
                    }
                }
            }
        })
        .await;
}

/// The destination offered to a container for its direct put (`Ais-Node-Url`) of
/// `bucket/name` to `owner`: `<owner>/<PathEscape(uname)>?owt=4&uuid=<xid>` (the container
/// prefixes the path with its `AIS_TARGET_URL` path, the `_object` endpoint).
fn direct_put_url(owner: &Snode, bucket: &str, name: &str, xid: &str) -> String {
    let uname = lode_container::path_escape(&lode_wire::uname(bucket, name));
    format!("{}/{uname}?owt=4&uuid={xid}", owner.url())
}

/// Transforms one object and delivers the result.
async fn one(tg: &Target, job: &Job, pipeline: &Pipeline, name: &str) -> Result<(), ApiError> {
    let spec = &job.spec;
    let meta = tg
        .store
        .head(&spec.src, name)
        .map_err(|e| ApiError::from_store(&tg.name, e))?;
    if spec.dry_run {
        job.add(LOC_OBJS, 1);
        job.add(LOC_BYTES, meta.size);
        return Ok(());
    }
    let fqn = tg
        .store
        .fqn(&spec.src, name)
        .map_err(|e| ApiError::from_store(&tg.name, e))?;
    let dst = dst_name(name, &spec.prepend, &spec.ext);
    let object = format!("{}/{name}", spec.src);
    let etl_err = |e| ApiError::from_etl(&tg.name, &tg.gateway_url, e);
    let owner = match Destination::of(tg, &spec.dst, &dst).await? {
        // This target owns the output: written straight into the store as it is produced.
        Destination::Local(local) => {
            let run = pipeline.run_to(&object, "", Input::File(fqn), local.output(), None);
            run.await.map_err(etl_err)?;
            let size = local.commit(tg).await?;
            job.add(LOC_OBJS, 1);
            job.add(LOC_BYTES, size);
            return Ok(());
        }
        Destination::Remote(owner) => owner,
    };
    // Another target owns it: streamed to it by direct put while the guest produces it (or
    // offered to a container that puts it there itself).
    let (tx, rx) = mpsc::channel(OUTPUT_CHUNKS);
    let (ok_tx, ok_rx) = oneshot::channel();
    let offer = Some(direct_put_url(&owner, &spec.dst, &dst, &spec.xid));
    let run = async {
        let done = pipeline
            .run_to(&object, "", Input::File(fqn), Output::Chunks(tx), offer)
            .await;
        let _ = ok_tx.send(done.as_ref().is_ok_and(|d| !d.delivered));
        done
    };
    let send = stream_to(tg, &owner, (&spec.dst, &dst, &spec.xid), rx, ok_rx);
    let (done, sent) = tokio::join!(run, send);
    let done = match (done, sent) {
        // A receiver that failed first is the better reason (the transform lost its output).
        (Err(_), Err(put)) => return Err(put),
        (Err(e), Ok(())) => return Err(etl_err(e)),
        (Ok(done), _) if done.delivered => done, // the container put it there (and was counted)
        (Ok(_), Err(put)) => return Err(put),
        (Ok(done), Ok(())) => done,
    };
    job.add(LOC_OBJS, 1);
    job.add(LOC_BYTES, done.bytes_out);
    job.add(OUT_OBJS, 1);
    job.add(OUT_BYTES, done.bytes_out);
    Ok(())
}

/// Copies one object as it is to the destination's owner: within this store by the kernel
/// (checksum kept), to another target by direct put of the mapped (or, small, read) file.
async fn copy(tg: &Target, job: &Job, name: &str) -> Result<(), ApiError> {
    let spec = &job.spec;
    if spec.dry_run {
        let meta = tg
            .store
            .head(&spec.src, name)
            .map_err(|e| ApiError::from_store(&tg.name, e))?;
        job.add(LOC_OBJS, 1);
        job.add(LOC_BYTES, meta.size);
        return Ok(());
    }
    let dst = dst_name(name, &spec.prepend, &spec.ext);
    let store = Arc::clone(&tg.store);
    let (bucket, object) = (spec.src.clone(), name.to_owned());
    let Some(owner) = remote_owner(tg, &spec.dst, &dst).await? else {
        // In one trip to the blocking pool (each trip costs a thread wake-up).
        let dst_bucket = spec.dst.clone();
        let size = super::objects::blocking(tg, move || {
            let (mut file, meta) = store.open_object(&bucket, &object)?;
            let mut w = store.writer(&dst_bucket, &dst)?;
            w.copy_object(&mut file, &meta)?;
            store.commit_with(w, BTreeMap::new(), Durability::Deferred)
        })
        .await?
        .size;
        job.add(LOC_OBJS, 1);
        job.add(LOC_BYTES, size);
        return Ok(());
    };
    let data = super::objects::blocking(tg, move || {
        let (file, meta) = store.open_object(&bucket, &object)?;
        super::mapped::load(&file, meta.size)
    })
    .await?;
    let size = data.len() as u64;
    direct_put(tg, &owner, &spec.dst, &dst, Some(&spec.xid), data.into()).await?;
    job.add(LOC_OBJS, 1);
    job.add(LOC_BYTES, size);
    job.add(OUT_OBJS, 1);
    job.add(OUT_BYTES, size);
    Ok(())
}

/// Deletes one listed object.
async fn delete(tg: &Target, job: &Job, name: &str) -> Result<(), ApiError> {
    let store = Arc::clone(&tg.store);
    let (bucket, object) = (job.spec.src.clone(), name.to_owned());
    super::objects::blocking(tg, move || store.delete(&bucket, &object)).await?;
    job.add(LOC_OBJS, 1);
    Ok(())
}

/// Output chunks in flight between a worker and its direct put (each up to the runtime's 1 MiB).
const OUTPUT_CHUNKS: usize = 4;
