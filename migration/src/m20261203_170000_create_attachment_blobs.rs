//! Creates `attachment_blobs`: the bytes of attachments when they are kept
//! in the database (`ATTACHMENT_STORE=database`), so that every instance of
//! the server reads the same files. Content-addressed: the key is the
//! SHA-256 of the bytes (lower-case hex), so the same bytes are one row
//! whoever uploads them. The size is bounded as `attachments.size_bytes`
//! is (1 byte to 10 MiB) and must be the length of the bytes. Rows are not
//! tied to `attachments` by a foreign key: one blob serves every attachment
//! with the same bytes, and the store, not the schema, removes a blob that
//! none references.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{checked, drop_table, named_check};

/// Largest accepted file: 10 MiB.
const MAX_SIZE_BYTES: i64 = 10 * 1024 * 1024;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AttachmentBlobs {
    Table,
    Sha256,
    Bytes,
    SizeBytes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AttachmentBlobs::Table)
                    .col(
                        checked(
                            AttachmentBlobs::Table,
                            string_len(AttachmentBlobs::Sha256, 64),
                            |c| Func::char_length(c).eq(64),
                        )
                        .primary_key()
                        .take(),
                    )
                    // `bytea` on PostgreSQL, `blob` on SQLite.
                    .col(blob(AttachmentBlobs::Bytes))
                    .col(checked(
                        AttachmentBlobs::Table,
                        big_integer(AttachmentBlobs::SizeBytes),
                        |c| c.clone().gt(0).and(c.lte(MAX_SIZE_BYTES)),
                    ))
                    .col(timestamp_with_time_zone(AttachmentBlobs::CreatedAt))
                    .check(named_check(
                        AttachmentBlobs::Table,
                        "size_matches",
                        Expr::cust("length(bytes) = size_bytes"),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, AttachmentBlobs::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
