//! Gateway object endpoint: every object call is redirected to the object's HRW target without
//! reading its body (301 for GET, 307 for everything else, which keeps the body).

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Gw;
use crate::api::{self, QueryMap};
use crate::error::ApiError;

pub(super) async fn redirect(
    State(gw): State<Gw>,
    method: Method,
    Path((bucket, object)): Path<(String, String)>,
    Query(q): Query<QueryMap>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    api::check_provider(&q)?;
    let meta = gw.meta();
    if !meta.bmd.buckets.contains_key(&bucket) {
        return Err(ApiError::bucket_not_found(&bucket));
    }
    api::check_object_name(&object)?;
    if let (Some(name), true) = (q.get("etl_name"), q.contains_key("object_to")) {
        if !meta.etl.etls.contains_key(name) {
            return Err(ApiError::etl_not_found(&gw.name, name));
        }
    }
    let target = meta.smap.owner(&bucket, &object).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}: no targets in the cluster map", gw.name),
        )
    })?;
    let utm = lode_store::now_ns();
    let sep = match uri.query() {
        Some(q) if !q.is_empty() => format!("?{q}&"),
        _ => "?".to_owned(),
    };
    let location = format!("{}{}{sep}pid={}&utm={utm}", target.url(), uri.path(), gw.id);
    let status = if method == Method::GET {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::TEMPORARY_REDIRECT
    };
    let value =
        HeaderValue::from_str(&location).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut resp = (status, [(header::LOCATION, value)]).into_response();
    if has_body(&method) {
        // The body was not read: a pooled client must not reuse this connection.
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(resp)
}

/// Whether requests of `method` carry a body the redirect leaves unread.
pub(crate) fn has_body(method: &Method) -> bool {
    matches!(*method, Method::PUT | Method::POST | Method::PATCH)
}
