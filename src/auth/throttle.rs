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
//! Every attempt is written before it is counted, as pending, so that
//! concurrent attempts cannot all slip under a limit: an attempt counts the
//! settled failures and the attempts begun before it that are still being
//! checked. Settled failures alone lock; when attempts in flight would
//! reach the limit, a later attempt waits for them to settle (at most
//! [`MAX_WAIT`]) rather than being refused, so that people sharing a login
//! behind one address can log in at the same moment. An attempt pending for
//! longer than [`SETTLE_SECS`] died with its server and counts as a failure.
//! A refused attempt removes its row, so that hammering does not extend a
//! lock-out forever.

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

/// How long an attempt may stay pending. A check is one argon2 hash, queued
/// behind a few others at most; one pending longer ended without settling
/// (its server stopped) and counts as a failure.
pub const SETTLE_SECS: i64 = 30;
/// How long an attempt waits for earlier attempts in flight to settle
/// before it is refused.
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// The first pause between checks while waiting; it doubles up to
/// [`MAX_POLL`].
const FIRST_POLL: std::time::Duration = std::time::Duration::from_millis(20);
const MAX_POLL: std::time::Duration = std::time::Duration::from_millis(400);

/// The `login_attempts` columns are bounded; longer input cannot name an
/// account anyway, and its prefix throttles it just as well.
const MAX_EMAIL_CHARS: usize = 254;
/// What stands for a NUL character in a typed email: PostgreSQL text
/// cannot hold NUL, and such input names no account (an email has no
/// control characters), so it only needs a key of its own.
const NUL_STAND_IN: char = char::REPLACEMENT_CHARACTER;
const MAX_ADDR_CHARS: usize = 64;

/// An attempt let through by [`begin`]: a failure until [`succeeded`] says
/// otherwise.
#[derive(Debug)]
pub struct Attempt {
    id: i64,
    email: String,
    client_addr: String,
}

/// Registers an attempt and refuses it when one of the limits is reached,
/// after waiting for earlier attempts in flight where they decide it.
pub async fn begin(
    db: &impl ConnectionTrait,
    email: &str,
    client_addr: &str,
    now: DateTime<Utc>,
) -> AppResult<Attempt> {
    let email = storable(email, MAX_EMAIL_CHARS);
    let client_addr = storable(client_addr, MAX_ADDR_CHARS);
    let attempt = login_attempts::ActiveModel {
        email: Set(email.clone()),
        client_addr: Set(client_addr.clone()),
        succeeded: Set(false),
        pending: Set(true),
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
    let waiting = std::time::Instant::now();
    let mut pause = FIRST_POLL;
    loop {
        let (retry_after_secs, limit) = match verdict(db, &attempt, now).await? {
            Verdict::Go => return Ok(attempt),
            Verdict::Wait(_) if waiting.elapsed() < MAX_WAIT => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_POLL);
                continue;
            }
            Verdict::Wait(limit) => (1, limit),
            Verdict::Locked(until, limit) => (
                u64::try_from((until - now).num_seconds())
                    .unwrap_or(0)
                    .max(1),
                limit,
            ),
        };
        login_attempts::Entity::delete_by_id(attempt.id)
            .exec(db)
            .await?;
        crate::monitoring::record_throttle_refusal(limit);
        return Err(AppError::RateLimited { retry_after_secs });
    }
}

/// What the limits say about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Under every limit.
    Go,
    /// Attempts begun earlier and still being checked decide whether this
    /// limit is reached: check again once they settle.
    Wait(Limit),
    /// Locked until then by settled failures of this limit.
    Locked(DateTime<Utc>, Limit),
}

