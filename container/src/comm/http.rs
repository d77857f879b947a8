//! hpush (`PUT <pod>/<bucket>/<object>`), offline hpull and hrev (`GET <pod>/<PathEscape(uname)>`).

use std::time::Duration;

use bytes::Bytes;
use reqwest::{Response, StatusCode};

use super::escape::{escape_segments, etl_query, path_escape};
use super::{Outcome, Request};
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
    pub(crate) async fn push(&self, req: &Request<'_>) -> Result<Outcome, CommError> {
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
    pub(crate) async fn pull(&self, req: &Request<'_>) -> Result<Outcome, CommError> {
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

/// 200/202: the bytes; 204: delivered by the container; anything else: an error with the body.
async fn outcome(resp: Response) -> Result<Outcome, CommError> {
    let status = resp.status();
    match status {
        StatusCode::OK | StatusCode::ACCEPTED => {
            Ok(Outcome::Bytes(resp.bytes().await.map_err(transport)?))
        }
        StatusCode::NO_CONTENT => {
            let len = resp
                .headers()
                .get(DIRECT_PUT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            Ok(Outcome::DeliveredByContainer(len))
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

fn transport(e: reqwest::Error) -> CommError {
    if e.is_timeout() {
        CommError::Transport(format!("timed out: {e}"))
    } else {
        CommError::Transport(e.to_string())
    }
}
