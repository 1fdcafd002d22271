//! `email_outbox`: emails written in the transaction of the change that
//! causes them and delivered by a background worker, with retries. The
//! message is rendered when queued and stored as it will be sent.

use sea_orm::entity::prelude::*;

use crate::enums::{EmailKind, EmailStatus, Locale};

/// A queued email.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organisation the email is about.
    pub organisation_id: i64,
    /// The recipient, when it is a user.
    pub user_id: Option<i64>,
    /// Why the email is sent.
    pub kind: EmailKind,
    /// Recipient address.
    pub to_address: String,
    /// Language the email was rendered in.
    pub locale: Locale,
    /// Subject line.
    pub subject: String,
    /// Plain-text body. For an email that carries a token, the body with
    /// its link removed: safe to log and to show.
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    /// The full body of an email that carries a token, encrypted (see
    /// `partnerdesk::mail::seal`); cleared once delivered.
    #[sea_orm(column_type = "Text", nullable)]
    pub body_sealed: Option<String>,
    /// File name of the attachment, if any.
    pub attachment_name: Option<String>,
    /// Content type of the attachment.
    pub attachment_content_type: Option<String>,
    /// Attachment content (text, e.g. an invoice CSV).
    #[sea_orm(column_type = "Text", nullable)]
    pub attachment_body: Option<String>,
    /// Pending, sent, logged or dead.
    pub status: EmailStatus,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Earliest time of the next attempt.
    pub next_attempt_at: DateTimeUtc,
    /// While set and in the future, a worker is sending the email and no
    /// other may claim it.
    pub leased_until: Option<DateTimeUtc>,
    /// Error of the last failed attempt.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When the email was queued.
    pub created_at: DateTimeUtc,
    /// When it was delivered.
    pub sent_at: Option<DateTimeUtc>,
}

/// The email's organisation and recipient.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The organisation the email is about.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// The recipient, when it is a user.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "NoAction"
    )]
    User,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
