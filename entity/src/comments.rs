//! `comments`: the messages of a ticket's conversation. Never edited in
//! place.

use sea_orm::entity::prelude::*;

use crate::enums::CommentVisibility;

/// A message on a ticket.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The ticket's organisation.
    pub organisation_id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// Who wrote it.
    pub author_id: i64,
    /// Plain text.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// PUBLIC (partner and staff) or INTERNAL (staff only).
    pub visibility: CommentVisibility,
    /// When it was written.
    pub created_at: DateTimeUtc,
}

/// The comment's organisation, ticket and author.
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
    /// The ticket; comments are deleted with it.
    #[sea_orm(
        belongs_to = "super::tickets::Entity",
        from = "Column::TicketId",
        to = "super::tickets::Column::Id",
        on_delete = "Cascade"
    )]
    Ticket,
    /// Who wrote it.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::AuthorId",
        to = "super::users::Column::Id",
        on_delete = "NoAction"
    )]
    Author,
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
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
