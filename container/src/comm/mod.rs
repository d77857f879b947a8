//! Communicators: how a target hands one object to a transformer and gets the result back
//! (`docs/container-protocol.md` §3-§8). One [`Communicator`] per ETL (and, for ws, per
//! session); the ETL layer calls [`Communicator::transform_streamed`] for every object, and
//! passes the output on as it arrives ([`OutputStream`]).

mod escape;
mod http;
mod io;
mod ws;

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;

use crate::{CommError, CommType, Launch, PodOptions};

pub use escape::{hpull_redirect_url, path_escape};

/// The result of transforming one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The transformed bytes, for the target to return or store.
    Bytes(Bytes),
    /// The container delivered the output itself (direct put); the length it reported.
    DeliveredByContainer(u64),
}

/// The result of transforming one object, its output still arriving
/// ([`Communicator::transform_streamed`]).
#[derive(Debug)]
pub enum Streamed {
    /// The transformed bytes, to be read chunk by chunk.
    Output(OutputStream),
    /// The container delivered the output itself (direct put); the length it reported.
    DeliveredByContainer(u64),
}

impl From<Outcome> for Streamed {
    fn from(outcome: Outcome) -> Streamed {
        match outcome {
            Outcome::Bytes(bytes) => Streamed::Output(OutputStream(Source::Whole(Some(bytes)))),
            Outcome::DeliveredByContainer(len) => Streamed::DeliveredByContainer(len),
        }
    }
}

/// A transformer's output as it arrives: an HTTP response body (hpush, hpull, hrev) read chunk
/// by chunk, so a large output is never held whole; ws and io deliver an object in one
/// message, which is one chunk. The communicator's `obj_timeout` covers the body too.
#[derive(Debug)]
pub struct OutputStream(Source);

#[derive(Debug)]
enum Source {
    Body(reqwest::Response),
    Whole(Option<Bytes>),
}

impl OutputStream {
    /// The next chunk (never empty); `None` after the last. An error when the transformer
    /// breaks off (a reset connection, the `obj_timeout`).
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, CommError> {
        match &mut self.0 {
            Source::Body(resp) => loop {
                match resp.chunk().await.map_err(http::transport)? {
                    Some(c) if c.is_empty() => continue,
                    next => return Ok(next),
                }
            },
            Source::Whole(bytes) => Ok(bytes.take().filter(|b| !b.is_empty())),
        }
    }

    pub(crate) fn body(resp: reqwest::Response) -> OutputStream {
        OutputStream(Source::Body(resp))
    }

    /// All of it, in one buffer.
    pub async fn collect(self) -> Result<Bytes, CommError> {
        match self.0 {
            Source::Body(resp) => resp.bytes().await.map_err(http::transport),
            Source::Whole(bytes) => Ok(bytes.unwrap_or_default()),
        }
    }
}

/// Settings for a communicator.
#[derive(Debug, Clone)]
pub struct CommOptions {
    /// Per-object timeout (`obj_timeout`).
    pub obj_timeout: Duration,
    /// ws only: how many persistent connections to open (AIStore: 2 inline, 8 per job).
    pub ws_connections: usize,
}

/// A target-side client for one transformer.
#[derive(Debug)]
pub struct Communicator {
    inner: Inner,
    obj_timeout: Duration,
}

#[derive(Debug)]
enum Inner {
    Hpush(http::Http),
    Hpull(http::Http),
    Hrev(http::Http),
    Ws(ws::WsPool),
    Io(io::IoRunner),
}

impl Communicator {
    /// Connects to a transformer server at `pod_url` (`http://127.0.0.1:<port>`); for ws
    /// this opens the connections. `io://` has no server: use [`Communicator::io`].
    pub async fn connect(
        comm: CommType,
        pod_url: &str,
        opts: &CommOptions,
    ) -> Result<Communicator, CommError> {
        let inner = match comm {
            CommType::Hpush => Inner::Hpush(http::Http::new(pod_url, opts.obj_timeout)?),
            CommType::Hpull => Inner::Hpull(http::Http::new(pod_url, opts.obj_timeout)?),
            CommType::Hrev => Inner::Hrev(http::Http::new(pod_url, opts.obj_timeout)?),
            CommType::Ws => Inner::Ws(
                ws::WsPool::connect(pod_url, opts.ws_connections.max(1), opts.obj_timeout).await?,
            ),
            CommType::Io => {
                return Err(CommError::BadRequest(
                    "io:// runs a process per object; use Communicator::io".into(),
                ))
            }
        };
        Ok(Communicator {
            inner,
            obj_timeout: opts.obj_timeout,
        })
    }

