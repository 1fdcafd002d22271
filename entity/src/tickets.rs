//! `tickets`: the requests of the service desk. `reference` is `GEM-<n>`
//! from the `gem` counter. Every update bumps `version` and checks the value
//! it read (optimistic locking), and writes a ticket event in the same
//! transaction.

use sea_orm::entity::prelude::*;

use crate::enums::{SubjectTemplate, TicketKind, TicketStatus};

/// A request in the service desk.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organisation the request is for.
    pub organisation_id: i64,
    /// `GEM-<n>`, unique.
    #[sea_orm(unique)]
    pub reference: String,
    /// Who created the ticket.
    pub created_by_id: i64,
    /// What the ticket is about.
    pub kind: TicketKind,
    /// Where the ticket is in the workflow.
    pub status: TicketStatus,
    /// One-line summary.
    pub subject: String,
    /// When the server wrote the subject: which text, rendered in the
    /// reader's language on read.
    pub subject_template: Option<SubjectTemplate>,
    /// The template's parameter (recipient name or ticket reference).
    pub subject_param: Option<String>,
    /// Longer description, if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// The partner's own reference (case or person number), printed on
    /// invoices.
    pub internal_reference: Option<String>,
    /// An earlier ticket this one is about (e.g. a delivery issue about an
    /// order).
    pub related_ticket_id: Option<i64>,
    /// Optimistic-locking version, bumped by every update.
    pub version: i32,
    /// When the ticket was created (the data-entry date on invoices).
    pub created_at: DateTimeUtc,
    /// When the ticket was last changed.
    pub updated_at: DateTimeUtc,
    /// When the ticket entered its current status (its creation, or the
    /// latest status change).
    pub status_changed_at: DateTimeUtc,
}

/// The ticket's owners and the rows that belong to it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The organisation the request is for.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// Who created the ticket.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CreatedById",
        to = "super::users::Column::Id",
        on_delete = "NoAction"
    )]
    CreatedBy,
    /// The earlier ticket this one is about.
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::RelatedTicketId",
        to = "Column::Id",
        on_delete = "NoAction"
    )]
    RelatedTicket,
    /// The history of the ticket.
    #[sea_orm(has_many = "super::ticket_events::Entity")]
    TicketEvents,
    /// The laptop order, for a LAPTOP_ORDER ticket.
    #[sea_orm(has_one = "super::orders::Entity")]
    Order,
    /// The conversation.
    #[sea_orm(has_many = "super::comments::Entity")]
    Comments,
    /// Uploaded files.
    #[sea_orm(has_many = "super::attachments::Entity")]
    Attachments,
    /// Invoice lines for the ticket's order.
    #[sea_orm(has_many = "super::invoice_lines::Entity")]
    InvoiceLines,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CreatedBy.def()
    }
}

impl Related<super::ticket_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TicketEvents.def()
    }
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
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

impl Related<super::invoice_lines::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InvoiceLines.def()
    }
}

/// From a ticket to the earlier ticket it is about
/// (`find_linked(RelatedTicketLink)`).
#[derive(Copy, Clone, Debug)]
pub struct RelatedTicketLink;

impl Linked for RelatedTicketLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::RelatedTicket.def()]
    }
}

impl ActiveModelBehavior for ActiveModel {}
