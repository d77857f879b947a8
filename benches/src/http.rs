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

/// Reads a response body to the end, discarding it; checks its length.
pub async fn drain(mut resp: reqwest::Response, size: usize, what: &str) -> Result<()> {
    let mut got = 0;
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("{what}: {e}"))? {
        got += chunk.len();
    }
    if got == size {
        Ok(())
    } else {
        Err(format!("{what}: got {got} bytes, want {size}"))
    }
}
