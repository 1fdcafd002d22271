//! The HTTP surface: routes, the GraphQL handler that turns a bearer token
//! into the request's viewer, health checks, request ids, body limits.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_graphql::ParseRequestError;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::GraphQLResponse;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::context::RequestContext;
use crate::error::{AppError, InvalidRequest};
use crate::graphql::AppSchema;
use crate::policy::Scope;
use crate::state::AppState;

/// Largest accepted GraphQL request body (SPEC §4).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest accepted multipart request (uploads). Files up to 10 MiB are
/// accepted; the margin lets a file just over the limit reach the
/// resolver, which refuses it naming its field.
pub const MAX_UPLOAD_REQUEST_BYTES: usize = 12 * 1024 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the handlers share.
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub schema: AppSchema,
}

/// Every route of the server, with request ids, tracing and limits.
pub fn router(app: AppState, schema: AppSchema) -> Router {
    let state = ServerState { app, schema };
    let graphql = Router::new()
        .route("/graphql", get(graphql_handler).post(graphql_handler))
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_REQUEST_BYTES));
    Router::new()
        .merge(graphql)
        .route("/attachments/{id}", get(crate::attachments::http::download))
        .route("/invoices/{file}", get(crate::invoices::http::download))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .merge(crate::playground::router())
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
async fn readyz(State(state): State<ServerState>) -> Response {
    let ping = tokio::time::timeout(Duration::from_secs(3), state.app.db.ping()).await;
    match ping {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timeout").into_response(),
    }
}

/// `GET` and `POST /graphql`. GET may carry queries only (GraphQL over HTTP).
async fn graphql_handler(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    axum::extract::RawQuery(uri_query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let request = match read_request(&method, &headers, uri_query, body).await {
        Ok(request) => request,
        Err(err) => return err.into_response(),
    };
    // axum answers HEAD with the GET route: every method but POST is
    // queries only, so that no HEAD (or other) request can run a mutation.
    if method != Method::POST && is_mutation(&request) {
        return AppError::InvalidRequest(InvalidRequest::MutationOverGet).into_response();
    }
    let (user, viewer) = match crate::auth::authenticate(&state.app, &headers).await {
        Ok(Some((user, viewer))) => (Some(user), Some(viewer)),
        Ok(None) => (None, None),
        Err(err) => return err.into_response(),
    };
    let scope = viewer.map(Scope::new);
    let mut request = request.data(RequestContext {
        state: state.app.clone(),
        scope: scope.clone(),
        user,
        client_addr: client_address(peer.ip(), &headers, &state.app.config.trusted_proxies)
            .to_string(),
    });
    if let Some(scope) = scope {
        request = crate::loaders::register(request, &state.app, scope);
    }
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        crate::error::classify_executor_error(error);
    }
    GraphQLResponse::from(response).into_response()
}

/// The client's address: the peer, unless the peer is a trusted proxy; then
/// the nearest address of `X-Forwarded-For` that is not a trusted proxy
/// (the entries further left are the client's own claims).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

/// Reads a GraphQL request: from the query string for GET; from a JSON
/// body (≤ 1 MiB) or a multipart upload (GraphQL multipart request spec,
/// ≤ 12 MiB, two files at most) for POST.
async fn read_request(
    method: &Method,
    headers: &HeaderMap,
    query: Option<String>,
    body: axum::body::Body,
) -> Result<async_graphql::Request, AppError> {
    if method != Method::POST {
        return async_graphql::http::parse_query_string(query.as_deref().unwrap_or_default())
            .map_err(invalid_request);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let multipart = content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    let limit = if multipart {
        MAX_UPLOAD_REQUEST_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::InvalidRequest(InvalidRequest::TooLarge))?;
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(MAX_UPLOAD_REQUEST_BYTES)
        .max_num_files(2);
    async_graphql::http::receive_body(content_type, bytes.as_ref(), options)
        .await
        .map_err(invalid_request)
}

/// Why a body or query string is not a GraphQL request, in the client's
/// terms; a multipart upload over the limit is too large, not malformed.
fn invalid_request(err: ParseRequestError) -> AppError {
    AppError::InvalidRequest(match err {
        ParseRequestError::PayloadTooLarge => InvalidRequest::TooLarge,
        ParseRequestError::Io(e) if e.to_string().contains("length limit") => {
            InvalidRequest::TooLarge
        }
        ParseRequestError::InvalidRequest(e) => {
            InvalidRequest::Malformed(format!("invalid GraphQL request: {e}"))
        }
        ParseRequestError::UnsupportedBatch => {
            InvalidRequest::Malformed("batched requests are not supported".to_owned())
        }
        _ => InvalidRequest::Malformed("malformed GraphQL request".to_owned()),
    })
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match &request.operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str()))
            .map(|(_, op)| op),
        None => document.operations.iter().next().map(|(_, op)| op),
    };
    operation.is_some_and(|op| op.node.ty != OperationType::Query)
}

/// A panic in a handler: an internal error like any other, logged with
/// what the panic said.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text payload".to_owned());
    AppError::internal(anyhow::anyhow!("handler panicked: {what}")).into_response()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let peer: IpAddr = "192.0.2.7".parse().expect("ip");
        let headers = forwarded("198.51.100.1, 203.0.113.9");
        assert_eq!(
            client_address(peer, &headers, &[proxy]),
            peer,
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            client_address(proxy, &headers, &[proxy]),
            "203.0.113.9".parse::<IpAddr>().expect("ip"),
            "the nearest untrusted hop; entries further left are the client's claims"
        );
        assert_eq!(client_address(proxy, &HeaderMap::new(), &[proxy]), proxy);
        assert_eq!(
            client_address(proxy, &forwarded("garbage"), &[proxy]),
            proxy
        );
    }
}
