//! Authentication mutations: login, password reset, password change.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service;
use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::users::types::User;

/// A successful login.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// The access token, sent as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The logged-in user.
    pub user: User,
}

impl From<service::LoginOutcome> for LoginPayload {
    fn from(outcome: service::LoginOutcome) -> Self {
        Self {
            token: outcome.token,
            expires_at: outcome.expires_at,
            user: User::authenticated(outcome.user, outcome.scope),
        }
    }
}

/// The answer to a password-reset request, the same whether the account
/// exists or not.
#[derive(SimpleObject)]
pub struct RequestPasswordResetPayload {
    /// What to tell the person, in the request's language (the viewer's,
    /// or `Accept-Language`'s): that a link is on its way if an account
    /// uses the address, and that a login shared by several people gets
    /// the new password for all of them.
    pub message: String,
}

/// The result of a password reset.
#[derive(SimpleObject)]
pub struct ResetPasswordPayload {
    /// Always true: failures are errors.
    pub ok: bool,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Exchanges an email and a password for an access token. An unknown
    /// email and a wrong password get the same error. Attempts are refused
    /// with RATE_LIMITED (`extensions.retryAfter` seconds) after 5 failures
    /// for an account from one client address, or 20 from one address over
    /// any accounts, within 15 minutes; other addresses are not affected.
    /// 50 failures for an account within an hour, from anywhere, also
    /// refuse the addresses that have not logged into it for 30 days. A
    /// password reset lifts every lock of the account.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email, in any letter case.")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> AppResult<LoginPayload> {
        let request = ctx.request()?;
        let outcome =
            service::login(&request.state, &email, &password, &request.client_addr).await?;
        Ok(outcome.into())
    }

    /// Sends a link to choose a new password, valid one hour, if an active
    /// account has this email. Answers the same either way.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email of the account whose password is forgotten.")] email: String,
    ) -> AppResult<RequestPasswordResetPayload> {
        let request = ctx.request()?;
        service::request_password_reset(&request.state, &email).await?;
        Ok(RequestPasswordResetPayload {
            message: crate::i18n::reset_requested(request.locale).to_owned(),
        })
    }

    /// Sets a new password with the token of a reset or invitation email.
    /// The token works once; every earlier access token of the user stops
    /// working.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the link in the reset or invitation email.")]
        token: String,
        #[graphql(desc = "The new password: 10 to 128 characters.")] new_password: String,
    ) -> AppResult<ResetPasswordPayload> {
        service::reset_password(ctx.state()?, &token, &new_password).await?;
        Ok(ResetPasswordPayload { ok: true })
    }

    /// Changes the viewer's password. Every earlier access token stops
    /// working; the payload carries a fresh one.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The viewer's password as it is now.")] current_password: String,
        #[graphql(desc = "The new password: 10 to 128 characters.")] new_password: String,
    ) -> AppResult<LoginPayload> {
        let request = ctx.request()?;
        let viewer = ctx.scope()?.viewer();
        let outcome = service::change_password(
            &request.state,
            viewer.user_id,
            &current_password,
            &new_password,
            &request.client_addr,
        )
        .await?;
        Ok(outcome.into())
    }
}
