//! `organisations`: the partner organisations and the provider itself, with
//! each one's ticket visibility rule, billing mode and price agreement.

use sea_orm::entity::prelude::*;

use crate::enums::{BillingMode, Locale, OrganisationKind, TicketVisibility};

/// An organisation (a partner, or the provider).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Display name, unique.
    #[sea_orm(unique)]
    pub name: String,
    /// Partner or provider.
    pub kind: OrganisationKind,
    /// May a partner member see the tickets of colleagues?
    pub ticket_visibility: TicketVisibility,
    /// Per order or quarterly; changed by staff only.
    pub billing_mode: BillingMode,
    /// Where invoices are emailed.
    pub billing_email: Option<String>,
    /// Postal billing address, printed on invoices.
    #[sea_orm(column_type = "Text", nullable)]
    pub billing_address: Option<String>,
    /// Unit price of a standard laptop, in CHF cents.
    pub price_standard_cents: i64,
    /// Unit price of a laptop for learning, in CHF cents.
    pub price_learning_cents: i64,
    /// VAT rate in basis points (0..=10000).
    pub vat_rate_bp: i32,
    /// Language of the emails to the organisation itself (its invoices).
    pub locale: Locale,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
    /// When the organisation was archived, if it was.
    pub archived_at: Option<DateTimeUtc>,
}

/// Tables that point to an organisation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Its users.
    #[sea_orm(has_many = "super::users::Entity")]
    Users,
    /// Its users' password tokens.
    #[sea_orm(has_many = "super::password_reset_tokens::Entity")]
    PasswordResetTokens,
    /// Its tickets.
    #[sea_orm(has_many = "super::tickets::Entity")]
    Tickets,
    /// Its tickets' events.
    #[sea_orm(has_many = "super::ticket_events::Entity")]
    TicketEvents,
    /// Its orders.
    #[sea_orm(has_many = "super::orders::Entity")]
    Orders,
    /// Its tickets' comments.
    #[sea_orm(has_many = "super::comments::Entity")]
    Comments,
    /// Its tickets' attachments.
    #[sea_orm(has_many = "super::attachments::Entity")]
    Attachments,
    /// Its invoices.
    #[sea_orm(has_many = "super::invoices::Entity")]
    Invoices,
    /// Its invoices' lines.
    #[sea_orm(has_many = "super::invoice_lines::Entity")]
    InvoiceLines,
    /// Feedback sent by its users.
    #[sea_orm(has_many = "super::feedback::Entity")]
    Feedback,
    /// Emails queued on its behalf.
    #[sea_orm(has_many = "super::email_outbox::Entity")]
    EmailOutbox,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
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

impl Related<super::invoices::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invoices.def()
    }
}

impl Related<super::invoice_lines::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InvoiceLines.def()
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
