//! The HTTP surface: routes, the GraphQL handler that turns a bearer token
//! into the request's viewer, health checks, request ids, body limits.
//!
//! GraphQL over HTTP: `POST` with `application/json` or a multipart
//! upload (anything else is 415), `GET` for queries; the response is
//! `application/graphql-response+json` when `Accept` prefers it, otherwise
//! `application/json`. Every document passes [`crate::query_limits`] on
//! the blocking pool before the library parses or validates it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::ParseRequestError;
use async_graphql::parser::types::OperationType;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::context::RequestContext;
use crate::error::{AppError, InvalidRequest};
use crate::graphql::AppSchema;
use crate::policy::Scope;
use crate::query_limits::{self, Executed, Prechecked, QueryLimits};
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
    /// The document limits, checked before the schema sees a request.
    pub limits: Arc<QueryLimits>,
}

/// Every route of the server, with request ids, tracing and limits.
pub fn router(app: AppState, schema: AppSchema) -> Router {
    let limits = Arc::new(QueryLimits::from_config(&app.config));
    let state = ServerState {
        app,
        schema,
        limits,
    };
    let config = state.app.config.clone();
    let reset_page = crate::reset_page::router(state.app.clone());
    let metrics_state = state.app.clone();
    // No body-limit layer on /graphql: its refusal would not be the API's
    // error body. `read_request` refuses by `Content-Length` first and
    // stops reading at the limit of each kind of body.
    let router = Router::new()
        .route("/graphql", get(graphql_handler).post(graphql_handler))
        .route("/graphql/ws", get(crate::live::ws::subscribe))
        .route("/attachments/{id}", get(crate::attachments::http::download))
        .route("/invoices/{file}", get(crate::invoices::http::download))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .merge(reset_page);
    // Production serves the API alone: no IDE at `/`.
    let router = if config.production {
        router
    } else {
        router.merge(crate::playground::router())
    };
    // Without an address of their own, metrics are public outside
    // production only. Merged before the layers, which apply to the routes
    // (and the fallback) present when they are added.
    let router = if config.metrics_bind.is_none() && !config.production {
        router.merge(crate::monitoring::router(metrics_state))
    } else {
        router
    };
    let router = router.layer(CatchPanicLayer::custom(panic_response));
    let router = match cors(&config.cors_allowed_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    security_headers(router, &config.public_url)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // `operation`, `viewer` and `organisation` are recorded
                    // by the GraphQL handler once it knows them.
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %request_id,
                        operation = tracing::field::Empty,
                        viewer = tracing::field::Empty,
                        organisation = tracing::field::Empty,
                    )
                })
                // One line per request at the default level, inside its span:
                // the status and the latency, with the span's fields.
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// CORS for the allowed origins (`CORS_ALLOWED_ORIGINS`); none: no CORS
/// layer at all, so browsers keep other origins' pages out. A listed
/// origin may send GraphQL requests with a bearer token (no cookies are
/// involved, so no credentials mode) and read the request id and
/// `Retry-After`.
fn cors(origins: &[HeaderValue]) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// Headers every response carries: `X-Content-Type-Options: nosniff`, and
/// `Strict-Transport-Security` when the public URL is https (the server
/// then runs behind TLS, and browsers should never fall back to http).
/// No response names the server or its version.
fn security_headers(router: Router, public_url: &str) -> Router {
    use tower_http::set_header::SetResponseHeaderLayer;
    let router = router.layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ));
    let https = public_url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    if https {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        router
    }
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for the database: shorter than a request's
/// acquire timeout, so that a load balancer learns of an outage at once.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

