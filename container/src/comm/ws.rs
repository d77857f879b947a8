//! ws: several persistent WebSocket connections to `ws://<pod>/ws`, all pulling from one
//! shared queue. Per object: a BINARY control frame (JSON `{fqn, path, etl_args, pipeline}`,
//! empty fields left out, `path` = the object name) and, only without an FQN, one BINARY
//! payload frame. Each connection has one object in flight at a time, so replies are
//! trivially in order. A BINARY reply is the result; a TEXT reply is "delivered by direct
//! put" only if it is a length > 0 (Python servers) or `direct put success` (Go servers);
//! any other text (`Transform error: ...`, `0`) is an error, not a silent success.
//! A connection that breaks fails its object and is re-opened for the next one.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::escape::path_escape;
use super::{Outcome, Request};
use crate::CommError;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Reply = oneshot::Sender<Result<Outcome, CommError>>;

const QUEUE: usize = 512;
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub(crate) struct WsPool {
    jobs: mpsc::Sender<Job>,
    tasks: Vec<JoinHandle<()>>,
}

struct Job {
    ctrl: Vec<u8>,
    payload: Option<Bytes>,
    reply: Reply,
}

#[derive(Serialize)]
struct Ctrl<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    pipeline: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    etl_args: &'a str,
    #[serde(skip_serializing_if = "String::is_empty")]
    fqn: String,
    path: &'a str,
}

impl WsPool {
    pub(crate) async fn connect(
        pod_url: &str,
        connections: usize,
        obj_timeout: Duration,
    ) -> Result<WsPool, CommError> {
        let url = format!(
            "{}/ws",
            pod_url
                .trim_end_matches('/')
                .replacen("http://", "ws://", 1)
        );
        let (jobs, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections {
            let socket = open(&url).await?;
            tasks.push(tokio::spawn(serve(
                url.clone(),
                rx.clone(),
                socket,
                obj_timeout,
            )));
        }
        Ok(WsPool { jobs, tasks })
    }

    pub(crate) async fn transform(&self, req: &Request<'_>) -> Result<Outcome, CommError> {
        let fqn = req
            .fqn
            .map(|f| path_escape(&f.to_string_lossy()))
            .unwrap_or_default();
        let payload = match (&req.fqn, &req.body) {
            (Some(_), _) => None,
            (None, Some(b)) => Some(b.clone()),
            (None, None) => {
                return Err(CommError::BadRequest(
                    "ws needs the object's FQN or its bytes".into(),
                ))
            }
        };
        let ctrl = Ctrl {
            pipeline: req.pipeline.as_deref().unwrap_or(""),
            etl_args: req.args,
            fqn,
            path: req.uname.object,
        };
        let ctrl = serde_json::to_vec(&ctrl).map_err(|e| CommError::BadRequest(e.to_string()))?;
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job {
                ctrl,
                payload,
                reply,
            })
            .await
            .map_err(|_| CommError::Transport("ws connections are gone".into()))?;
        rx.await
            .map_err(|_| CommError::Transport("ws connection dropped the object".into()))?
    }
}

impl Drop for WsPool {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn open(url: &str) -> Result<Socket, CommError> {
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|e| CommError::Transport(format!("ws connect {url}: {e}")))?;
    Ok(socket)
}

/// One connection's loop: take an object, exchange, reply; re-open after a failure.
async fn serve(
    url: String,
    jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    socket: Socket,
    obj_timeout: Duration,
) {
    let mut socket = Some(socket);
    loop {
        let mut ws = match socket.take() {
            Some(s) => s,
            None => match open(&url).await {
                Ok(s) => s,
                Err(_) => {
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            },
        };
        let Some(job) = jobs.lock().await.recv().await else {
            return;
        };
        let (result, healthy) =
            match tokio::time::timeout(obj_timeout, exchange(&mut ws, job.ctrl, job.payload)).await
            {
                Ok(r) => r,
                Err(_) => (Err(CommError::Timeout(obj_timeout)), false),
            };
        let _ = job.reply.send(result);
        if healthy {
            socket = Some(ws);
        }
    }
}

/// Sends one object and reads its reply; the bool says whether the connection is still usable.
async fn exchange(
    ws: &mut Socket,
    ctrl: Vec<u8>,
    payload: Option<Bytes>,
) -> (Result<Outcome, CommError>, bool) {
    let broken = |e: tokio_tungstenite::tungstenite::Error| {
        (Err(CommError::Transport(format!("ws: {e}"))), false)
    };
    if let Err(e) = ws.send(Message::Binary(ctrl.into())).await {
        return broken(e);
    }
    if let Some(p) = payload {
        if let Err(e) = ws.send(Message::Binary(p)).await {
            return broken(e);
        }
    }
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => return (Ok(Outcome::Bytes(b)), true),
            Some(Ok(Message::Text(t))) => return (text_reply(t.as_str()), true),
            Some(Ok(Message::Close(_))) | None => {
                return (
                    Err(CommError::Transport(
                        "ws: the transformer closed the connection".into(),
                    )),
                    false,
                )
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return broken(e),
        }
    }
}

fn text_reply(text: &str) -> Result<Outcome, CommError> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Outcome::DeliveredByContainer(n)),
        _ if text == "direct put success" => Ok(Outcome::DeliveredByContainer(0)),
        Ok(_) => Err(CommError::Status {
            status: 502,
            text: "direct put by the transformer failed (it replied \"0\")".into(),
        }),
        Err(_) => Err(CommError::Status {
            status: 500,
            text: text.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_frames() {
        assert_eq!(text_reply("55").unwrap(), Outcome::DeliveredByContainer(55));
        assert_eq!(
            text_reply("direct put success").unwrap(),
            Outcome::DeliveredByContainer(0)
        );
        assert!(matches!(
            text_reply("0"),
            Err(CommError::Status { status: 502, .. })
        ));
        assert!(
            matches!(text_reply("Transform error: boom"), Err(CommError::Status { status: 500, ref text }) if text.contains("boom"))
        );
    }

    #[test]
    fn ctrl_leaves_out_empty_fields() {
        let c = Ctrl {
            pipeline: "",
            etl_args: "",
            fqn: String::new(),
            path: "a.flac",
        };
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"path":"a.flac"}"#);
    }
}
