//! One request to many targets at once: the gateway's only fan-out.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use bytes::Bytes;
use reqwest::RequestBuilder;

use super::Gateway;

/// How long one control call to a target may take (job start, status, abort, ETL queries)
/// before the gateway counts that target as unreachable.
pub(super) const TARGET_TIMEOUT: Duration = Duration::from_secs(10);

/// Why one target's call did not succeed.
#[derive(Debug)]
pub(super) enum CallError {
    /// No answer: refused, reset, or no answer within the call's timeout.
    Unreachable(String),
    /// It answered with this status (not 2xx) and body.
    Status(StatusCode, String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable(why) => f.write_str(why),
            CallError::Status(status, body) => write!(f, "{status}: {body}"),
        }
    }
}

impl Gateway {
    /// Sends `method <url><path>` to each `(target id, url)` of `targets` at once, each call
    /// bounded by [`TARGET_TIMEOUT`] unless `build` sets its own; `build` adds what the call
    /// carries (a JSON body, headers). Answers come back in the order of `targets`: the body
    /// of every 2xx, else why not, so each caller chooses its own strategy (all must succeed,
    /// or report per target). Each body is read inside its own call and timeout: a target
    /// that hangs is named as the one that did not answer, not a target whose answer waited
    /// for it.
    pub(super) async fn call_targets(
        &self,
        targets: &[(String, String)],
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Vec<(String, Result<Bytes, CallError>)> {
        let calls = targets.iter().map(|(tid, url)| {
            let req = self
                .http
                .request(method.clone(), format!("{url}{path}"))
                .timeout(TARGET_TIMEOUT);
            let send = build(req).send();
            async move {
                let unreachable = |e: reqwest::Error| {
                    let why = if e.is_timeout() {
                        format!("target {tid} did not answer within its timeout: {e}")
                    } else {
                        format!("target {tid}: {e}")
                    };
                    CallError::Unreachable(why)
                };
                let answer = match send.await {
                    Ok(r) if r.status().is_success() => r.bytes().await.map_err(unreachable),
                    Ok(r) => {
                        let status = r.status();
                        Err(CallError::Status(
                            status,
                            r.text().await.unwrap_or_default(),
                        ))
                    }
                    Err(e) => Err(unreachable(e)),
                };
                (tid.clone(), answer)
            }
        });
        futures_util::future::join_all(calls).await
    }
}
