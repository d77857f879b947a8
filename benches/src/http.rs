//! Turning an HTTP answer into a bench step's result.

use crate::Result;

/// The response if the request went through and answered 2xx; else `what`, the error (with
/// its source) or the status and body.
pub async fn expect_ok(
    resp: reqwest::Result<reqwest::Response>,
    what: &str,
) -> Result<reqwest::Response> {
    let resp = resp.map_err(|e| {
        let source = std::error::Error::source(&e).map(|s| format!(" ({s:?})"));
        format!("{what}: {e}{}", source.unwrap_or_default())
    })?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    Err(format!(
        "{what}: {status} {}",
        resp.text().await.unwrap_or_default()
    ))
}
