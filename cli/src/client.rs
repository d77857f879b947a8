//! HTTP plumbing shared by the client commands (`bucket`, `put`, `get`, `ls`, `object`, `show`):
//! the endpoint (`AIS_ENDPOINT`), `ais://bucket/object` names, URL building, redirects and the
//! server's error text. Redirects are followed here, by hand, so that a PUT body is only ever
//! streamed once: to the target the gateway names (see [`Client::resolve`]).

use anyhow::{anyhow, bail, Context as _};
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};

/// Used when `AIS_ENDPOINT` is not set (the `ais` CLI's default too).
pub(crate) const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8080";

/// How many redirects one request may follow before we call it a loop.
const MAX_REDIRECTS: usize = 5;

/// `ais://bucket[/object]` split into its parts (a bare `bucket` means `ais://bucket`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BckObj {
    pub(crate) bucket: String,
    /// The object name (or prefix); `None` when nothing follows the bucket.
    pub(crate) object: Option<String>,
}

impl BckObj {
    /// Parses `ais://b`, `ais://b/`, `ais://b/dir/obj` or `b/dir/obj`.
    pub(crate) fn parse(arg: &str) -> anyhow::Result<Self> {
        let rest = match arg.split_once("://") {
            Some(("ais", rest)) => rest,
            Some((provider, _)) => {
                bail!("{arg:?}: only ais:// buckets are supported, not {provider}://")
            }
            None => arg,
        };
        let (bucket, object) = match rest.split_once('/') {
            Some((b, o)) if !o.is_empty() => (b, Some(o.to_string())),
            Some((b, _)) => (b, None),
            None => (rest, None),
        };
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if bucket.is_empty() || bucket.starts_with('.') || !bucket.chars().all(valid) {
            bail!("{arg:?}: invalid bucket name (allowed: letters, digits, '.', '_', '-')");
        }
        Ok(Self {
            bucket: bucket.to_string(),
            object,
        })
    }

    /// The object name, or an error saying that one was expected.
    pub(crate) fn require_object(&self) -> anyhow::Result<&str> {
        self.object
            .as_deref()
            .ok_or_else(|| anyhow!("ais://{}: an object name is required", self.bucket))
    }
}

/// A client bound to one gateway.
#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    endpoint: String,
}

impl Client {
    /// The gateway from `AIS_ENDPOINT`, or [`DEFAULT_ENDPOINT`].
    pub(crate) fn from_env() -> anyhow::Result<Self> {
        let endpoint = std::env::var("AIS_ENDPOINT").unwrap_or_else(|_| DEFAULT_ENDPOINT.into());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self {
            http,
            endpoint: endpoint.trim_end_matches('/').to_string(),
        })
    }

    /// `<endpoint>/v1/<path_and_query>`.
    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("{}/v1/{path_and_query}", self.endpoint)
    }

    /// `<endpoint>/v1/objects/<bucket>/<quoted object>?provider=ais`.
    pub(crate) fn object_url(&self, bucket: &str, object: &str) -> String {
        let quoted = lode_wire::quote_object_name(object);
        self.url(&format!("objects/{bucket}/{quoted}?provider=ais"))
    }

    /// A request builder on the shared connection pool.
    pub(crate) fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.http.request(method, url)
    }

    /// Sends a request without a body (or with a small JSON one), following redirects, and
    /// turns an error status into the server's message.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: &str,
        json: Option<&serde_json::Value>,
    ) -> anyhow::Result<Response> {
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self.http.request(method.clone(), &url);
            if let Some(body) = json {
                req = req.json(body);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| unreachable_err(&method, &url, &e))?;
            match redirect_location(&resp) {
                Some(next) => url = next,
                None => return check(resp).await,
            }
        }
        bail!("{method} {url}: too many redirects")
    }

    /// `{"action": <action>, "name": "", "value": <value>}` sent with `method` to `url`.
    pub(crate) async fn action(
        &self,
        method: Method,
        url: &str,
        action: &str,
        value: serde_json::Value,
    ) -> anyhow::Result<Response> {
        let msg = serde_json::to_value(lode_wire::ActionMsg::new(action, value))?;
        self.call(method, url, Some(&msg)).await
    }

    /// Asks the gateway where an object lives (a HEAD it redirects, never following it) and
    /// returns the target's URL for `url`; `url` itself when nobody redirects. A body sent to
    /// the returned URL therefore travels once, straight to its target.
    pub(crate) async fn resolve(&self, url: &str) -> anyhow::Result<String> {
        let resp = self
            .http
            .head(url)
            .send()
            .await
            .map_err(|e| unreachable_err(&Method::HEAD, url, &e))?;
        if let Some(next) = redirect_location(&resp) {
            return Ok(next);
        }
        // A missing object answers 404 on HEAD, which is fine before a PUT; a missing bucket
        // (or any other refusal) is reported by the PUT itself.
        Ok(url.to_string())
    }
}

