//! `attachments`: metadata of the files uploaded on a ticket; the bytes are
//! in the file store under `storage_key`.

use sea_orm::entity::prelude::*;

/// An uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The ticket's organisation.
    pub organisation_id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// Who uploaded it.
    pub uploaded_by_id: i64,
    /// File name as uploaded.
    pub file_name: String,
    /// `application/pdf`, `image/png` or `image/jpeg`, as detected from the
    /// bytes (the database accepts nothing else).
    pub content_type: String,
    /// Size in bytes, 1..=10 MiB.
    pub size_bytes: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Key of the content in the file store.
    pub storage_key: String,
    /// When it was uploaded.
    pub created_at: DateTimeUtc,
}

/// The attachment's organisation, ticket and uploader.
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
    /// The ticket; attachments are deleted with it.
    #[sea_orm(
        belongs_to = "super::tickets::Entity",
        from = "Column::TicketId",
        to = "super::tickets::Column::Id",
        on_delete = "Cascade"
    )]
    Ticket,
    /// Who uploaded it.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UploadedById",
        to = "super::users::Column::Id",
        on_delete = "NoAction"
    )]
    UploadedBy,
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
        Relation::UploadedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
