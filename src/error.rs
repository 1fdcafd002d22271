//! The one error type of the API and its mapping to `extensions.code`.
//!
//! Every resolver and service returns [`AppError`]. The GraphQL code is set
//! here and nowhere else. `Internal` carries the cause for the log only: the
//! client gets a generic message, and the log line carries the request id
//! through the request's tracing span.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::ErrorExtensions as _;

/// What went wrong, in the terms the API promises (SPEC §4).
///
/// Deliberately not `Display`: async-graphql turns any `Display` type into
/// an error without extensions, and every error must carry its code. The
/// conversion below is the only way out to a client.
#[derive(Debug, Clone)]
pub enum AppError {
    /// No valid credentials: missing, malformed, expired or revoked token.
    Unauthenticated,
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
    /// Anything else. Logged with its cause, shown as a generic message.
    Internal(Arc<anyhow::Error>),
}

/// One invalid input field: its path in the input (e.g. `input.postalCode`)
/// and a message a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Shorthand for results of services and resolvers.
pub type AppResult<T> = Result<T, AppError>;

/// Why one input value is invalid, in words a user can act on (`must not be
/// empty`). The one error type of every domain `parse()`: it names no field,
/// because the same value is a different field in different inputs; a
/// [`FieldErrors`] puts it under its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(Cow<'static, str>);

impl Invalid {
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
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
            message: invalid.0.into_owned(),
        });
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

    /// One value checked alone: the value, or VALIDATION naming `field`.
    pub fn single<T>(field: &str, result: Result<T, Invalid>) -> AppResult<T> {
        let mut errors = Self::new();
        match errors.check(field, result) {
            Some(value) => Ok(value),
            None => Err(errors.into_error()),
        }
    }
}

impl AppError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Arc::new(cause.into()))
    }

    /// The stable machine-readable code of `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::BadCredentials => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Validation(_) => "VALIDATION",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client sees. Never the cause of an internal error.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".to_owned(),
            Self::BadCredentials => "wrong email or password".to_owned(),
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
            Self::Internal(_) => "internal error".to_owned(),
        }
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
        if let AppError::Internal(cause) = &err {
            // The request span carries the request id, so this line can be
            // matched with the client's `x-request-id`.
            tracing::error!(error = ?cause, "internal error");
        }
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            match &err {
                AppError::Validation(errors) => {
                    if let Some(first) = errors.first() {
                        ext.set("field", first.field.as_str());
                    }
                    let fields: Vec<async_graphql::Value> = errors
                        .iter()
                        .map(|e| {
                            let mut map = async_graphql::indexmap::IndexMap::new();
                            map.insert(
                                async_graphql::Name::new("field"),
                                async_graphql::Value::from(e.field.as_str()),
                            );
                            map.insert(
                                async_graphql::Name::new("message"),
                                async_graphql::Value::from(e.message.as_str()),
                            );
                            async_graphql::Value::Object(map)
                        })
                        .collect();
                    ext.set("fields", async_graphql::Value::List(fields));
                }
                AppError::RateLimited { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs);
                }
                _ => {}
            }
        })
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
    fn validation_names_every_field() {
        let err = AppError::Validation(vec![
            FieldError {
                field: "input.phone".into(),
                message: "not a phone number".into(),
            },
            FieldError {
                field: "input.postalCode".into(),
                message: "must have 4 digits".into(),
            },
        ]);
        assert!(err.message().contains("input.phone"));
        assert!(err.message().contains("input.postalCode"));
        assert_eq!(err.code(), "VALIDATION");
    }
}
