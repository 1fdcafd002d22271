//! `users`: the logins. `email` is stored lower-cased and is unique, which
//! makes it unique case-insensitively; the database rejects an email that is
//! not lower-case.

use sea_orm::entity::prelude::*;

use crate::enums::{Locale, Role};

/// A login of a partner organisation or of the provider's staff.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organisation the user belongs to.
    pub organisation_id: i64,
    /// Login, lower-cased, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// argon2id hash (PHC string); `None` until a password is set, and such a
    /// user cannot log in.
    #[sea_orm(column_type = "Text", nullable)]
    pub password_hash: Option<String>,
    /// What the user may do.
    pub role: Role,
    /// Language of the user's emails.
    pub locale: Locale,
    /// An inactive user cannot log in.
    pub is_active: bool,
    /// Bumped to revoke every token issued to the user.
    pub token_version: i32,
    /// Whether this STAFF or ADMIN user gets an email when a partner
    /// orders, comments, reports a delivery issue or sends feedback.
    pub staff_notifications: bool,
    /// Last successful login.
    pub last_login_at: Option<DateTimeUtc>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// The user's organisation and the rows that point to the user.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The organisation the user belongs to.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// Password reset and invitation tokens of the user.
    #[sea_orm(has_many = "super::password_reset_tokens::Entity")]
    PasswordResetTokens,
    /// Tickets the user created.
    #[sea_orm(has_many = "super::tickets::Entity")]
    Tickets,
    /// Ticket events the user caused.
    #[sea_orm(has_many = "super::ticket_events::Entity")]
    TicketEvents,
    /// Orders the user shipped.
    #[sea_orm(has_many = "super::orders::Entity")]
    Orders,
    /// Comments the user wrote.
    #[sea_orm(has_many = "super::comments::Entity")]
    Comments,
    /// Files the user uploaded.
    #[sea_orm(has_many = "super::attachments::Entity")]
    Attachments,
    /// Feedback the user sent.
    #[sea_orm(has_many = "super::feedback::Entity")]
    Feedback,
    /// Emails queued for the user.
    #[sea_orm(has_many = "super::email_outbox::Entity")]
    EmailOutbox,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::password_reset_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PasswordResetTokens.def()
    }
}

impl Related<super::tickets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tickets.def()
    }
}

impl Related<super::ticket_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TicketEvents.def()
    }
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Orders.def()
    }
}

impl Related<super::comments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Comments.def()
    }
}

impl Related<super::attachments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attachments.def()
    }
}

impl Related<super::feedback::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Feedback.def()
    }
}

impl Related<super::email_outbox::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailOutbox.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