/// A request that got no answer, in one line: what was asked and the innermost cause (the
/// reqwest/hyper chain repeats the URL several times).
pub(crate) fn unreachable_err(method: &Method, url: &str, err: &reqwest::Error) -> anyhow::Error {
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    anyhow!("{method} {url}: {cause}")
}

/// The `Location` of a redirect response, if it is one.
pub(crate) fn redirect_location(resp: &Response) -> Option<String> {
    if !resp.status().is_redirection() {
        return None;
    }
    let loc = resp.headers().get(header::LOCATION)?.to_str().ok()?;
    Some(loc.to_string())
}

/// Passes a 2xx/3xx response through; turns anything else into one line of error text.
pub(crate) async fn check(resp: Response) -> anyhow::Result<Response> {
    let status = resp.status();
    if status.is_success() || status.is_redirection() {
        return Ok(resp);
    }
    let hdr_error = resp
        .headers()
        .get("Hdr-Error")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.text().await.unwrap_or_default();
    bail!(
        "{}",
        error_message(status, hdr_error.as_deref().unwrap_or(&body))
    )
}

/// The `message` of an AIS JSON error (`cmn.ErrHTTP`), else the raw text, else the status.
fn error_message(status: StatusCode, text: &str) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(text).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(|m| m.as_str())
        .unwrap_or(text)
        .trim();
    if message.is_empty() {
        format!("{status}")
    } else {
        format!("{message} ({})", status.as_u16())
    }
}

/// `1536` -> `1.50KiB`, as the `ais` CLI prints sizes.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ais_names() {
        let p = BckObj::parse("ais://b/dir/o.txt").unwrap();
        assert_eq!(
            p,
            BckObj {
                bucket: "b".into(),
                object: Some("dir/o.txt".into())
            }
        );
        assert_eq!(BckObj::parse("ais://b/").unwrap().object, None);
        assert_eq!(BckObj::parse("b").unwrap().bucket, "b");
        assert!(BckObj::parse("s3://b").is_err());
        assert!(BckObj::parse("ais://").is_err());
        assert!(BckObj::parse("ais://a b").is_err());
        assert!(BckObj::parse("ais://.hidden").is_err());
    }

    #[test]
    fn quotes_object_names_like_python() {
        let c = Client {
            http: reqwest::Client::new(),
            endpoint: "http://h:1".into(),
        };
        assert_eq!(
            c.object_url("b", "a dir/x?#ü~.txt"),
            "http://h:1/v1/objects/b/a%20dir/x%3F%23%C3%BC~.txt?provider=ais"
        );
    }

    #[test]
    fn error_text_is_the_server_message() {
        let json = r#"{"message":"bucket \"ais://x\" does not exist","status":404}"#;
        assert_eq!(
            error_message(StatusCode::NOT_FOUND, json),
            "bucket \"ais://x\" does not exist (404)"
        );
        assert_eq!(
            error_message(StatusCode::BAD_REQUEST, "plain\n"),
            "plain (400)"
        );
        assert_eq!(
            error_message(StatusCode::BAD_GATEWAY, ""),
            "502 Bad Gateway"
        );
    }

    #[test]
    fn sizes_read_like_ais() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1536), "1.50KiB");
        assert_eq!(human_size(8 << 20), "8.00MiB");
    }
}
