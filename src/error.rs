//! The one error type of the API, and the one place that turns it into
//! what a client sees.
//!
//! Every resolver, service and HTTP handler returns [`AppError`]. Its
//! `extensions.code`, its HTTP status and its error body are set here and
//! nowhere else: a GraphQL error through `From<AppError> for
//! async_graphql::Error`, a response of its own (a refused request, a
//! failed download) through [`IntoResponse`]. Both log an `Internal` error
//! with its cause; the log line carries the request id through the
//! request's tracing span, and the client gets a generic message.
//!
//! Invalid input is reported field by field: domain `parse()`s fail with
//! [`Invalid`], and a [`FieldErrors`] collects them under their fields.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::ErrorExtensions as _;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entity::enums::Locale;

/// What went wrong, in the terms the API promises (SPEC §4).
///
/// Deliberately not `Display`: async-graphql turns any `Display` type into
/// an error without extensions, and every error must carry its code. The
/// conversion below is the only way out to a client.
#[derive(Debug, Clone)]
pub enum AppError {
    /// No credentials: the request sent no token and needs one.
    Unauthenticated,
    /// A token was sent and refused; `extensions.reason` says why.
    TokenRefused(TokenFailure),
    /// A failed login: the same answer for an unknown email, a wrong
    /// password and a deactivated account.
    BadCredentials,
    /// The viewer sees the object but its role may not perform the action.
    Forbidden(String),
    /// Absent, or outside the viewer's scope (indistinguishable on purpose).
    NotFound(&'static str),
    /// Bad input; one entry per offending field, all reported at once.
    Validation(Vec<FieldError>),
    /// The change collides with the current state (unique key, concurrent update).
    Conflict(String),
    /// Too many attempts; retry after the given number of seconds.
    RateLimited { retry_after_secs: u64 },
    /// The database cannot be reached (down, restarting, or no connection
    /// free within `DATABASE_ACQUIRE_TIMEOUT`): HTTP 503, worth retrying.
    /// Logged with its cause as a warning, shown as a generic message.
    Unavailable(Arc<anyhow::Error>),
    /// The HTTP request is not one the server takes as a GraphQL request.
    /// VALIDATION with a message; the HTTP status says which case it is.
    InvalidRequest(InvalidRequest),
    /// Anything else. Logged with its cause, shown as a generic message.
    Internal(Arc<anyhow::Error>),
}

/// Why a sent access token was refused, so that a UI can say "your login
/// expired" rather than "something is wrong".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFailure {
    /// Its lifetime is over: log in again.
    Expired,
    /// Revoked: the password was reset or changed, or the user was
    /// deactivated or moved.
    Revoked,
    /// Not a token of this server (malformed, bad signature, wrong issuer
    /// or audience, not yet valid).
    Invalid,
}

impl TokenFailure {
    /// `extensions.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
            Self::Invalid => "INVALID",
        }
    }
}

/// Why an HTTP request was refused before any GraphQL ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidRequest {
    /// Not a GraphQL request: the message says why. HTTP 400.
    Malformed(String),
    /// The body is over its limit (SPEC §4). HTTP 413.
    TooLarge,
    /// A mutation sent with GET (GraphQL over HTTP). HTTP 405, `Allow: POST`.
    MutationOverGet,
    /// A GET (or any method but POST) where the server takes POST only
    /// (production mode without `GRAPHQL_GET`). HTTP 405, `Allow: POST`.
    PostOnly,
    /// A POST body that is neither JSON nor a multipart upload, or has no
    /// content type. HTTP 415.
    UnsupportedMediaType,
}

/// One invalid input field: its path in the input (e.g. `input.postalCode`),
/// why it is invalid (`reason` with its `params`, for a client to word in
/// its own language) and a message a user can act on (English; the
/// response is worded in the request's language by [`crate::i18n`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: Reason,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub message: String,
}

