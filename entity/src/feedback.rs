//! `feedback`: messages sent with the "give feedback" button.

use sea_orm::entity::prelude::*;

/// A feedback message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The author's organisation.
    pub organisation_id: i64,
    /// Who sent it.
    pub author_id: i64,
    /// The message, 1..=5000 characters.
    #[sea_orm(column_type = "Text")]
    pub message: String,
    /// When it was sent.
    pub created_at: DateTimeUtc,
}

/// The feedback's organisation and author.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The author's organisation.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// Who sent it.
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
