//! Which query parameters each endpoint takes, for both roles: a request naming any other is
//! refused with 400 naming it before its handler runs, so that nothing a client asks for is
//! silently ignored. Endpoints whose handlers check their own parameters (object requests,
//! bucket HEAD) are not in the tables.

use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::{self, QueryMap};
use crate::error::ApiError;

/// An endpoint's parameters (besides `provider`, `namespace`, `pid`, `utm`, which every one
/// takes), or `None` when its handler checks them itself.
pub(crate) type Table = fn(&Method, &str) -> Option<&'static [&'static str]>;

/// The gateway's endpoints.
pub(crate) fn gateway(method: &Method, route: &str) -> Option<&'static [&'static str]> {
    Some(match (method.as_str(), route) {
        // `prr`: ready once the primary is, which this gateway is whenever it answers.
        (_, "/v1/health") => &["prr"],
        (_, "/v1/daemon") => &["what"],
        ("GET", "/v1/cluster") => &["what"],
        // `frc`: only meaningful to `start`, which is refused.
        ("PUT", "/v1/cluster") => &["frc"],
        ("GET", "/v1/etl/{name}") => &["uuid"],
        ("POST", "/v1/buckets/{bucket}") => &["bck_to"],
        ("HEAD", _) | (_, "/v1/objects/{bucket}/{*object}") => return None,
        _ => &[],
    })
}

/// The target's endpoints.
pub(crate) fn target(method: &Method, route: &str) -> Option<&'static [&'static str]> {
    Some(match (method.as_str(), route) {
        (_, "/v1/health") => &["prr"],
        (_, "/v1/daemon") => &["what"],
        ("GET", "/v1/etl/{name}") => &["uuid"],
        // A transformer's reads and writes of objects: the object endpoints' own.
        (_, "/v1/etl/_object/{etl}/{secret}/{uname}") => return None,
        (_, "/v1/objects/{bucket}/{*object}") => return None,
        _ => &[],
    })
}

/// Request headers the reference defines that lode does not implement, with why: refused on
/// every endpoint rather than ignored.
const REFUSED_HEADERS: [(&str, &str); 4] = [
    (
        "ais-blob-download",
        "blob download is for remote buckets; read ais:// objects directly",
    ),
    (
        "ais-blob-chunk",
        "blob download is for remote buckets; read ais:// objects directly",
    ),
    (
        "ais-blob-workers",
        "blob download is for remote buckets; read ais:// objects directly",
    ),
    ("ais-inv-name", "bucket inventory listing is not supported"),
];

/// Middleware (a `route_layer`, so the matched route is known): refuse parameters the route's
/// table entry does not name, and the headers lode does not implement.
pub(crate) async fn check(State(table): State<Table>, req: Request, next: Next) -> Response {
    if let Some((name, why)) = REFUSED_HEADERS
        .iter()
        .find(|(name, _)| req.headers().contains_key(*name))
    {
        return ApiError::bad_request(format!("header {name}: {why}")).into_response();
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    if let (Some(route), Some(_)) = (route, req.uri().query()) {
        if let Some(allowed) = table(req.method(), &route) {
            let q = match Query::<QueryMap>::try_from_uri(req.uri()) {
                Ok(Query(q)) => q,
                Err(e) => return ApiError::bad_request(format!("query: {e}")).into_response(),
            };
            let what = format!("{} {route}", req.method());
            if let Err(e) = api::only_params(&q, &what, allowed) {
                return e.into_response();
            }
        }
    }
    next.run(req).await
}

/// Any path no route matches: 404 naming it (instead of an empty body). `/v1/reverse/...`
/// (reaching one node through the gateway: the SDK's `get_performance`, `get_node_log`) is
/// answered 400 as not supported.
pub(crate) async fn no_route(req: Request) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    if path.starts_with("/v1/reverse/") {
        return ApiError::bad_request(format!(
            "{method} {path}: reaching a node through the gateway (Ais-Node-Id) is not supported; \
             ask the node itself"
        ))
        .into_response();
    }
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        format!("no endpoint {method} {path}"),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_routes_check_their_own_and_others_take_what_they_name() {
        assert_eq!(
            gateway(&Method::GET, "/v1/objects/{bucket}/{*object}"),
            None
        );
        assert_eq!(gateway(&Method::HEAD, "/v1/buckets/{bucket}"), None);
        assert_eq!(
            gateway(&Method::POST, "/v1/buckets/{bucket}"),
            Some(&["bck_to"][..])
        );
        assert_eq!(
            gateway(&Method::DELETE, "/v1/buckets/{bucket}"),
            Some(&[][..])
        );
        assert_eq!(target(&Method::PUT, "/v1/objects/{bucket}/{*object}"), None);
        assert_eq!(target(&Method::GET, "/v1/buckets/{bucket}"), Some(&[][..]));
    }
}
