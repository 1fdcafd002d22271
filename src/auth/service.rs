//! Logging in, resetting and changing passwords. Each action is one
//! transaction; revoking tokens means bumping the user's `token_version`.

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use entity::enums::{EmailKind, Locale, ResetPurpose};
use entity::{password_reset_tokens, user_profiles, users};
use rand::RngCore as _;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};
use sha2::{Digest as _, Sha256};

use super::throttle;
use crate::domain::{Email, NewPassword};
use crate::error::{AppError, AppResult, Invalid};
use crate::notifications::{self, OutgoingEmail, templates};
use crate::policy::{self, Scope};
use crate::state::AppState;

/// How long a password-reset link works.
pub const RESET_TOKEN_MINUTES: i64 = 60;
/// Reset links sent to one account within an hour, at most.
pub const MAX_RESET_LINKS_PER_HOUR: u64 = 3;
/// How long an invitation (set your first password) works.
pub const INVITE_TOKEN_MINUTES: i64 = 72 * 60;

/// A logged-in user and its fresh token.
pub struct LoginOutcome {
    pub user: user_profiles::Model,
    /// What the user sees, for reading the payload of the login.
    pub scope: Scope,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Checks the throttle, then the password; the same error, after the same
/// argon2 work, for an unknown email, a wrong password or an inactive user.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    client_addr: &str,
) -> AppResult<LoginOutcome> {
    let now = state.clock.now();
    // An unparseable email cannot match an account: answer as for any
    // unknown email rather than revealing the rule.
    let email_key = email.trim().to_lowercase();
    let attempt = throttle::begin(&state.db, &email_key, client_addr, now).await?;
    let user = match Email::parse(email) {
        Ok(email) => policy::system::user_by_email(&state.db, email.as_str()).await?,
        Err(_) => None,
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let matches = state.hasher.verify(password, hash).await?;
    let user = match user {
        Some(user) if matches && user.is_active => user,
        _ => {
            throttle::failed(&state.db, attempt).await?;
            return Err(AppError::BadCredentials);
        }
    };
    throttle::succeeded(&state.db, attempt, now).await?;
    let mut active = user.into_active_model();
    active.last_login_at = Set(Some(now));
    let user = active.update(&state.db).await?;
    outcome(state, user.into(), now).await
}

/// Queues a reset email when the account exists and is active; does
/// nothing otherwise. The caller answers the same in both cases.
///
/// Both cases also cost the same: the same statements run, whether the
/// address is malformed, unknown, inactive, already sent too many links,
/// or gets one. Without an account to write for, the link and its email
/// are made for a stand-in account and rolled back, so that neither the
/// answer nor its time tells whether an address has an account.
pub async fn request_password_reset(state: &AppState, email: &str) -> AppResult<()> {
    // A malformed address matches no account; it is looked up all the same.
    let key = Email::parse(email)
        .map(|email| email.as_str().to_owned())
        .unwrap_or_default();
    let Some((account, stand_in)) =
        policy::system::user_by_email_with_stand_in(&state.db, &key).await?
    else {
        // No users at all: there is no account to reveal.
        return Ok(());
    };
    let active = account.filter(|user| user.is_active);
    let user = active.as_ref().unwrap_or(&stand_in);
    // A few links an hour are plenty; more would let anyone flood a
    // mailbox. The answer stays the same.
    let since = state.clock.now() - Duration::minutes(RESET_TOKEN_MINUTES);
    let recent = policy::system::reset_links_sent_since(&state.db, user.id, since).await?;
    let txn = state.db.begin().await?;
    send_password_link(&txn, state, user, ResetPurpose::Reset).await?;
    match active {
        Some(_) if recent < MAX_RESET_LINKS_PER_HOUR => txn.commit().await?,
        Some(user) => {
            tracing::info!(
                user_id = user.id,
                "password reset requested too often; no email sent"
            );
            txn.rollback().await?;
        }
        None => txn.rollback().await?,
    }
    Ok(())
}

/// Creates a single-use token for `user` (stored as a hash only) and queues
/// the email carrying it, on `db` (the caller's transaction).
pub async fn send_password_link(
    db: &impl ConnectionTrait,
    state: &AppState,
    user: &user_profiles::Model,
    purpose: ResetPurpose,
) -> AppResult<()> {
    let now = state.clock.now();
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let minutes = match purpose {
        ResetPurpose::Reset => RESET_TOKEN_MINUTES,
        ResetPurpose::Invite => INVITE_TOKEN_MINUTES,
    };
    password_reset_tokens::ActiveModel {
        organisation_id: Set(user.organisation_id),
        user_id: Set(user.id),
        token_hash: Set(hash_token(&token)),
        purpose: Set(purpose),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(minutes)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let link = format!(
        "{}/reset-password?token={token}",
        state.config.public_url.trim_end_matches('/')
    );
    let invite = purpose == ResetPurpose::Invite;
    let (subject, secret_body) =
        templates::password_email(user.locale, invite, &user.display_name, &link, minutes);
    // What the table shows in clear: the same text, the link left out.
    let (_, body) = templates::password_email(
        user.locale,
        invite,
        &user.display_name,
        templates::LINK_LEFT_OUT,
        minutes,
    );
    notifications::enqueue_sealed(
        db,
        &state.body_key,
        OutgoingEmail {
            organisation_id: user.organisation_id,
            user_id: Some(user.id),
            kind: if invite {
                EmailKind::Invite
            } else {
                EmailKind::PasswordReset
            },
            to: user.email.clone(),
            locale: user.locale,
            subject,
            body,
        },
        &secret_body,
        now,
    )
    .await
}

/// The token of a reset or invitation link and its user, if the link can
/// still be used: known, unused, unexpired, for an active user.
async fn usable_reset_token(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<(password_reset_tokens::Model, user_profiles::Model)>> {
    let Some(row) = policy::system::reset_token(&state.db, &hash_token(token.trim())).await? else {
        return Ok(None);
    };
    if row.used_at.is_some() || row.expires_at <= now {
        return Ok(None);
    }
    let user = policy::system::user_by_id(&state.db, row.user_id).await?;
    Ok(user.filter(|user| user.is_active).map(|user| (row, user)))
}

/// The language of the user a reset or invitation link is for, while the
/// link can be used (the reset page speaks it); `None` for any other token.
pub async fn reset_link_locale(state: &AppState, token: &str) -> AppResult<Option<Locale>> {
    let now = state.clock.now();
    Ok(usable_reset_token(state, token, now)
        .await?
        .map(|(_, user)| user.locale))
}

/// Sets a new password with a reset token; marks the token used and revokes
/// every earlier access token of the user.
pub async fn reset_password(state: &AppState, token: &str, new_password: &str) -> AppResult<()> {
    let now = state.clock.now();
    let invalid = || {
        AppError::validation(
            "token",
            Invalid::expired("this link is invalid or has expired; ask for a new one"),
        )
    };
    // Everything slow or read-only happens before the transaction, whose
    // first statement is a write (SQLite then takes its write lock at once).
    let Some((row, user)) = usable_reset_token(state, token, now).await? else {
        return Err(invalid());
    };
    let password = NewPassword::parse(new_password, &user.email)
        .map_err(|m| AppError::validation("newPassword", m))?;
    let hash = state.hasher.hash(password.expose()).await?;
    let txn = state.db.begin().await?;
    // Claim the token atomically: of two concurrent uses, one wins.
    let claimed = password_reset_tokens::Entity::update_many()
        .col_expr(password_reset_tokens::Column::UsedAt, Expr::value(now))
        .filter(password_reset_tokens::Column::Id.eq(row.id))
        .filter(password_reset_tokens::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invalid());
    }
    set_password(&txn, user.id, hash, now).await?;
    // Whoever holds the emailed link owns the account: a lock that
    // guessing put on it no longer protects anything.
    throttle::clear_account(&txn, &user.email).await?;
    txn.commit().await?;
    Ok(())
}

/// Changes the viewer's password after checking the current one; revokes
/// every earlier token and returns a fresh one for this session.
pub async fn change_password(
    state: &AppState,
    user_id: i64,
    current: &str,
    new_password: &str,
    client_addr: &str,
) -> AppResult<LoginOutcome> {
    let now = state.clock.now();
    // The one read of the viewer's password hash: the token check never
    // loads it.
    let user = policy::system::account_by_id(&state.db, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let password = NewPassword::parse(new_password, &user.email)
        .map_err(|m| AppError::validation("newPassword", m))?;
    // Guessing the current password is throttled like logging in.
    let attempt = throttle::begin(&state.db, &user.email, client_addr, now).await?;
    if !state
        .hasher
        .verify(current, user.password_hash.as_deref())
        .await?
    {
        throttle::failed(&state.db, attempt).await?;
        return Err(AppError::validation(
            "currentPassword",
            Invalid::not_allowed("is not your current password"),
        ));
    }
    throttle::succeeded(&state.db, attempt, now).await?;
    let hash = state.hasher.hash(password.expose()).await?;
    let txn = state.db.begin().await?;
    let user = set_password(&txn, user.id, hash, now).await?;
    txn.commit().await?;
    outcome(state, user, now).await
}

async fn outcome(
    state: &AppState,
    user: user_profiles::Model,
    now: DateTime<Utc>,
) -> AppResult<LoginOutcome> {
    let (token, expires_at) = state.tokens.issue(&user, now).map_err(AppError::internal)?;
    let viewer = policy::system::user_for_token(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound("user"))?
        .viewer();
    Ok(LoginOutcome {
        user,
        scope: Scope::new(viewer),
        token,
        expires_at,
    })
}

/// Sets the password and revokes every earlier access token (the version
/// is incremented in SQL, so a concurrent revocation is never lost) and
/// every reset link still unused.
async fn set_password(
    db: &impl ConnectionTrait,
    user_id: i64,
    hash: String,
    now: DateTime<Utc>,
) -> AppResult<user_profiles::Model> {
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(
            users::Column::TokenVersion,
            Expr::col(users::Column::TokenVersion).add(1),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    password_reset_tokens::Entity::update_many()
        .col_expr(password_reset_tokens::Column::UsedAt, Expr::value(now))
        .filter(password_reset_tokens::Column::UserId.eq(user_id))
        .filter(password_reset_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    policy::system::user_by_id(db, user_id)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Tokens are stored as their SHA-256 only: a leaked table opens nothing.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