    /// An `io://` communicator: runs `launch`'s command once per object, with the AIS env.
    pub fn io(launch: &Launch, pod: &PodOptions, obj_timeout: Duration) -> Communicator {
        Communicator {
            inner: Inner::Io(io::IoRunner::new(launch, pod)),
            obj_timeout,
        }
    }

    /// The communication type.
    pub fn comm_type(&self) -> CommType {
        match self.inner {
            Inner::Hpush(_) => CommType::Hpush,
            Inner::Hpull(_) => CommType::Hpull,
            Inner::Hrev(_) => CommType::Hrev,
            Inner::Ws(_) => CommType::Ws,
            Inner::Io(_) => CommType::Io,
        }
    }

    /// Transforms one object. `uname` is `<provider>/@<ns>/<bucket>/<object>`; the input is
    /// the object's local file `fqn` when given (the default, cheapest way), else `body`
    /// (for hpull without either, the container reads the object through `AIS_TARGET_URL`).
    /// hrev never passes the FQN: given a file, the container reads the object back through
    /// `AIS_TARGET_URL`. hpull and hrev have no way to send bytes (a GET has no body), so bytes
    /// without a file (a later pipeline stage's input) are PUT as hpush does.
    /// `args` is `etl_args` (empty for none). `direct_put_url` becomes `Ais-Node-Url` (ws:
    /// `pipeline`), so the container may deliver the output itself. The output in one buffer;
    /// [`Communicator::transform_streamed`] passes it on as it arrives.
    pub async fn transform(
        &self,
        uname: &str,
        fqn: Option<&Path>,
        body: Option<Bytes>,
        args: &str,
        direct_put_url: Option<String>,
    ) -> Result<Outcome, CommError> {
        let streamed = self
            .transform_streamed(uname, fqn, body, args, direct_put_url)
            .await?;
        match streamed {
            Streamed::Output(output) => Ok(Outcome::Bytes(output.collect().await?)),
            Streamed::DeliveredByContainer(len) => Ok(Outcome::DeliveredByContainer(len)),
        }
    }

    /// [`Communicator::transform`], answering once the transformer's reply has begun: its
    /// status and headers read, the output still to come.
    pub async fn transform_streamed(
        &self,
        uname: &str,
        fqn: Option<&Path>,
        body: Option<Bytes>,
        args: &str,
        direct_put_url: Option<String>,
    ) -> Result<Streamed, CommError> {
        // hrev: the container reads the object back, given a file (or nothing) to read back.
        let read_back = matches!(self.inner, Inner::Hrev(_)) && (fqn.is_some() || body.is_none());
        let (fqn, body) = if read_back { (None, None) } else { (fqn, body) };
        let req = Request {
            uname: Uname::parse(uname)?,
            fqn,
            body,
            args,
            pipeline: direct_put_url,
        };
        let work = async {
            match &self.inner {
                Inner::Hpush(h) => h.push(&req).await,
                Inner::Hpull(h) | Inner::Hrev(h) if req.fqn.is_none() && req.body.is_some() => {
                    h.push(&req).await
                }
                Inner::Hpull(h) | Inner::Hrev(h) => h.pull(&req).await,
                Inner::Ws(w) => w.transform(&req).await.map(Streamed::from),
                Inner::Io(r) => r.transform(&req).await.map(Streamed::from),
            }
        };
        tokio::time::timeout(self.obj_timeout, work)
            .await
            .map_err(|_| CommError::Timeout(self.obj_timeout))?
    }
}

/// One object's request, as the communicators see it.
pub(crate) struct Request<'a> {
    pub(crate) uname: Uname<'a>,
    pub(crate) fqn: Option<&'a Path>,
    pub(crate) body: Option<Bytes>,
    pub(crate) args: &'a str,
    pub(crate) pipeline: Option<String>,
}

/// An object's uname split into its parts.
pub(crate) struct Uname<'a> {
    pub(crate) full: &'a str,
    pub(crate) bucket: &'a str,
    pub(crate) object: &'a str,
}

impl<'a> Uname<'a> {
    fn parse(full: &'a str) -> Result<Uname<'a>, CommError> {
        let bad = || {
            CommError::BadRequest(format!(
                "{full:?} is not an object uname (provider/@ns/bucket/object)"
            ))
        };
        let (bucket, object) = lode_wire::split_uname(full).ok_or_else(bad)?;
        Ok(Uname {
            full,
            bucket,
            object,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uname_parts() {
        let u = Uname::parse("ais/@#/bck/a/b c.flac").unwrap();
        assert_eq!((u.bucket, u.object), ("bck", "a/b c.flac"));
        assert!(Uname::parse("bck/obj").is_err());
        assert!(Uname::parse("ais/@#/bck/").is_err());
    }
}