/// Readiness: the database answers within [`READINESS_TIMEOUT`].
async fn readyz(State(state): State<ServerState>) -> Response {
    let ping = tokio::time::timeout(READINESS_TIMEOUT, state.app.db.ping()).await;
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
    let started = Instant::now();
    let media = ResponseMedia::negotiate(&headers);
    let mut observed = Observed::default();
    let (mut response, statements) = crate::db::count_statements(serve_graphql(
        &state,
        peer,
        &method,
        uri_query,
        &headers,
        body,
        media,
        &mut observed,
    ))
    .await;
    let operation = observed.operation_label();
    crate::monitoring::record_request(&operation, &observed.outcome, started.elapsed(), statements);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

/// What the metrics and the request's span learn of a GraphQL request
/// while it is served.
struct Observed {
    /// The operation's name as the request gives it, until labelled.
    name: Option<String>,
    /// Its bounded label, once the name is final.
    label: Option<String>,
    /// `ok` or the error code of the answer.
    outcome: String,
}

impl Default for Observed {
    fn default() -> Self {
        Self {
            name: None,
            label: None,
            outcome: "ok".to_owned(),
        }
    }
}

impl Observed {
    /// Fixes the operation's label and records it on the request's span.
    fn name_operation(&mut self, name: Option<String>) {
        let label = crate::monitoring::operation_label(name.as_deref());
        tracing::Span::current().record("operation", tracing::field::display(&label));
        self.label = Some(label);
    }

    fn operation_label(&mut self) -> String {
        if self.label.is_none() {
            let name = self.name.take();
            self.name_operation(name);
        }
        self.label.clone().unwrap_or_default()
    }

    /// Notes a refusal and passes it on.
    fn refused(&mut self, error: &AppError) {
        self.outcome = crate::monitoring::outcome_code(error.code());
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one HTTP request, taken apart by the extractors"
)]
async fn serve_graphql(
    state: &ServerState,
    peer: SocketAddr,
    method: &Method,
    uri_query: Option<String>,
    headers: &HeaderMap,
    body: axum::body::Body,
    media: ResponseMedia,
    observed: &mut Observed,
) -> Response {
    if method != Method::POST && !state.app.config.graphql_get {
        return AppError::InvalidRequest(InvalidRequest::PostOnly).into_response();
    }
    let mut request = match read_request(method, headers, uri_query, body).await {
        Ok(request) => request,
        Err(err) => {
            observed.refused(&err);
            return err.into_response();
        }
    };
    observed.name.clone_from(&request.operation_name);
    // The document's limits, on the blocking pool, before anything else
    // reads it: the library's parser and validation included.
    let (query, variables, checked) = query_limits::check_blocking(
        state.limits.clone(),
        std::mem::take(&mut request.query),
        std::mem::take(&mut request.variables),
        request.operation_name.clone(),
    )
    .await;
    request.query = query;
    request.variables = variables;
    let checked = match checked {
        Ok(checked) => checked,
        Err(mut error) => {
            crate::error::classify_executor_error(&mut error);
            observed.outcome = crate::monitoring::outcome_of(std::slice::from_ref(&error));
            return graphql_response(
                async_graphql::Response::from_errors(vec![error]),
                media,
                false,
            );
        }
    };
    // axum answers HEAD with the GET route: every method but POST is
    // queries only, so that no HEAD (or other) request can run a mutation.
    let operation =
        query_limits::operation_type(&checked.document, request.operation_name.as_deref());
    observed.name_operation(
        request
            .operation_name
            .clone()
            .or_else(|| query_limits::only_operation_name(&checked.document)),
    );
    if method != Method::POST && operation.is_some_and(|ty| ty != OperationType::Query) {
        let refusal = AppError::InvalidRequest(InvalidRequest::MutationOverGet);
        observed.refused(&refusal);
        return refusal.into_response();
    }
    let (viewer, viewer_locale) = match crate::auth::authenticate(&state.app, headers).await {
        Ok(Some(authenticated)) => (Some(authenticated.viewer), Some(authenticated.locale)),
        Ok(None) => (None, None),
        Err(_) if crate::auth::runs_without_token(&request) => (None, None),
        Err(err) => {
            observed.refused(&err);
            return err.response_in(crate::i18n::request_locale(None, headers));
        }
    };
    if let Some(viewer) = &viewer {
        let span = tracing::Span::current();
        span.record("viewer", viewer.user_id);
        span.record("organisation", viewer.organisation_id);
    }
    let locale = crate::i18n::request_locale(viewer_locale, headers);
    let scope = viewer.map(Scope::new);
    let executed = Executed::default();
    request.set_parsed_query(checked.document);
    let mut request = request
        .data(Prechecked {
            typenames: checked.typenames,
        })
        .data(executed.clone())
        .data(RequestContext {
            state: state.app.clone(),
            scope: scope.clone(),
            client_addr: client_address(peer.ip(), headers, &state.app.config.trusted_proxies)
                .to_string(),
            locale,
        });
    if let Some(scope) = scope {
        let caching = if operation == Some(OperationType::Query) {
            crate::loaders::Caching::Query
        } else {
            crate::loaders::Caching::Off
        };
        request = crate::loaders::register(request, &state.app, scope, caching);
    }
    let text = crate::input_paths::RequestText::of(&request);
    let mut response = state.schema.execute(request).await;
    crate::error::finish_response(&mut response, &text, locale);
    observed.outcome = crate::monitoring::outcome_of(&response.errors);
    graphql_response(response, media, executed.get())
}

/// The media type of a GraphQL response, from the request's `Accept`
/// (GraphQL over HTTP): `application/graphql-response+json` when the client
/// prefers it, else `application/json` (also for a missing `Accept` or one
/// that names neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMedia {
    Json,
    GraphqlResponseJson,
}