/// Why an input value is invalid: `extensions.fields[].reason`, stable and
/// machine-readable, with the parameters of `extensions.fields[].params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// Empty or missing.
    Required,
    /// Longer than `max` characters.
    TooLong,
    /// Shorter than `min` characters.
    TooShort,
    /// Not of the expected shape (an email, a phone number, a date, an
    /// id); `example`, when present, shows a valid value.
    InvalidFormat,
    /// A number or a date outside what is allowed (`min`, `max` when they
    /// are fixed).
    OutOfRange,
    /// Well-formed, but refused by a rule (a role, a combination of fields,
    /// a step the input has no place for).
    NotAllowed,
    /// Already used by another record.
    Taken,
    /// A file over `maxBytes` bytes.
    TooLarge,
    /// A link's token that is unknown, used or expired.
    Expired,
}

impl Reason {
    /// The name a client reads in `reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "REQUIRED",
            Self::TooLong => "TOO_LONG",
            Self::TooShort => "TOO_SHORT",
            Self::InvalidFormat => "INVALID_FORMAT",
            Self::OutOfRange => "OUT_OF_RANGE",
            Self::NotAllowed => "NOT_ALLOWED",
            Self::Taken => "TAKEN",
            Self::TooLarge => "TOO_LARGE",
            Self::Expired => "EXPIRED",
        }
    }

    /// The reason named `name`, as [`as_str`](Self::as_str) writes it.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Required,
            Self::TooLong,
            Self::TooShort,
            Self::InvalidFormat,
            Self::OutOfRange,
            Self::NotAllowed,
            Self::Taken,
            Self::TooLarge,
            Self::Expired,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == name)
    }
}

/// Shorthand for results of services and resolvers.
pub type AppResult<T> = Result<T, AppError>;

/// Why one input value is invalid: a [`Reason`] with its parameters, and
/// words a user can act on (`must not be empty`). The one error type of
/// every domain `parse()`: it names no field, because the same value is a
/// different field in different inputs; a [`FieldErrors`] puts it under its
/// field. Every constructor names its reason, so that no error leaves
/// without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    reason: Reason,
    params: serde_json::Map<String, serde_json::Value>,
    message: Cow<'static, str>,
}

