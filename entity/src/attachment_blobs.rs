//! `attachment_blobs`: the bytes of attachments kept in the database
//! (`ATTACHMENT_STORE=database`), one row per distinct content, keyed by
//! its SHA-256. `attachments.storage_key` names the row; no foreign key
//! ties them, since one blob serves every attachment with the same bytes.

use sea_orm::entity::prelude::*;

/// The bytes of one distinct file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachment_blobs")]
pub struct Model {
    /// SHA-256 of `bytes`, lower-case hex: the storage key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    /// The content.
    pub bytes: Vec<u8>,
    /// Length of `bytes`, 1..=10 MiB.
    pub size_bytes: i64,
    /// When these bytes were first stored.
    pub created_at: DateTimeUtc,
}

/// A blob is related to nothing by the schema.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
