//! Login throttling, shared by every server instance through the
//! `login_attempts` table: after 5 failed attempts for one account, or 20
//! from one client address, within 15 minutes, further attempts are refused
//! with RATE_LIMITED until the oldest failure leaves the window.
//!
//! Every attempt is written before it is counted, so that concurrent
//! attempts cannot all slip under the limit; a refused attempt removes its
//! row, so that hammering does not extend the lock-out forever; a
//! successful login clears the account's failures.

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

/// Registers an attempt, counted as a failure until [`succeeded`] says
/// otherwise, and refuses it when the account or the address already has
/// its fill of failures in the window.
///
/// The attempt is written *before* it is counted: of any number of
/// concurrent attempts, at most the limit get through, since each one that
/// does leaves its row for the others to count. A refused attempt removes
/// its row, so that hammering does not extend the lock-out.
pub async fn begin(
    db: &impl ConnectionTrait,
    email: &str,
    client_addr: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let attempt = login_attempts::ActiveModel {
        email: Set(email.to_owned()),
        client_addr: Set(client_addr.to_owned()),
        succeeded: Set(false),
        attempted_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let by_account = oldest_blocking_failure(
        db,
        login_attempts::Column::Email.eq(email),
        attempt.id,
        since,
        MAX_FAILURES_PER_ACCOUNT,
    )
    .await?;
    let by_address = oldest_blocking_failure(
        db,
        login_attempts::Column::ClientAddr.eq(client_addr),
        attempt.id,
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
        Some(until) if until > now => {
            login_attempts::Entity::delete_by_id(attempt.id)
                .exec(db)
                .await?;
            Err(AppError::RateLimited {
                retry_after_secs: u64::try_from((until - now).num_seconds())
                    .unwrap_or(0)
                    .max(1),
            })
        }
        _ => Ok(()),
    }
}

/// With at least `limit` other failures in the window, the time of the
/// failure that must expire before another attempt is allowed.
async fn oldest_blocking_failure(
    db: &impl ConnectionTrait,
    key: sea_orm::sea_query::SimpleExpr,
    own_attempt: i64,
    since: DateTime<Utc>,
    limit: u64,
) -> AppResult<Option<DateTime<Utc>>> {
    let recent: Vec<DateTime<Utc>> = login_attempts::Entity::find()
        .select_only()
        .column(login_attempts::Column::AttemptedAt)
        .filter(key)
        .filter(login_attempts::Column::Id.ne(own_attempt))
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

/// The attempt succeeded: the account's failures, this attempt's row
/// included, no longer count against it. Rows older than a day serve no
/// window and go too.
pub async fn succeeded(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::Email.eq(email))
        .filter(login_attempts::Column::Succeeded.eq(false))
        .exec(db)
        .await?;
    login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::AttemptedAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?;
    Ok(())
}
