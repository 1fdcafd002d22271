//! Login throttling, shared by every server instance through the
//! `login_attempts` table: after 5 failed attempts for one account, or 20
//! from one client address, within 15 minutes, further attempts are refused
//! with RATE_LIMITED until the oldest failure leaves the window.
//!
//! A refused attempt is not recorded, so that hammering does not extend the
//! lock-out forever; a successful login clears the account's failures.

use chrono::{DateTime, Duration, Utc};
use entity::login_attempts;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::error::{AppError, AppResult};

/// Failed attempts allowed per account within the window.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failed attempts allowed per client address within the window.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;

/// Refuses the attempt when either limit is reached.
pub async fn check(
    db: &impl ConnectionTrait,
    email: &str,
    client_addr: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let by_account = oldest_blocking_failure(
        db,
        login_attempts::Column::Email.eq(email),
        since,
        MAX_FAILURES_PER_ACCOUNT,
    )
    .await?;
    let by_address = oldest_blocking_failure(
        db,
        login_attempts::Column::ClientAddr.eq(client_addr),
        since,
        MAX_FAILURES_PER_ADDRESS,
    )
    .await?;
    let blocked_until = [by_account, by_address]
        .into_iter()
        .flatten()
        .map(|oldest| oldest + Duration::minutes(WINDOW_MINUTES))
        .max();
    match blocked_until {
        Some(until) if until > now => Err(AppError::RateLimited {
            retry_after_secs: u64::try_from((until - now).num_seconds())
                .unwrap_or(0)
                .max(1),
        }),
        _ => Ok(()),
    }
}

/// With at least `limit` failures in the window, the time of the failure
/// that must expire before another attempt is allowed.
async fn oldest_blocking_failure(
    db: &impl ConnectionTrait,
    key: sea_orm::sea_query::SimpleExpr,
    since: DateTime<Utc>,
    limit: u64,
) -> AppResult<Option<DateTime<Utc>>> {
    let recent: Vec<DateTime<Utc>> = login_attempts::Entity::find()
        .select_only()
        .column(login_attempts::Column::AttemptedAt)
        .filter(key)
        .filter(login_attempts::Column::Succeeded.eq(false))
        .filter(login_attempts::Column::AttemptedAt.gt(since))
        .order_by_desc(login_attempts::Column::AttemptedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok((recent.len() as u64 >= limit)
        .then(|| recent.last().copied())
        .flatten())
}

/// Records the outcome of a checked attempt.
pub async fn record(
    db: &impl ConnectionTrait,
    email: &str,
    client_addr: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if succeeded {
        // The account's earlier failures no longer count against it.
        login_attempts::Entity::delete_many()
            .filter(login_attempts::Column::Email.eq(email))
            .filter(login_attempts::Column::Succeeded.eq(false))
            .exec(db)
            .await?;
        return Ok(());
    }
    login_attempts::ActiveModel {
        email: Set(email.to_owned()),
        client_addr: Set(client_addr.to_owned()),
        succeeded: Set(false),
        attempted_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Rows older than a day serve no window; keep the table small.
    login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::AttemptedAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?;
    Ok(())
}
