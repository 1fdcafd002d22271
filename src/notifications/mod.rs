//! Emails: written to the `email_outbox` table in the same transaction as
//! the change they report, so that an email is queued exactly when its
//! change commits.
//!
//! The worker of `crate::mail` delivers them. An email whose body carries
//! a token (password reset, invitation) is queued with
//! [`enqueue_sealed`]: its full text is stored encrypted and `body_text`
//! holds the same text without the link, so the table never shows a token
//! in clear.
//!
//! [`staff`] tells the provider's staff of a partner's order, comment,
//! delivery issue or feedback, through the same outbox.

pub mod staff;
pub mod templates;

use chrono::{DateTime, Utc};
use entity::email_outbox;
use entity::enums::{EmailKind, EmailStatus, Locale};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait};

use crate::error::AppResult;
use crate::mail::seal::BodyKey;

/// An email to queue.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub organisation_id: i64,
    pub user_id: Option<i64>,
    pub kind: EmailKind,
    pub to: String,
    pub locale: Locale,
    pub subject: String,
    pub body: String,
}

/// A file sent with an email (an invoice's CSV), stored as text.
#[derive(Debug, Clone)]
pub struct EmailAttachment {
    pub name: String,
    pub content_type: String,
    pub body: String,
}

/// Queues `email` on `db`, which should be the transaction of the change.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    email: OutgoingEmail,
    now: DateTime<Utc>,
) -> AppResult<()> {
    insert(db, email, None, None, now).await
}

/// Queues an email whose full body, `secret_body`, carries a token: it is
/// stored sealed under `key`, and `email.body` (the same text without the
/// link) in clear.
pub async fn enqueue_sealed(
    db: &impl ConnectionTrait,
    key: &BodyKey,
    email: OutgoingEmail,
    secret_body: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    insert(db, email, Some(key.seal(secret_body)), None, now).await
}

/// Queues `email` with `attachment` on `db`, the transaction of the change.
pub async fn enqueue_with_attachment(
    db: &impl ConnectionTrait,
    email: OutgoingEmail,
    attachment: Option<EmailAttachment>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    insert(db, email, None, attachment, now).await
}

async fn insert(
    db: &impl ConnectionTrait,
    email: OutgoingEmail,
    body_sealed: Option<String>,
    attachment: Option<EmailAttachment>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let (name, content_type, body) = match attachment {
        Some(a) => (Some(a.name), Some(a.content_type), Some(a.body)),
        None => (None, None, None),
    };
    email_outbox::ActiveModel {
        organisation_id: Set(email.organisation_id),
        user_id: Set(email.user_id),
        kind: Set(email.kind),
        to_address: Set(email.to),
        locale: Set(email.locale),
        subject: Set(email.subject),
        body_text: Set(email.body),
        body_sealed: Set(body_sealed),
        attachment_name: Set(name),
        attachment_content_type: Set(content_type),
        attachment_body: Set(body),
        status: Set(EmailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        leased_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