impl ResponseMedia {
    const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

    pub fn negotiate(headers: &HeaderMap) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for range in headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let mut parts = range.split(';');
            let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let media = match essence.as_str() {
                Self::GRAPHQL_RESPONSE_JSON => Self::GraphqlResponseJson,
                "application/json" | "application/*" | "*/*" => Self::Json,
                _ => continue,
            };
            if quality <= 0.0 {
                continue;
            }
            // Equal preference: the GraphQL media type, which says more.
            let better = match best {
                None => true,
                Some((q, current)) => {
                    quality > q
                        || (quality == q
                            && media == Self::GraphqlResponseJson
                            && current == Self::Json)
                }
            };
            if better {
                best = Some((quality, media));
            }
        }
        best.map_or(Self::Json, |(_, media)| media)
    }

    fn content_type(self) -> HeaderValue {
        match self {
            Self::Json => HeaderValue::from_static("application/json"),
            Self::GraphqlResponseJson => HeaderValue::from_static(Self::GRAPHQL_RESPONSE_JSON),
        }
    }
}

/// A GraphQL response as GraphQL over HTTP shapes it. A request error (the
/// operation never started: parse, validation, a limit) has no `data`
/// entry; under `application/graphql-response+json` it is a 400, under
/// `application/json` a 200 like every other GraphQL response.
fn graphql_response(
    response: async_graphql::Response,
    media: ResponseMedia,
    executed: bool,
) -> Response {
    let mut body = serde_json::Map::new();
    if executed {
        match serde_json::to_value(&response.data) {
            Ok(data) => {
                body.insert("data".to_owned(), data);
            }
            Err(e) => return AppError::internal(e).into_response(),
        }
    }
    if !response.errors.is_empty() {
        match serde_json::to_value(&response.errors) {
            Ok(errors) => {
                body.insert("errors".to_owned(), errors);
            }
            Err(e) => return AppError::internal(e).into_response(),
        }
    }
    if !response.extensions.is_empty() {
        match serde_json::to_value(&response.extensions) {
            Ok(extensions) => {
                body.insert("extensions".to_owned(), extensions);
            }
            Err(e) => return AppError::internal(e).into_response(),
        }
    }
    let unavailable = response.errors.iter().any(|error| {
        error.extensions.as_ref().and_then(|e| e.get("code"))
            == Some(&async_graphql::Value::from("SERVICE_UNAVAILABLE"))
    });
    // The database out of reach is the server's state, not the request's:
    // 503 under either media type, so that clients and proxies retry.
    let status = if unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else if !executed && media == ResponseMedia::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut http = (status, axum::Json(serde_json::Value::Object(body))).into_response();
    if response.is_ok()
        && let Some(value) = response.cache_control.value()
        && let Ok(value) = HeaderValue::from_str(&value)
    {
        http.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    http.headers_mut().extend(response.http_headers);
    http
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

/// Reads a GraphQL request: from the query string for GET (and every
/// method but POST); for POST from an `application/json` body (≤ 1 MiB) or
/// a multipart upload (GraphQL multipart request spec, ≤ 12 MiB, see
/// [`crate::multipart`]). A body over its limit is refused by its
/// `Content-Length` before any of it is read, or as soon as the limit is
/// passed.
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
    let content_type = RequestMedia::of(headers)?;
    let limit = match content_type {
        RequestMedia::Json => MAX_BODY_BYTES,
        RequestMedia::Multipart { .. } => MAX_UPLOAD_REQUEST_BYTES,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(AppError::InvalidRequest(InvalidRequest::TooLarge));
    }
    match content_type {
        RequestMedia::Json => {
            let bytes = axum::body::to_bytes(body, limit)
                .await
                .map_err(|_| AppError::InvalidRequest(InvalidRequest::TooLarge))?;
            parse_json_request(&bytes)
        }
        RequestMedia::Multipart { boundary } => crate::multipart::read(&boundary, body).await,
    }
}

/// The two request bodies `POST /graphql` takes.
enum RequestMedia {
    Json,
    Multipart { boundary: String },
}

impl RequestMedia {
    /// From `Content-Type`: `application/json` (UTF-8, the only charset
    /// JSON has) or `multipart/form-data` with its boundary; anything else,
    /// or none, is 415.
    fn of(headers: &HeaderMap) -> Result<Self, AppError> {
        let unsupported = || AppError::InvalidRequest(InvalidRequest::UnsupportedMediaType);
        let value = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unsupported)?;
        let mut parts = value.split(';');
        let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let mut params = parts.filter_map(|p| {
            let (name, value) = p.split_once('=')?;
            Some((
                name.trim().to_ascii_lowercase(),
                value.trim().trim_matches('"').to_owned(),
            ))
        });
        match essence.as_str() {
            "application/json" => {
                let charset_ok = params
                    .all(|(name, value)| name != "charset" || value.eq_ignore_ascii_case("utf-8"));
                if charset_ok {
                    Ok(Self::Json)
                } else {
                    Err(unsupported())
                }
            }
            "multipart/form-data" => params
                .find(|(name, _)| name == "boundary")
                .map(|(_, boundary)| Self::Multipart { boundary })
                .ok_or_else(|| {
                    AppError::InvalidRequest(InvalidRequest::Malformed(
                        "a multipart request needs a boundary".to_owned(),
                    ))
                }),
            _ => Err(unsupported()),
        }
    }
}

