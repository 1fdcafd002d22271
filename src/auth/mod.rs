//! Authentication: access tokens, password hashing, and the per-request
//! check that turns a bearer token into a [`Viewer`](crate::policy::Viewer).

pub mod graphql;
pub mod password;
pub mod service;
pub mod throttle;
pub mod token;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::error::AppError;
use crate::policy::{self, Viewer};
use crate::state::AppState;

/// The credentials of an `Authorization: Bearer <token>` header. The
/// scheme is case-insensitive (RFC 7235 §2.1): `bearer` and `BEARER` count.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// The request's user, if it sent a token. A token that is present but
/// invalid for any reason is an error, never an anonymous request.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(entity::users::Model, Viewer)>, AppError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bearer_token)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthenticated)?;
    let (user_id, claims) = state.tokens.verify(token, state.clock.now()).map_err(|e| {
        tracing::debug!(error = %e, "token rejected");
        AppError::Unauthenticated
    })?;
    let Some((user, viewer)) = policy::system::user_for_token(&state.db, user_id).await? else {
        return Err(AppError::Unauthenticated);
    };
    if !user.is_active || user.token_version != claims.ver || user.organisation_id != claims.org {
        tracing::debug!(user_id, "token revoked or user deactivated");
        return Err(AppError::Unauthenticated);
    }
    Ok(Some((user, viewer)))
}
