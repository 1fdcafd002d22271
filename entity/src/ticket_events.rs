//! `ticket_events`: the history of a ticket. Rows are only inserted, in the
//! transaction of the change they record.

use sea_orm::entity::prelude::*;

use crate::enums::{NoteTemplate, TicketEventKind, TicketStatus};

/// One entry in a ticket's history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_events")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The ticket's organisation.
    pub organisation_id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// Who caused the event; `None` for the system.
    pub actor_id: Option<i64>,
    /// What happened.
    pub kind: TicketEventKind,
    /// Status before a status change.
    pub from_status: Option<TicketStatus>,
    /// Status after a status change.
    pub to_status: Option<TicketStatus>,
    /// Free text, e.g. the reason of a cancellation.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// When the server wrote the note: which text, rendered in the
    /// reader's language on read.
    pub note_template: Option<NoteTemplate>,
    /// The template's parameter (tracking or invoice number).
    pub note_param: Option<String>,
    /// When it happened.
    pub created_at: DateTimeUtc,
}

/// The event's organisation, ticket and actor.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ticket's organisation.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// The ticket; events are deleted with it.
    #[sea_orm(
        belongs_to = "super::tickets::Entity",
        from = "Column::TicketId",
        to = "super::tickets::Column::Id",
        on_delete = "Cascade"
    )]
    Ticket,
    /// Who caused the event.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ActorId",
        to = "super::users::Column::Id",
        on_delete = "NoAction"
    )]
    Actor,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::tickets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ticket.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