impl Invalid {
    fn with(reason: Reason, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason,
            params: serde_json::Map::new(),
            message: message.into(),
        }
    }

    /// REQUIRED: empty, blank or missing.
    pub fn required() -> Self {
        Self::with(Reason::Required, "must not be empty")
    }

    /// REQUIRED, worded for the case (`is required`).
    pub fn required_because(message: impl Into<Cow<'static, str>>) -> Self {
        Self::with(Reason::Required, message)
    }

    /// TOO_LONG: more than `max` characters.
    pub fn too_long(max: usize) -> Self {
        Self::with(Reason::TooLong, format!("must be at most {max} characters")).param("max", max)
    }

    /// TOO_SHORT: fewer than `min` characters.
    pub fn too_short(min: usize) -> Self {
        Self::with(
            Reason::TooShort,
            format!("must be at least {min} characters long"),
        )
        .param("min", min)
    }

    /// INVALID_FORMAT: not of the expected shape.
    pub fn format(message: impl Into<Cow<'static, str>>) -> Self {
        Self::with(Reason::InvalidFormat, message)
    }

    /// INVALID_FORMAT with a valid `example`.
    pub fn format_like(message: impl Into<Cow<'static, str>>, example: &'static str) -> Self {
        Self::format(message).param("example", example)
    }

    /// OUT_OF_RANGE: a number or a date outside what is allowed.
    pub fn out_of_range(message: impl Into<Cow<'static, str>>) -> Self {
        Self::with(Reason::OutOfRange, message)
    }

    /// NOT_ALLOWED: well-formed, but refused by a rule.
    pub fn not_allowed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::with(Reason::NotAllowed, message)
    }

    /// TAKEN: already used by another record.
    pub fn taken(message: impl Into<Cow<'static, str>>) -> Self {
        Self::with(Reason::Taken, message)
    }

    /// TOO_LARGE: a file over `max_bytes`.
    pub fn too_large(message: impl Into<Cow<'static, str>>, max_bytes: u64) -> Self {
        Self::with(Reason::TooLarge, message).param("maxBytes", max_bytes)
    }

    /// EXPIRED: a link's token that is unknown, used or expired.
    pub fn expired(message: impl Into<Cow<'static, str>>) -> Self {
        Self::with(Reason::Expired, message)
    }

    /// Adds a parameter of the reason (`max`, `min`, `example`).
    #[must_use]
    pub fn param(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    pub fn reason(&self) -> Reason {
        self.reason
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Collects the invalid fields of one input, so that every one of them is
/// reported at once, in the order they were checked.
///
/// ```
/// use partnerdesk::domain::{BasisPoints, Cents};
/// use partnerdesk::error::{AppError, FieldErrors};
///
/// let mut errors = FieldErrors::new();
/// let price = errors.check("input.price", Cents::parse_price(-1));
/// let vat = errors.check("input.vat", BasisPoints::parse(810));
/// assert!(price.is_none() && vat.is_some());
/// let Err(AppError::Validation(fields)) = errors.finish(()) else { panic!() };
/// assert_eq!(fields[0].field, "input.price");
/// ```
#[derive(Debug, Default)]
#[must_use = "the errors are reported by `finish`"]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `result`, or `None` with its error recorded under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.add(field, invalid);
                None
            }
        }
    }

    /// Records an error found by a rule over several values or the database
    /// (a taken name), rather than by a `parse()`.
    pub fn add(&mut self, field: &str, invalid: Invalid) {
        self.0.push(FieldError {
            field: field.to_owned(),
            reason: invalid.reason,
            params: invalid.params,
            message: invalid.message.into_owned(),
        });
    }

    /// The value of a check that reports through [`AppError`] (a service's
    /// own validation, such as an upload's): its VALIDATION fields are
    /// recorded here and `None` returned; any other error is returned as it
    /// is.
    pub fn collect<T>(&mut self, result: AppResult<T>) -> AppResult<Option<T>> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(AppError::Validation(errors)) if !errors.is_empty() => {
                self.0.extend(errors);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` when nothing was recorded, else VALIDATION naming every
    /// recorded field.
    pub fn finish<T>(self, value: T) -> AppResult<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(AppError::Validation(self.0))
        }
    }

    /// The VALIDATION error of what was recorded, for the branch where a
    /// checked value is missing. [`check`](Self::check) returns `None` only
    /// after recording, so an empty list here is a bug, reported as one.
    pub fn into_error(self) -> AppError {
        if self.0.is_empty() {
            AppError::internal(anyhow::anyhow!(
                "a checked value is missing but no field error was recorded"
            ))
        } else {
            AppError::Validation(self.0)
        }
    }
}

impl AppError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    /// VALIDATION of one field: the shorthand of a [`FieldErrors`] that
    /// recorded `invalid` alone.
    pub fn validation(field: &str, invalid: Invalid) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, invalid);
        errors.into_error()
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    /// INTERNAL, or SERVICE_UNAVAILABLE when the cause is the database
    /// being out of reach ([`is_database_unreachable`]): every path that
    /// turns a database error into an `AppError` goes through here.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        if is_database_unreachable(&cause) {
            Self::Unavailable(Arc::new(cause))
        } else {
            Self::Internal(Arc::new(cause))
        }
    }

    /// The stable machine-readable code of `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::TokenRefused(_) | Self::BadCredentials => {
                "UNAUTHENTICATED"
            }
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Validation(_) | Self::InvalidRequest(_) => "VALIDATION",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client sees. Never the cause of an internal error.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => crate::i18n::unauthenticated(Locale::En, None).to_owned(),
            Self::TokenRefused(failure) => {
                crate::i18n::unauthenticated(Locale::En, Some(failure.as_str())).to_owned()
            }
            Self::BadCredentials => {
                crate::i18n::unauthenticated(Locale::En, Some("BAD_CREDENTIALS")).to_owned()
            }
            Self::Forbidden(message) | Self::Conflict(message) => message.clone(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::Validation(errors) => {
                let parts: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect();
                format!("invalid input: {}", parts.join("; "))
            }
            Self::RateLimited { retry_after_secs } => {
                format!("too many attempts, retry in {retry_after_secs} s")
            }
            Self::InvalidRequest(InvalidRequest::Malformed(message)) => message.clone(),
            Self::InvalidRequest(InvalidRequest::TooLarge) => "request body too large".to_owned(),
            Self::InvalidRequest(InvalidRequest::MutationOverGet) => {
                "mutations must be sent with POST".to_owned()
            }
            Self::InvalidRequest(InvalidRequest::PostOnly) => {
                "GraphQL requests must be sent with POST".to_owned()
            }
            Self::InvalidRequest(InvalidRequest::UnsupportedMediaType) => {
                "a GraphQL request is sent as application/json or multipart/form-data".to_owned()
            }
            Self::Unavailable(_) => "service temporarily unavailable, retry shortly".to_owned(),
            Self::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The HTTP status of a response that is this error alone.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::TokenRefused(_) | Self::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Validation(_) | Self::InvalidRequest(InvalidRequest::Malformed(_)) => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidRequest(InvalidRequest::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidRequest(InvalidRequest::MutationOverGet | InvalidRequest::PostOnly) => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            Self::InvalidRequest(InvalidRequest::UnsupportedMediaType) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// `extensions` of the error as a client sees it: `code`; `field` with
    /// `fields` (each with its `reason` and `params`) for VALIDATION,
    /// `reason` for a refused token or login, `retryAfter` for
    /// RATE_LIMITED.
    fn extensions(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut extensions = serde_json::Map::new();
        extensions.insert("code".to_owned(), self.code().into());
        match self {
            Self::Validation(errors) => {
                if let Some(first) = errors.first() {
                    extensions.insert("field".to_owned(), first.field.clone().into());
                }
                let fields = errors
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "field": e.field,
                            "reason": e.reason,
                            "params": e.params,
                            "message": e.message,
                        })
                    })
                    .collect();
                extensions.insert("fields".to_owned(), serde_json::Value::Array(fields));
            }
            Self::RateLimited { retry_after_secs } => {
                extensions.insert("retryAfter".to_owned(), (*retry_after_secs).into());
            }
            Self::TokenRefused(failure) => {
                extensions.insert("reason".to_owned(), failure.as_str().into());
            }
            Self::BadCredentials => {
                extensions.insert("reason".to_owned(), "BAD_CREDENTIALS".into());
            }
            _ => {}
        }
        extensions
    }

    /// Logs an internal error with its cause, once, as it leaves for a
    /// client. The request span carries the request id, so the line can be
    /// matched with the client's `x-request-id`.
    fn log(&self) {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Self::Unavailable(cause) => {
                tracing::warn!(error = %one_line(cause), "database unavailable");
            }
            _ => {}
        }
    }
}

fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}").replace('\n', " ")
}

/// Whether `cause` is the database being out of reach rather than a bug
/// or a refused statement: no connection within the acquire timeout, a
/// connection refused, reset or closed mid-statement, or a server shutting
/// down, starting up or in recovery (SQLSTATE classes 08 and 57P). A client
/// may retry such a request once the database is back.
pub fn is_database_unreachable(cause: &anyhow::Error) -> bool {
    use sea_orm::sqlx;
    cause.chain().any(|source| {
        if let Some(err) = source.downcast_ref::<sea_orm::DbErr>() {
            match err {
                sea_orm::DbErr::ConnectionAcquire(_) => return true,
                sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))
                | sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
                | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => {
                    return sqlx_unreachable(e);
                }
                _ => {}
            }
        }
        source
            .downcast_ref::<sqlx::Error>()
            .is_some_and(sqlx_unreachable)
    })
}

fn sqlx_unreachable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed => true,
        Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 57P01-57P05: the server is shutting
            // down, crashed, starting up or lost its connection.
            code.starts_with("08") || code.starts_with("57P")
        }),
        _ => false,
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::internal(err)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            for (name, value) in err.extensions() {
                ext.set(
                    name,
                    async_graphql::Value::from_json(value).unwrap_or_default(),
                );
            }
        })
    }
}

/// Errors raised by the executor itself (syntax, unknown field, a value of
/// the wrong type or an unknown enum value, limits) carry no code; they are
/// the client's input errors, so they become VALIDATION, naming the argument
/// or variable when the message does.
pub fn classify_executor_error(error: &mut async_graphql::ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_some() {
        return;
    }
    extensions.set("code", "VALIDATION");
    let field = ["argument \"", "variable \"$", "variable \""]
        .iter()
        .find_map(|marker| {
            let start = error.message.find(marker)? + marker.len();
            let rest = &error.message[start..];
            rest.find('"').map(|end| rest[..end].to_owned())
        });
    if let Some(field) = field {
        extensions.set("field", field);
    }
}

