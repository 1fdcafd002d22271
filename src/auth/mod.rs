//! Authentication: access tokens, password hashing, and the per-request
//! check that turns a bearer token into a [`Viewer`](crate::policy::Viewer).

pub mod graphql;
pub mod password;
pub mod service;
pub mod throttle;
pub mod token;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use async_graphql::parser::types::{OperationType, Selection};
use entity::enums::Locale;

use crate::error::{AppError, TokenFailure};
use crate::policy::{self, Viewer};
use crate::state::AppState;

/// The credentials of an `Authorization: Bearer <token>` header. The
/// scheme is case-insensitive (RFC 7235 §2.1): `bearer` and `BEARER` count.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// A request's valid token: the viewer it acts for, the viewer's language
/// and the token's claims. Nothing else of the user: a request that needs
/// more (the `viewer` field) loads it through the scope like any user.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub viewer: Viewer,
    pub locale: Locale,
    pub claims: token::Claims,
}

/// The request's viewer, if it sent a token. A token that is present but
/// refused is an error, never an anonymous request, and says why: EXPIRED,
/// REVOKED (password reset or changed, user deactivated or moved) or
/// INVALID (anything else).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Authenticated>, AppError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bearer_token)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::TokenRefused(TokenFailure::Invalid))?;
    authenticate_token(state, token).await.map(Some)
}

/// The viewer and claims of an access token, however it arrived (a bearer
/// header, a subscription's `connection_init`): checked against the clock
/// and against the user's row, read afresh in one statement by primary
/// key ([`policy::system::user_for_token`]), so that a deactivated user
/// or a revoked token (its `token_version` bumped) is refused
/// (UNAUTHENTICATED, with the reason) on the very next request, whichever
/// instance wrote the change.
pub async fn authenticate_token(state: &AppState, token: &str) -> Result<Authenticated, AppError> {
    let (user_id, claims) = state.tokens.verify(token, state.clock.now()).map_err(|e| {
        tracing::debug!(error = %e, "token rejected");
        AppError::TokenRefused(match e {
            token::TokenError::Expired => TokenFailure::Expired,
            _ => TokenFailure::Invalid,
        })
    })?;
    let Some(holder) = policy::system::user_for_token(&state.db, user_id).await? else {
        return Err(AppError::TokenRefused(TokenFailure::Revoked));
    };
    if !holder.is_active
        || holder.token_version != claims.ver
        || holder.organisation_id != claims.org
    {
        tracing::debug!(user_id, "token revoked or user deactivated");
        return Err(AppError::TokenRefused(TokenFailure::Revoked));
    }
    Ok(Authenticated {
        viewer: holder.viewer(),
        locale: holder.locale,
        claims,
    })
}

/// The root fields a request may run without a valid token, even when it
/// sends a refused one: a portal holding an expired token logs in again,
/// or asks for a reset, without first dropping its header.
const TOKENLESS_FIELDS: [&str; 4] = [
    "login",
    "requestPasswordReset",
    "resetPassword",
    "__typename",
];

/// Whether `request` is a mutation that selects nothing but
/// [`TOKENLESS_FIELDS`] (fragments at the root do not count): it then runs
/// as anonymous when its token is refused.
pub fn runs_without_token(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match &request.operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name.as_str()))
            .map(|(_, op)| op),
        None => document.operations.iter().next().map(|(_, op)| op),
    };
    operation.is_some_and(|op| {
        op.node.ty == OperationType::Mutation
            && op.node.selection_set.node.items.iter().all(|item| {
                matches!(&item.node, Selection::Field(field)
                    if TOKENLESS_FIELDS.contains(&field.node.name.node.as_str()))
            })
    })
}
