//! `GET|HEAD|PUT /v1/etl/_object/<etl>/<secret>/<PathEscape(uname)>`: the endpoint container
//! transformers reach through `AIS_TARGET_URL` (reading an object back, direct put of an
//! output). The per-ETL secret is its only authorisation; otherwise it is the object API
//! (a request for an object another target owns is redirected there, same path: the secret
//! is the same on every target).

use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

use super::etl::parse_uname;
use super::objects::Routed;
use super::{get, objects, Tg};
use crate::api::QueryMap;
use crate::error::ApiError;

/// Serves one `_object` request after checking the ETL's secret.
pub(super) async fn etl_object(
    State(tg): State<Tg>,
    method: Method,
    Path((etl, secret, uname)): Path<(String, String, String)>,
    Query(q): Query<QueryMap>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let known = tg.meta().is_some_and(|meta| {
        meta.etl
            .etls
            .get(&etl)
            .is_some_and(|e| !e.secret.is_empty() && e.secret == secret)
    });
    if !known {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!("{}: ETL {etl}: invalid secret", tg.name),
        ));
    }
    let (bucket, object) = parse_uname(&uname)?;
    if let Some(redirect) = objects::route(&tg, &method, &bucket, &object, &q, &uri).await? {
        return Ok(redirect);
    }
    let routed = Routed { bucket, object, q };
    match method {
        Method::GET => get::get_object(State(tg), routed, headers).await,
        Method::HEAD => objects::head_object(State(tg), routed).await,
        Method::PUT => objects::put_object(State(tg), routed, headers, body).await,
        other => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{}: {other} is not served on /v1/etl/_object", tg.name),
        )),
    }
}