/// The last touches of a GraphQL response, in one place: the executor's
/// own errors classified ([`classify_executor_error`]), a value that failed
/// to parse named by its precise input field
/// ([`crate::input_paths::name_unparsed_field`]), every error worded in the
/// request's `locale`, and RATE_LIMITED's `Retry-After` header.
pub fn finish_response(
    response: &mut async_graphql::Response,
    request: &crate::input_paths::RequestText,
    locale: Locale,
) {
    let mut retry_after: Option<u64> = None;
    for error in &mut response.errors {
        let classified = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !classified {
            classify_executor_error(error);
            let named = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("field"))
                .and_then(|field| match field {
                    async_graphql::Value::String(field) => Some(field.clone()),
                    _ => None,
                })
                .or_else(|| crate::input_paths::name_unparsed_field(error, request));
            if let Some(field) = named {
                // The executor's errors are input errors like any other:
                // the same `fields` entry, with its reason.
                let entry = serde_json::json!([{
                    "field": field,
                    "reason": Reason::InvalidFormat,
                    "params": {},
                    "message": error.message,
                }]);
                let extensions = error.extensions.get_or_insert_with(Default::default);
                extensions.set("field", field);
                extensions.set(
                    "fields",
                    async_graphql::Value::from_json(entry).unwrap_or_default(),
                );
            }
        }
        let extensions = error.extensions.get_or_insert_with(Default::default);
        let mut json = match serde_json::to_value(&*extensions) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        if json.get("code").and_then(serde_json::Value::as_str) == Some("RATE_LIMITED") {
            let seconds = json.get("retryAfter").and_then(serde_json::Value::as_u64);
            retry_after = retry_after.max(seconds);
        }
        crate::i18n::localise_error(&mut error.message, &mut json, locale);
        for (name, value) in json {
            extensions.set(
                name,
                async_graphql::Value::from_json(value).unwrap_or_default(),
            );
        }
    }
    if let Some(seconds) = retry_after {
        response
            .http_headers
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// A response that is this error alone, as GraphQL over HTTP shapes a
/// request error: `{"errors": [{"message", "extensions"}]}`, with the
/// status of [`AppError::status`] and the headers that status calls for.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.response_in(Locale::En)
    }
}

