//! The outbox rows as the worker sees them: claim one due row under a
//! lease, then record its outcome, only while the lease is still the
//! claimer's (`attempts` identifies the claim: each claim increments it).
//!
//! The claim is a system read of the policy module: the worker acts for
//! no viewer and never hands rows to a client. Recording an outcome
//! writes only the row it claimed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::email_outbox::{self, Column};
use entity::enums::EmailStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::policy;

/// Longest `last_error` kept, in characters.
const MAX_ERROR_CHARS: usize = 1000;

/// Leases the oldest due PENDING row until `now + lease` and counts the
/// attempt; `None` when nothing is due. The read is the policy module's
/// ([`policy::system::claim_due_email`]).
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<email_outbox::Model>, DbErr> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    policy::system::claim_due_email(db, now, until).await
}

/// The row as claimed: still PENDING, and not claimed again since.
fn still_ours(row: &email_outbox::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::Id.eq(row.id))
        .add(Column::Status.eq(EmailStatus::Pending))
        .add(Column::Attempts.eq(row.attempts))
}

/// Records a delivery (`SENT` or `LOGGED`) and drops the sealed body: the
/// link it carries is no longer needed.
pub async fn delivered(
    db: &impl ConnectionTrait,
    row: &email_outbox::Model,
    status: EmailStatus,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email_outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::SentAt, Expr::value(Some(now)))
        .col_expr(Column::LeasedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(Column::BodySealed, Expr::value(None::<String>))
        .col_expr(Column::LastError, Expr::value(None::<String>))
        .filter(still_ours(row))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed attempt: to be retried at `retry_at`, or DEAD when
/// there is none.
pub async fn failed(
    db: &impl ConnectionTrait,
    row: &email_outbox::Model,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let mut update = email_outbox::Entity::update_many()
        .col_expr(Column::LeasedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(Column::LastError, Expr::value(Some(error)));
    update = match retry_at {
        Some(at) => update.col_expr(Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(Column::Status, Expr::value(EmailStatus::Dead)),
    };
    update.filter(still_ours(row)).exec(db).await?;
    Ok(())
}
