//! Login throttling, shared by every server instance through the
//! `login_attempts` table. Three limits, each over the failed attempts in
//! its window:
//!
//! - **(account, address)**: 5 failures within 15 minutes lock that account
//!   *for that address* only. Guessing from one place is stopped there,
//!   while the owner, elsewhere, still logs in: five requests can no longer
//!   lock anyone out of their account everywhere.
//! - **address**: 20 failures within 15 minutes, over any accounts, lock the
//!   address out of every account (spraying one password over many).
//! - **account, slower**: 50 failures within an hour from all addresses
//!   together lock the account for every address that has not logged into
//!   it successfully within 30 days. This caps guessing spread over many
//!   addresses, yet addresses the owner has used keep working, so flooding
//!   the account does not lock its owner out either.
//!
//! A refusal is RATE_LIMITED with the seconds until the oldest failure that
//! locks leaves its window. A successful login clears the failures of its
//! (account, address) pair and is remembered as a known address; a
//! successful password reset clears every failure of the account.
//!
//! Every attempt is written before it is counted, so that concurrent
//! attempts cannot all slip under a limit; a refused attempt removes its
//! row, so that hammering does not extend a lock-out forever.

use chrono::{DateTime, Duration, Utc};
use entity::login_attempts;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::{AppError, AppResult};

/// Failed attempts allowed per (account, address) within [`WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: u64 = 5;
/// Failed attempts allowed per client address within [`WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The window of the per-(account, address) and per-address limits.
pub const WINDOW_MINUTES: i64 = 15;
/// Failed attempts allowed per account, from all addresses together,
/// within [`ACCOUNT_WINDOW_MINUTES`], for addresses not known to the account.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 50;
/// The window of the per-account limit.
pub const ACCOUNT_WINDOW_MINUTES: i64 = 60;
/// How long a successful login makes its address known to the account.
pub const KNOWN_ADDRESS_DAYS: i64 = 30;

/// The `login_attempts` columns are bounded; longer input cannot name an
/// account anyway, and its prefix throttles it just as well.
const MAX_EMAIL_CHARS: usize = 254;
const MAX_ADDR_CHARS: usize = 64;

/// An attempt let through by [`begin`]: a failure until [`succeeded`] says
/// otherwise.
#[derive(Debug)]
pub struct Attempt {
    id: i64,
    email: String,
    client_addr: String,
}

/// Registers an attempt and refuses it when one of the limits is reached.
pub async fn begin(
    db: &impl ConnectionTrait,
    email: &str,
    client_addr: &str,
    now: DateTime<Utc>,
) -> AppResult<Attempt> {
    let email: String = email.chars().take(MAX_EMAIL_CHARS).collect();
    let client_addr: String = client_addr.chars().take(MAX_ADDR_CHARS).collect();
    let attempt = login_attempts::ActiveModel {
        email: Set(email.clone()),
        client_addr: Set(client_addr.clone()),
        succeeded: Set(false),
        attempted_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let attempt = Attempt {
        id: attempt.id,
        email,
        client_addr,
    };
    match blocked_until(db, &attempt, now).await? {
        Some((until, limit)) if until > now => {
            login_attempts::Entity::delete_by_id(attempt.id)
                .exec(db)
                .await?;
            crate::monitoring::record_throttle_refusal(limit);
            Err(AppError::RateLimited {
                retry_after_secs: u64::try_from((until - now).num_seconds())
                    .unwrap_or(0)
                    .max(1),
            })
        }
        _ => Ok(attempt),
    }
}

/// The three limits, as the metrics name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    AccountAndAddress,
    Address,
    Account,
}

impl Limit {
    pub const ALL: [Self; 3] = [Self::AccountAndAddress, Self::Address, Self::Account];

    /// The `limit` label of the refusals counter.
    pub fn label(self) -> &'static str {
        match self {
            Self::AccountAndAddress => "account_address",
            Self::Address => "address",
            Self::Account => "account",
        }
    }
}