impl AppError {
    /// The response of [`IntoResponse`], its message in `locale`.
    pub fn response_in(self, locale: Locale) -> Response {
        self.log();
        let mut message = self.message();
        let mut extensions = self.extensions();
        crate::i18n::localise_error(&mut message, &mut extensions, locale);
        let body = serde_json::json!({
            "errors": [{ "message": message, "extensions": extensions }]
        });
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Unauthenticated | Self::TokenRefused(_) | Self::BadCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::InvalidRequest(InvalidRequest::MutationOverGet | InvalidRequest::PostOnly) => {
                headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = AppError::internal(anyhow::anyhow!("password=hunter2 at db"));
        let gql = async_graphql::Error::from(err);
        assert_eq!(gql.message, "internal error");
    }

    #[test]
    fn an_unreachable_database_is_service_unavailable_and_anything_else_internal() {
        use sea_orm::sqlx;
        let refused =
            || sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let unreachable = [
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed),
            sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(Arc::new(refused()))),
            sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(Arc::new(refused()))),
            sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(Arc::new(
                sqlx::Error::PoolTimedOut,
            ))),
        ];
        for err in unreachable {
            let shown = format!("{err}");
            let app = AppError::from(err);
            assert_eq!(app.code(), "SERVICE_UNAVAILABLE", "{shown}");
            assert_eq!(app.status(), StatusCode::SERVICE_UNAVAILABLE, "{shown}");
            assert!(!app.message().contains("pool"), "{}", app.message());
        }
        // Through `anyhow` with context, as a service may wrap it.
        let wrapped = anyhow::Error::new(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout,
        ))
        .context("ordering a laptop");
        assert_eq!(AppError::internal(wrapped).code(), "SERVICE_UNAVAILABLE");
        for err in [
            sea_orm::DbErr::RecordNotFound("ticket".into()),
            sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(Arc::new(
                sqlx::Error::RowNotFound,
            ))),
            sea_orm::DbErr::Custom("a bug".into()),
        ] {
            assert_eq!(AppError::from(err).code(), "INTERNAL");
        }
    }

    #[test]
    fn validation_names_every_field() {
        let err = AppError::Validation(vec![
            FieldError {
                field: "input.phone".into(),
                reason: Reason::InvalidFormat,
                params: serde_json::Map::new(),
                message: "not a phone number".into(),
            },
            FieldError {
                field: "input.postalCode".into(),
                reason: Reason::InvalidFormat,
                params: serde_json::Map::new(),
                message: "must have 4 digits".into(),
            },
        ]);
        assert!(err.message().contains("input.phone"));
        assert!(err.message().contains("input.postalCode"));
        assert_eq!(err.code(), "VALIDATION");
    }

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("JSON body")
    }

    #[tokio::test]
    async fn responses_carry_the_status_headers_and_body_of_their_error() {
        let response = AppError::Unauthenticated.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            body_of(response).await,
            serde_json::json!({ "errors": [{
                "message": "authentication required",
                "extensions": { "code": "UNAUTHENTICATED" }
            }] })
        );

        let response = AppError::InvalidRequest(InvalidRequest::MutationOverGet).into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "POST");
        let response = AppError::InvalidRequest(InvalidRequest::TooLarge).into_response();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            body_of(response).await["errors"][0]["extensions"]["code"],
            "VALIDATION"
        );

        let response = AppError::RateLimited {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
        assert_eq!(
            body_of(response).await["errors"][0]["extensions"]["retryAfter"],
            42
        );

        let response = AppError::validation("input.name", Invalid::required()).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body_of(response).await["errors"][0]["extensions"],
            serde_json::json!({
                "code": "VALIDATION",
                "field": "input.name",
                "fields": [{
                    "field": "input.name",
                    "reason": "REQUIRED",
                    "params": {},
                    "message": "must not be empty"
                }]
            })
        );

        assert_eq!(
            AppError::NotFound("attachment").into_response().status(),
            StatusCode::NOT_FOUND
        );
        let response = AppError::internal(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout,
        ))
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = body_of(response).await;
        assert_eq!(
            body["errors"][0]["extensions"],
            serde_json::json!({ "code": "SERVICE_UNAVAILABLE" })
        );
        assert!(!body.to_string().contains("pool"), "{body}");

        let response = AppError::internal(anyhow::anyhow!("disk on fire")).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(response).await;
        assert_eq!(body["errors"][0]["message"], "internal error");
        assert!(!body.to_string().contains("fire"), "{body}");
    }

    #[test]
    fn field_errors_report_every_field_in_the_order_checked() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.check("a", Ok::<_, Invalid>(1)), Some(1));
        assert_eq!(errors.check::<i32>("b", Err(Invalid::required())), None);
        errors.add("c", Invalid::taken("is taken"));
        let collected = errors.collect::<()>(Err(AppError::validation("d", Invalid::too_long(3))));
        assert!(matches!(collected, Ok(None)));
        let internal = errors.collect::<()>(Err(AppError::internal(anyhow::anyhow!("x"))));
        assert!(
            matches!(internal, Err(AppError::Internal(_))),
            "passed through"
        );
        let Err(AppError::Validation(fields)) = errors.finish(()) else {
            panic!("VALIDATION expected");
        };
        let named: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (f.field.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("b", "must not be empty"),
                ("c", "is taken"),
                ("d", "must be at most 3 characters")
            ]
        );
        assert_eq!(FieldErrors::new().finish(7).ok(), Some(7));
        assert!(matches!(
            FieldErrors::new().into_error(),
            AppError::Internal(_)
        ));
    }

    #[test]
    fn graphql_errors_carry_the_same_extensions() {
        let err = AppError::validation("input.name", Invalid::required());
        let gql = async_graphql::Error::from(err).into_server_error(Default::default());
        let json = serde_json::to_value(&gql).expect("serialise");
        assert_eq!(json["extensions"]["code"], "VALIDATION");
        assert_eq!(json["extensions"]["field"], "input.name");
        assert_eq!(
            json["extensions"]["fields"],
            serde_json::json!([{
                "field": "input.name",
                "reason": "REQUIRED",
                "params": {},
                "message": "must not be empty"
            }])
        );
    }
}