/// A GraphQL request from a JSON body: one object with a string `query`
/// and optional `operationName`, `variables` and `extensions`. A batch (an
/// array) is refused.
pub(crate) fn parse_json_request(bytes: &[u8]) -> Result<async_graphql::Request, AppError> {
    let malformed = |m: &str| AppError::InvalidRequest(InvalidRequest::Malformed(m.to_owned()));
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        malformed(&format!(
            "invalid GraphQL request: the body is not JSON: {e}"
        ))
    })?;
    let mut object = match value {
        serde_json::Value::Object(object) => object,
        serde_json::Value::Array(_) => return Err(malformed("batched requests are not supported")),
        _ => {
            return Err(malformed(
                "invalid GraphQL request: the body must be a JSON object",
            ));
        }
    };
    if !object
        .get("query")
        .is_some_and(serde_json::Value::is_string)
    {
        return Err(malformed(
            "invalid GraphQL request: `query` must be a string",
        ));
    }
    for (key, object_or_null) in [("variables", true), ("extensions", true)] {
        match object.get(key) {
            Some(serde_json::Value::Null) => {
                object.remove(key);
            }
            Some(serde_json::Value::Object(_)) | None => {}
            Some(_) if object_or_null => {
                return Err(malformed(&format!(
                    "invalid GraphQL request: `{key}` must be an object"
                )));
            }
            Some(_) => {}
        }
    }
    match object.get("operationName") {
        Some(serde_json::Value::Null) => {
            object.remove("operationName");
        }
        Some(serde_json::Value::String(_)) | None => {}
        Some(_) => {
            return Err(malformed(
                "invalid GraphQL request: `operationName` must be a string",
            ));
        }
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| malformed(&format!("invalid GraphQL request: {e}")))
}

/// Why a query string is not a GraphQL request, in the client's terms.
fn invalid_request(err: ParseRequestError) -> AppError {
    AppError::InvalidRequest(match err {
        ParseRequestError::PayloadTooLarge => InvalidRequest::TooLarge,
        ParseRequestError::InvalidRequest(e) => {
            InvalidRequest::Malformed(format!("invalid GraphQL request: {e}"))
        }
        ParseRequestError::UnsupportedBatch => {
            InvalidRequest::Malformed("batched requests are not supported".to_owned())
        }
        _ => InvalidRequest::Malformed("malformed GraphQL request".to_owned()),
    })
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
