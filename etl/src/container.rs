//! The container backend: one transformer server per node, started by the node's pod
//! [`Runner`] (a supervised local process, or a Kubernetes pod), and a [`Communicator`]
//! speaking AIStore's container protocol to it. The server goes when the backend is dropped
//! (the ETL stopped or deleted and its last object done): the process is killed, the pod
//! deleted.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use lode_container::{
    hpull_redirect_url, CommError, CommOptions, CommType, Communicator, ContainerSpec,
    OutputStream, Pod, PodOptions, Runner, Streamed,
};
use lode_runtime::{Input, Output, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::backend::{Backend, BackendError, BoxFuture, Transformed};
use crate::{ArgType, InitMsg};

/// What the node tells a container ETL it starts.
#[derive(Clone, Debug)]
pub struct ContainerContext {
    /// `AIS_TARGET_URL`: `<target>/v1/etl/_object/<etl>/<secret>`.
    pub target_url: String,
    /// The loopback ports of the cluster's targets (direct-put destinations).
    pub peers: Vec<u16>,
}

/// A transformer server and the communicator that talks to it.
pub(crate) struct ContainerBackend {
    /// `None` for `io://`, which runs a process per object.
    pod: Option<Pod>,
    comm: Communicator,
    fqn: bool,
    /// `support_direct_put`: the container may deliver offline outputs itself.
    direct_put: bool,
    workers: usize,
}

impl ContainerBackend {
    /// Plans and starts the transformer for `msg` and waits until it is ready (`init_timeout`).
    pub(crate) async fn start(
        msg: &InitMsg,
        spec: &ContainerSpec,
        runner: &Runner,
        ctx: &ContainerContext,
        workers: usize,
    ) -> Result<ContainerBackend, String> {
        let opts = PodOptions {
            target_url: ctx.target_url.clone(),
            peers: ctx.peers.clone(),
            direct_put: spec.direct_put,
            init_timeout: msg.init_timeout,
        };
        // hpull hands the container the object's FQN: without one it would GET the object
        // back from the target. hrev always has it read the object back (the communicator
        // drops the path), so the target need not read the file either.
        let fqn =
            msg.arg_type == ArgType::Fqn || matches!(spec.comm, CommType::Hpull | CommType::Hrev);
        if spec.comm == CommType::Io {
            let launch = runner
                .launch(spec, &msg.name)
                .await
                .map_err(|e| e.to_string())?;
            let comm = Communicator::io(&launch, &opts, msg.obj_timeout);
            return Ok(ContainerBackend {
                pod: None,
                comm,
                fqn,
                direct_put: spec.direct_put,
                workers,
            });
        }
        let pod = Pod::start(runner, spec, &msg.name, &opts)
            .await
            .map_err(|e| e.to_string())?;
        let comm_opts = CommOptions {
            obj_timeout: msg.obj_timeout,
            ws_connections: workers,
        };
        let comm = Communicator::connect(spec.comm, &pod.url(), &comm_opts)
            .await
            .map_err(|e| e.to_string())?;
        Ok(ContainerBackend {
            pod: Some(pod),
            comm,
            fqn,
            direct_put: spec.direct_put,
            workers,
        })
    }

    /// The object as the communicator takes it: its file (FQN input) or its bytes.
    async fn input(&self, input: Input) -> Result<(Option<PathBuf>, Option<Bytes>, u64), String> {
        let read_err = |e: std::io::Error| format!("reading the object: {e}");
        match input {
            Input::File(path) if self.fqn => {
                let len = tokio::fs::metadata(&path).await.map_err(read_err)?.len();
                Ok((Some(path), None, len))
            }
            Input::File(path) => {
                let bytes = tokio::fs::read(&path).await.map_err(read_err)?;
                let len = bytes.len() as u64;
                Ok((None, Some(Bytes::from(bytes)), len))
            }
            Input::Bytes(bytes) => {
                let len = bytes.len() as u64;
                Ok((None, Some(bytes), len))
            }
            Input::Reader(mut reader) => {
                let mut buf = Vec::new();
                reader.read_to_end(&mut buf).await.map_err(read_err)?;
                let len = buf.len() as u64;
                Ok((None, Some(Bytes::from(buf)), len))
            }
        }
    }
}

/// How many output chunks may wait for a blocking writer ([`Output::Sync`]).
const SYNC_DEPTH: usize = 8;

/// Passes the transformer's output on where the request wants it, chunk by chunk as it arrives
/// (never whole, but for [`Output::Vec`]); the output and its length.
async fn write_output(
    output: Output,
    mut stream: OutputStream,
) -> Result<(Option<Vec<u8>>, u64), String> {
    let write_err = |e: std::io::Error| format!("writing the output: {e}");
    let read_err = |e: CommError| format!("reading the transformer's output: {e}");
    let mut len = 0u64;
    match output {
        Output::Vec => {
            let bytes = stream.collect().await.map_err(read_err)?;
            Ok((Some(bytes.to_vec()), bytes.len() as u64))
        }
        Output::File(path) => {
            let mut tmp = path.clone().into_os_string();
            tmp.push(".lode-tmp");
            let written = async {
                let mut file = tokio::fs::File::create(&tmp).await.map_err(write_err)?;
                while let Some(chunk) = stream.chunk().await.map_err(read_err)? {
                    len += chunk.len() as u64;
                    file.write_all(&chunk).await.map_err(write_err)?;
                }
                file.flush().await.map_err(write_err)?;
                tokio::fs::rename(&tmp, &path).await.map_err(write_err)
            }
            .await;
            if written.is_err() {
                let _ = tokio::fs::remove_file(&tmp).await;
            }
            written.map(|()| (None, len))
        }
        Output::Writer(mut writer) => {
            // Not shut down on an error: the reader sees the output break off, not end.
            while let Some(chunk) = stream.chunk().await.map_err(read_err)? {
                len += chunk.len() as u64;
                writer.write_all(&chunk).await.map_err(write_err)?;
            }
            writer.shutdown().await.map_err(write_err)?;
            Ok((None, len))
        }
        Output::Chunks(tx) => {
            // The channel closes either way; the caller's result says whether it was the end.
            while let Some(chunk) = stream.chunk().await.map_err(read_err)? {
                len += chunk.len() as u64;
                tx.send(chunk)
                    .await
                    .map_err(|_| "writing the output: its receiver went away".to_owned())?;
            }
            Ok((None, len))
        }
        Output::Sync(mut writer) => {
            // One blocking task writes what arrives; `Err` tells it to drop the writer unflushed.
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, ()>>(SYNC_DEPTH);
            let write = tokio::task::spawn_blocking(move || {
                while let Some(chunk) = rx.blocking_recv() {
                    let Ok(chunk) = chunk else {
                        return Ok(false);
                    };
                    std::io::Write::write_all(&mut writer, &chunk)?;
                }
                std::io::Write::flush(&mut writer).map(|()| true)
            });
            let fed = async {
                while let Some(chunk) = stream.chunk().await.map_err(read_err)? {
                    len += chunk.len() as u64;
                    if tx.send(Ok(chunk)).await.is_err() {
                        break; // the writer failed: its error is below
                    }
                }
                Ok::<(), String>(())
            }
            .await;
            if fed.is_err() {
                let _ = tx.send(Err(())).await;
            }
            drop(tx);
            let wrote = write
                .await
                .map_err(|e| format!("writing the output: {e}"))?
                .map_err(write_err);
            fed?;
            wrote?;
            Ok((None, len))
        }
    }
}

impl Backend for ContainerBackend {
    fn kind(&self) -> &'static str {
        "container"
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn redirect(&self, uname: &str, fqn: &Path, args: &str) -> Option<String> {
        let pod = self
            .pod
            .as_ref()
            .filter(|_| self.comm.comm_type() == CommType::Hpull)?;
        Some(hpull_redirect_url(&pod.url(), uname, Some(fqn), args))
    }

    fn logs(&self) -> String {
        self.pod.as_ref().map(Pod::logs).unwrap_or_default()
    }

    fn network(&self) -> Option<String> {
        self.pod.as_ref().map(Pod::network)
    }

    fn transform(
        &self,
        request: Request,
        direct_put: Option<String>,
    ) -> BoxFuture<'_, Result<Transformed, BackendError>> {
        Box::pin(async move {
            let uname = format!("ais/@#/{}", request.object);
            let (fqn, body, bytes_in) = self
                .input(request.input)
                .await
                .map_err(BackendError::Transient)?;
            let direct_put = direct_put.filter(|_| self.direct_put);
            let outcome = self
                .comm
                .transform_streamed(&uname, fqn.as_deref(), body, &request.args, direct_put)
                .await
                .map_err(|e| match e {
                    CommError::Transport(_) | CommError::Protocol(_) => {
                        BackendError::Transient(e.to_string())
                    }
                    e => BackendError::Object(e.to_string()),
                })?;
            match outcome {
                Streamed::Output(stream) => {
                    let (output, bytes_out) = write_output(request.output, stream)
                        .await
                        .map_err(BackendError::Transient)?;
                    Ok(Transformed {
                        output,
                        bytes_in,
                        bytes_out,
                        delivered: false,
                    })
                }
                Streamed::DeliveredByContainer(bytes_out) => Ok(Transformed {
                    output: None,
                    bytes_in,
                    bytes_out,
                    delivered: true,
                }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_goes_where_the_request_wants_it() {
        let bytes = || {
            let Streamed::Output(s) =
                Streamed::from(lode_container::Outcome::Bytes("transformed".into()))
            else {
                unreachable!()
            };
            s
        };
        let (vec, len) = write_output(Output::Vec, bytes()).await.unwrap();
        assert_eq!((vec.as_deref(), len), (Some(&b"transformed"[..]), 11));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let (none, len) = write_output(Output::File(path.clone()), bytes())
            .await
            .unwrap();
        assert!(none.is_none() && len == 11);
        assert_eq!(std::fs::read(&path).unwrap(), b"transformed");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left"
        );

        let (client, mut server) = tokio::io::duplex(64);
        write_output(Output::Writer(Box::new(client)), bytes())
            .await
            .unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"transformed");

        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        write_output(Output::Chunks(tx), bytes()).await.unwrap();
        assert_eq!(rx.recv().await.as_deref(), Some(&b"transformed"[..]));
        assert!(rx.recv().await.is_none());

        let sync = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        let file = sync.reopen().unwrap();
        write_output(
            Output::Sync(Box::new(std::io::BufWriter::new(file))),
            bytes(),
        )
        .await
        .unwrap();
        assert_eq!(std::fs::read(sync.path()).unwrap(), b"transformed");
    }
}