/// `typed` as a `login_attempts` column holds it: at most `max` characters,
/// NUL replaced.
fn storable(typed: &str, max: usize) -> String {
    typed
        .chars()
        .take(max)
        .map(|c| if c == '\0' { NUL_STAND_IN } else { c })
        .collect()
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

/// The attempt's verdict over the three limits: locked when any limit says
/// so (until the latest), else waiting when any says wait.
async fn verdict(
    db: &impl ConnectionTrait,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> AppResult<Verdict> {
    let window = Duration::minutes(WINDOW_MINUTES);
    let account = login_attempts::Column::Email.eq(attempt.email.as_str());
    let address = login_attempts::Column::ClientAddr.eq(attempt.client_addr.as_str());
    let by_pair = limit_verdict(
        db,
        Condition::all().add(account.clone()).add(address.clone()),
        attempt.id,
        now,
        window,
        (
            MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
            Limit::AccountAndAddress,
        ),
    )
    .await?;
    let by_address = limit_verdict(
        db,
        Condition::all().add(address),
        attempt.id,
        now,
        window,
        (MAX_FAILURES_PER_ADDRESS, Limit::Address),
    )
    .await?;
    let by_account = match limit_verdict(
        db,
        Condition::all().add(account),
        attempt.id,
        now,
        Duration::minutes(ACCOUNT_WINDOW_MINUTES),
        (MAX_FAILURES_PER_ACCOUNT, Limit::Account),
    )
    .await?
    {
        Verdict::Go => Verdict::Go,
        _ if is_known_address(db, attempt, now).await? => Verdict::Go,
        other => other,
    };
    let verdicts = [by_pair, by_address, by_account];
    let locked = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Locked(until, limit) => Some((*until, *limit)),
            _ => None,
        })
        .max_by_key(|(until, _)| *until);
    let waiting = verdicts.iter().find_map(|v| match v {
        Verdict::Wait(limit) => Some(*limit),
        _ => None,
    });
    Ok(match (locked, waiting) {
        (Some((until, limit)), _) => Verdict::Locked(until, limit),
        (None, Some(limit)) => Verdict::Wait(limit),
        (None, None) => Verdict::Go,
    })
}

/// One limit: the newest `limit` attempts matching `key` within `window`
/// that count against the attempt (settled failures, and attempts begun
/// before it that are still being checked). Fewer than `limit`: go. All of
/// them settled: locked until the oldest leaves the window. Otherwise the
/// attempts in flight decide: wait.
async fn limit_verdict(
    db: &impl ConnectionTrait,
    key: Condition,
    own_attempt: i64,
    now: DateTime<Utc>,
    window: Duration,
    (limit, which): (u64, Limit),
) -> AppResult<Verdict> {
    let settle = now - Duration::seconds(SETTLE_SECS);
    let settled = Condition::any()
        .add(login_attempts::Column::Pending.eq(false))
        .add(login_attempts::Column::AttemptedAt.lte(settle));
    let counted: Vec<(DateTime<Utc>, bool)> = login_attempts::Entity::find()
        .select_only()
        .column(login_attempts::Column::AttemptedAt)
        .column(login_attempts::Column::Pending)
        .filter(key)
        .filter(login_attempts::Column::Id.ne(own_attempt))
        .filter(login_attempts::Column::Succeeded.eq(false))
        .filter(login_attempts::Column::AttemptedAt.gt(now - window))
        .filter(
            Condition::any()
                .add(settled)
                .add(login_attempts::Column::Id.lt(own_attempt)),
        )
        .order_by_desc(login_attempts::Column::AttemptedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if (counted.len() as u64) < limit {
        return Ok(Verdict::Go);
    }
    let in_flight = |(at, pending): &(DateTime<Utc>, bool)| *pending && *at > settle;
    if counted.iter().any(in_flight) {
        return Ok(Verdict::Wait(which));
    }
    Ok(counted.last().map_or(Verdict::Go, |(oldest, _)| {
        Verdict::Locked(*oldest + window, which)
    }))
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
        .col_expr(login_attempts::Column::Pending, Expr::value(false))
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

/// The attempt failed (a wrong password, an unknown or inactive account):
/// it settles as a failure and counts from now on.
pub async fn failed(db: &impl ConnectionTrait, attempt: Attempt) -> AppResult<()> {
    login_attempts::Entity::update_many()
        .col_expr(login_attempts::Column::Pending, Expr::value(false))
        .filter(login_attempts::Column::Id.eq(attempt.id))
        .exec(db)
        .await?;
    Ok(())
}

/// The account's password was reset by its owner (who proved it by the
/// emailed link): every lock on the account lifts, from every address.
/// `email` is the account's login email.
pub async fn clear_account(db: &impl ConnectionTrait, email: &str) -> AppResult<()> {
    let email = storable(email, MAX_EMAIL_CHARS);
    delete_failures(
        db,
        Condition::all().add(login_attempts::Column::Email.eq(email)),
    )
    .await
}

/// Deletes the settled failures matching `key`; attempts still being
/// checked settle on their own.
async fn delete_failures(db: &impl ConnectionTrait, key: Condition) -> AppResult<()> {
    login_attempts::Entity::delete_many()
        .filter(key)
        .filter(login_attempts::Column::Succeeded.eq(false))
        .filter(login_attempts::Column::Pending.eq(false))
        .exec(db)
        .await?;
    Ok(())
}
