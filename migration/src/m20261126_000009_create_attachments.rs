//! Creates `attachments`: files uploaded on a ticket (e.g. a training
//! certificate). Only the metadata lives here; the bytes are in the file
//! store under `storage_key` (content-addressed by `sha256`). The content
//! type is the one detected from the file's bytes, and the size limit
//! (10 MiB) is enforced here too. Attachments go with their ticket.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, checked, drop_table, fk, id, index, one_of};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::Users;
use crate::m20261126_000005_create_tickets::Tickets;

/// Largest accepted file: 10 MiB.
const MAX_SIZE_BYTES: i64 = 10 * 1024 * 1024;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Attachments {
    Table,
    OrganisationId,
    TicketId,
    UploadedById,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    StorageKey,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(id())
                    .col(big_integer(Attachments::OrganisationId))
                    .col(big_integer(Attachments::TicketId))
                    .col(big_integer(Attachments::UploadedById))
                    .col(bounded(Attachments::FileName, 255))
                    .col(one_of(
                        Attachments::Table,
                        Attachments::ContentType,
                        &["application/pdf", "image/png", "image/jpeg"],
                    ))
                    .col(checked(
                        Attachments::Table,
                        big_integer(Attachments::SizeBytes),
                        |c| c.clone().gt(0).and(c.lte(MAX_SIZE_BYTES)),
                    ))
                    .col(bounded(Attachments::Sha256, 64))
                    .col(bounded(Attachments::StorageKey, 255))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .foreign_key(&mut fk(
                        Attachments::Table,
                        Attachments::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Attachments::Table,
                        Attachments::TicketId,
                        Tickets::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Attachments::Table,
                        Attachments::UploadedById,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![Attachments::OrganisationId, Attachments::TicketId],
            vec![Attachments::TicketId],
        ] {
            manager
                .create_index(index(Attachments::Table, cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Attachments::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
