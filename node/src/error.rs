//! Errors: [`NodeError`] for starting and running a daemon, and `ApiError`, the one place where
//! failures become HTTP statuses and AIStore's error texts (which the Python SDK classifies).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lode_etl::EtlError;
use lode_store::StoreError;

/// Why a daemon could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// Filesystem trouble, with what was being done.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// A persisted document that cannot be read.
    #[error("corrupt {0}: {1}")]
    Corrupt(String, String),
    /// The object store refused to open.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Configuration that cannot work (e.g. a target of another cluster).
    #[error("{0}")]
    Config(String),
}

/// An error answer: status and AIS message text. Rendered by [`render_errors`].
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
    /// AIS's default status for deterministic failures.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
    pub(crate) fn bucket_not_found(bucket: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("bucket \"ais://{bucket}\" does not exist"),
        )
    }
    pub(crate) fn bucket_exists(bucket: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            format!("bucket \"ais://{bucket}\" already exists"),
        )
    }
    pub(crate) fn object_not_found(node: &str, bucket: &str, object: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("{node}: ais://{bucket}/{object} does not exist"),
        )
    }
    /// AIS's missing-ETL text (the SDK keys `ErrETLNotFound` on `etl job`).
    pub(crate) fn etl_not_found(node: &str, name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("{node}: etl job {name} does not exist"),
        )
    }
    /// Map an ETL error; `gateway_url` goes into the hint for an ETL not running on a target.
    /// Transform failures are 400: deterministic, so the SDK must not retry them; a transient
    /// one (the transformer's connection broke) is 503.
    pub(crate) fn from_etl(node: &str, gateway_url: &str, err: EtlError) -> Self {
        match err {
            EtlError::NotFound(name) => Self::new(
                StatusCode::NOT_FOUND,
                format!("{node}: {name} does not exist - try starting new ETL with \"{gateway_url}/v1/etl/init\" endpoint"),
            ),
            e @ EtlError::Host(_) => Self::internal(format!("{node}: {e}")),
            e @ EtlError::Unavailable { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{node}: {e}"),
            ),
            e => Self::bad_request(format!("{node}: {e}")),
        }
    }
    /// Map a store error; `node` is the printable node name, e.g. `t[t1]`.
    pub(crate) fn from_store(node: &str, err: StoreError) -> Self {
        match err {
            StoreError::NotFound { bucket, name } => Self::object_not_found(node, &bucket, &name),
            StoreError::InvalidName(msg) => Self::bad_request(msg),
            // A 4xx: the SDK retries 5xx GETs for a minute and a half.
            e @ StoreError::ChecksumMismatch { .. } => Self::bad_request(format!("{node}: {e}")),
            e @ (StoreError::BadAppendHandle { .. } | StoreError::BadUpload(_)) => {
                Self::bad_request(format!("{node}: {e}"))
            }
            e @ StoreError::NoSuchUpload { .. } => {
                Self::new(StatusCode::NOT_FOUND, format!("{node}: {e}"))
            }
            // 507 as AIS answers a full mountpath; the path in the context names it.
            e if e.is_out_of_space() => Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!("{node}: mountpath out of space: {e}"),
            ),
            e => Self::internal(format!("{node}: {e}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Middleware: turn an [`ApiError`] left in a response into AIS's `cmn.ErrHTTP` JSON, in the body,
/// or for HEAD (which has no body) in the `Hdr-Error` header.
pub(crate) async fn render_errors(
    State(node): State<String>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut resp = next.run(req).await;
    let Some(err) = resp.extensions_mut().remove::<ApiError>() else {
        return resp;
    };
    let body = serde_json::json!({
        "message": err.message,
        "method": method.as_str(),
        "url_path": path,
        "node": node,
        "status": err.status.as_u16(),
    })
    .to_string();
    tracing::debug!(%method, %path, status = err.status.as_u16(), message = %err.message, "error");
    if method == Method::HEAD {
        let mut out = err.status.into_response();
        if let Ok(v) = HeaderValue::from_bytes(body.as_bytes()) {
            out.headers_mut().insert("Hdr-Error", v);
        }
        return out;
    }
    let mut out = (err.status, body).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (k, v) in resp.headers() {
        if k == header::CONTENT_RANGE {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}