/// Until when the attempt's account or address is locked for it, if it
/// is, and the limit that locks it longest.
async fn blocked_until(
    db: &impl ConnectionTrait,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> AppResult<Option<(DateTime<Utc>, Limit)>> {
    let window = Duration::minutes(WINDOW_MINUTES);
    let account = login_attempts::Column::Email.eq(attempt.email.as_str());
    let address = login_attempts::Column::ClientAddr.eq(attempt.client_addr.as_str());
    let by_pair = oldest_blocking_failure(
        db,
        Condition::all().add(account.clone()).add(address.clone()),
        attempt.id,
        now - window,
        MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    )
    .await?
    .map(|oldest| oldest + window);
    let by_address = oldest_blocking_failure(
        db,
        Condition::all().add(address),
        attempt.id,
        now - window,
        MAX_FAILURES_PER_ADDRESS,
    )
    .await?
    .map(|oldest| oldest + window);
    let account_window = Duration::minutes(ACCOUNT_WINDOW_MINUTES);
    let by_account = match oldest_blocking_failure(
        db,
        Condition::all().add(account),
        attempt.id,
        now - account_window,
        MAX_FAILURES_PER_ACCOUNT,
    )
    .await?
    {
        Some(oldest) if !is_known_address(db, attempt, now).await? => Some(oldest + account_window),
        _ => None,
    };
    Ok([
        (by_pair, Limit::AccountAndAddress),
        (by_address, Limit::Address),
        (by_account, Limit::Account),
    ]
    .into_iter()
    .filter_map(|(until, limit)| until.map(|until| (until, limit)))
    .max_by_key(|(until, _)| *until))
}

/// With at least `limit` other failures matching `key` since `since`, the
/// time of the failure that must expire before another attempt is allowed.
async fn oldest_blocking_failure(
    db: &impl ConnectionTrait,
    key: Condition,
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

/// Whether the attempt's address logged into its account within
/// [`KNOWN_ADDRESS_DAYS`].
async fn is_known_address(
    db: &impl ConnectionTrait,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let successes = login_attempts::Entity::find()
        .filter(login_attempts::Column::Email.eq(attempt.email.as_str()))
        .filter(login_attempts::Column::ClientAddr.eq(attempt.client_addr.as_str()))
        .filter(login_attempts::Column::Succeeded.eq(true))
        .filter(login_attempts::Column::AttemptedAt.gt(now - Duration::days(KNOWN_ADDRESS_DAYS)))
        .count(db)
        .await?;
    Ok(successes > 0)
}

/// The attempt succeeded: it is kept as a success (its address is now
/// known to the account), and the failures of its (account, address) pair
/// no longer count. Failures from other addresses still do: a login here
/// does not lift a lock on an address that was guessing. Rows that no
/// window reads any more go too.
pub async fn succeeded(
    db: &impl ConnectionTrait,
    attempt: Attempt,
    now: DateTime<Utc>,
) -> AppResult<()> {
    login_attempts::Entity::update_many()
        .col_expr(login_attempts::Column::Succeeded, Expr::value(true))
        .filter(login_attempts::Column::Id.eq(attempt.id))
        .exec(db)
        .await?;
    delete_failures(
        db,
        Condition::all()
            .add(login_attempts::Column::Email.eq(attempt.email.as_str()))
            .add(login_attempts::Column::ClientAddr.eq(attempt.client_addr.as_str())),
    )
    .await?;
    let stale_failures = Condition::all()
        .add(login_attempts::Column::Succeeded.eq(false))
        .add(login_attempts::Column::AttemptedAt.lt(now - Duration::days(1)));
    let stale_successes = Condition::all()
        .add(login_attempts::Column::Succeeded.eq(true))
        .add(login_attempts::Column::AttemptedAt.lt(now - Duration::days(KNOWN_ADDRESS_DAYS)));
    login_attempts::Entity::delete_many()
        .filter(Condition::any().add(stale_failures).add(stale_successes))
        .exec(db)
        .await?;
    Ok(())
}

/// The account's password was reset by its owner (who proved it by the
/// emailed link): every lock on the account lifts, from every address.
/// `email` is the account's login email.
pub async fn clear_account(db: &impl ConnectionTrait, email: &str) -> AppResult<()> {
    let email: String = email.chars().take(MAX_EMAIL_CHARS).collect();
    delete_failures(
        db,
        Condition::all().add(login_attempts::Column::Email.eq(email)),
    )
    .await
}

async fn delete_failures(db: &impl ConnectionTrait, key: Condition) -> AppResult<()> {
    login_attempts::Entity::delete_many()
        .filter(key)
        .filter(login_attempts::Column::Succeeded.eq(false))
        .exec(db)
        .await?;
    Ok(())
}
