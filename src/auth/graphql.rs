//! Authentication mutations.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};

use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::policy;
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

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Exchanges an email and a password for an access token. An unknown
    /// email and a wrong password get the same error.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> AppResult<LoginPayload> {
        let state = ctx.state()?;
        let email = Email::parse(&email).map_err(|m| AppError::validation("email", m))?;
        let user = policy::system::user_by_email(&state.db, email.as_str()).await?;
        let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
        let matches = state.hasher.verify(&password, hash).await?;
        let user = match user {
            Some(user) if matches && user.is_active => user,
            _ => return Err(AppError::BadCredentials),
        };
        let now = state.clock.now();
        let mut active = user.into_active_model();
        active.last_login_at = Set(Some(now));
        let user = active.update(&state.db).await?;
        let (token, expires_at) = state.tokens.issue(&user, now).map_err(AppError::internal)?;
        Ok(LoginPayload {
            token,
            expires_at,
            user: User(user),
        })
    }
}
