//! Creates `tickets`: the requests of the service desk. `reference` is
//! `GEM-<n>`, n taken from the `gem` counter in the creating transaction.
//! `version` is bumped by every update and checked by it (optimistic
//! locking). The indexes serve the ticket lists: by organisation, by creator
//! within an organisation (CREATOR_ONLY visibility), by status, newest first.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, bounded_null, drop_table, fk, id, index, one_of, unique};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::Users;

/// Ticket statuses, shared with `ticket_events.from_status`/`to_status`.
pub(crate) const TICKET_STATUSES: &[&str] = &[
    "REVIEW",
    "QUEUED",
    "READY_TO_SHIP",
    "READY_FOR_BILLING",
    "BILLED",
    "CANCELLED",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Tickets {
    Table,
    OrganisationId,
    Reference,
    CreatedById,
    Kind,
    Status,
    Subject,
    Description,
    InternalReference,
    RelatedTicketId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(id())
                    .col(big_integer(Tickets::OrganisationId))
                    .col(bounded(Tickets::Reference, 32))
                    .col(big_integer(Tickets::CreatedById))
                    .col(one_of(
                        Tickets::Table,
                        Tickets::Kind,
                        &["LAPTOP_ORDER", "DELIVERY_ISSUE", "OTHER"],
                    ))
                    .col(one_of(Tickets::Table, Tickets::Status, TICKET_STATUSES).default("REVIEW"))
                    .col(bounded(Tickets::Subject, 200))
                    .col(text_null(Tickets::Description))
                    .col(bounded_null(Tickets::InternalReference, 64))
                    .col(big_integer_null(Tickets::RelatedTicketId))
                    .col(integer(Tickets::Version).default(0))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .index(&mut unique(Tickets::Table, [Tickets::Reference]))
                    .foreign_key(&mut fk(
                        Tickets::Table,
                        Tickets::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Tickets::Table,
                        Tickets::CreatedById,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Tickets::Table,
                        Tickets::RelatedTicketId,
                        Tickets::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![Tickets::OrganisationId, Tickets::CreatedAt],
            vec![
                Tickets::OrganisationId,
                Tickets::CreatedById,
                Tickets::CreatedAt,
            ],
            vec![Tickets::OrganisationId, Tickets::Status, Tickets::CreatedAt],
            vec![Tickets::Status, Tickets::CreatedAt],
            vec![Tickets::CreatedAt],
        ] {
            manager.create_index(index(Tickets::Table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Tickets::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
