//! hpush (`PUT <pod>/<bucket>/<object>`), offline hpull and hrev (`GET <pod>/<PathEscape(uname)>`).

use std::time::Duration;

use bytes::Bytes;
use reqwest::{Response, StatusCode};

use super::escape::{escape_segments, etl_query, path_escape};
use super::{OutputStream, Request, Streamed};
use crate::CommError;

const NODE_URL: &str = "Ais-Node-Url";
const DIRECT_PUT_LENGTH: &str = "Ais-Direct-Put-Length";
const RETRY_REASON: &str = "Ais-Etl-Retry-Reason";
const TRANSIENT: &str = "direct-put-transient";
/// Re-sends after `503` + `Ais-Etl-Retry-Reason: direct-put-transient`.
const TRANSIENT_RETRIES: u32 = 3;

#[derive(Debug)]
pub(crate) struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    pub(crate) fn new(pod_url: &str, obj_timeout: Duration) -> Result<Http, CommError> {
        let client = reqwest::Client::builder()
            .timeout(obj_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CommError::Transport(e.to_string()))?;
        Ok(Http {
            base: pod_url.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// hpush: FQN in the query with an empty body, or the bytes with a `Content-Length`
    /// (never chunked: the HTTP multi-threaded server refuses chunked PUTs).
    pub(crate) async fn push(&self, req: &Request<'_>) -> Result<Streamed, CommError> {
        let body = match (req.fqn, &req.body) {
            (Some(_), _) => Bytes::new(),
            (None, Some(b)) => b.clone(),
            (None, None) => {
                return Err(CommError::BadRequest(
                    "hpush needs the object's FQN or its bytes".into(),
                ))
            }
        };
        let url = format!(
            "{}/{}/{}{}",
            self.base,
            path_escape(req.uname.bucket),
            escape_segments(req.uname.object),
            etl_query(req.fqn, req.args)
        );
        let mut attempt = 0;
        loop {
            let mut rb = self.client.put(&url).body(body.clone());
            if let Some(p) = &req.pipeline {
                rb = rb.header(NODE_URL, p);
            }
            let resp = rb.send().await.map_err(transport)?;
            let transient = resp.status() == StatusCode::SERVICE_UNAVAILABLE
                && resp
                    .headers()
                    .get(RETRY_REASON)
                    .is_some_and(|v| v == TRANSIENT);
            if transient && attempt < TRANSIENT_RETRIES {
                attempt += 1;
                drop(resp.bytes().await);
                continue;
            }
            return outcome(resp).await;
        }
    }

    /// Offline hpull and hrev: the target GETs the container, which reads the FQN (or fetches
    /// the object through `AIS_TARGET_URL`). Bytes in `req.body` are not sent: GET has no body.
    pub(crate) async fn pull(&self, req: &Request<'_>) -> Result<Streamed, CommError> {
        let url = format!(
            "{}/{}{}",
            self.base,
            path_escape(req.uname.full),
            etl_query(req.fqn, req.args)
        );
        let mut rb = self.client.get(&url);
        if let Some(p) = &req.pipeline {
            rb = rb.header(NODE_URL, p);
        }
        outcome(rb.send().await.map_err(transport)?).await
    }
}

/// 200/202: the bytes, as they arrive; 204: delivered by the container; anything else: an
/// error with the body.
async fn outcome(resp: Response) -> Result<Streamed, CommError> {
    let status = resp.status();
    match status {
        StatusCode::OK | StatusCode::ACCEPTED => Ok(Streamed::Output(OutputStream::body(resp))),
        StatusCode::NO_CONTENT => {
            let len = resp
                .headers()
                .get(DIRECT_PUT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            Ok(Streamed::DeliveredByContainer(len))
        }
        _ => {
            let text = resp.text().await.unwrap_or_default();
            Err(CommError::Status {
                status: status.as_u16(),
                text: text.trim().to_owned(),
            })
        }
    }
}

pub(super) fn transport(e: reqwest::Error) -> CommError {
    if e.is_timeout() {
        CommError::Transport(format!("timed out: {e}"))
    } else {
        CommError::Transport(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use crate::{CommOptions, CommType, Communicator, Streamed};

    /// A transformer that answers a chunked 200: `hello`, then (when told) `world` and the end,
    /// or a broken-off connection.
    async fn transformer(clean_end: bool) -> (String, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (go, wait) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 4096];
            let _ = conn.read(&mut head).await.unwrap();
            let start = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
            conn.write_all(start.as_bytes()).await.unwrap();
            let _ = wait.await;
            if clean_end {
                conn.write_all(b"5\r\nworld\r\n0\r\n\r\n").await.unwrap();
            } else {
                conn.write_all(b"5\r\nwor").await.unwrap();
            }
        });
        (url, go)
    }

    async fn streamed(url: &str) -> crate::OutputStream {
        let opts = CommOptions {
            obj_timeout: Duration::from_secs(10),
            ws_connections: 1,
        };
        let comm = Communicator::connect(CommType::Hpush, url, &opts)
            .await
            .unwrap();
        let reply = comm
            .transform_streamed("ais/@#/b/o", None, Some("in".into()), "", None)
            .await
            .unwrap();
        let Streamed::Output(output) = reply else {
            panic!("not an output: {reply:?}")
        };
        output
    }

    #[tokio::test]
    async fn container_output_arrives_before_the_transformer_is_done() {
        let (url, go) = transformer(true).await;
        let mut output = streamed(&url).await;
        // The first chunk is here while the transformer still holds back the rest.
        assert_eq!(
            output.chunk().await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
        go.send(()).unwrap();
        assert_eq!(
            output.chunk().await.unwrap().as_deref(),
            Some(&b"world"[..])
        );
        assert_eq!(output.chunk().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_container_output_that_breaks_off_is_an_error_not_a_short_object() {
        let (url, go) = transformer(false).await;
        let mut output = streamed(&url).await;
        assert_eq!(
            output.chunk().await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
        go.send(()).unwrap();
        let mut rest = Vec::new();
        let end = loop {
            match output.chunk().await {
                Ok(Some(c)) => rest.extend_from_slice(&c),
                other => break other,
            }
        };
        assert!(end.is_err(), "ended cleanly after {rest:?}");
    }
}
