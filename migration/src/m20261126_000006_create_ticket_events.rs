//! Creates `ticket_events`: the history of a ticket (creation, status
//! changes, shipping, invoicing, comments, attachments). Rows are only ever
//! inserted, in the same transaction as the change they record. `actor_id`
//! is NULL for changes made by the system (e.g. a scheduled job).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_table, fk, id, index, one_of, one_of_null};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::Users;
use crate::m20261126_000005_create_tickets::{TICKET_STATUSES, Tickets};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    OrganisationId,
    TicketId,
    ActorId,
    Kind,
    FromStatus,
    ToStatus,
    Note,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TicketEvents::Table)
                    .col(id())
                    .col(big_integer(TicketEvents::OrganisationId))
                    .col(big_integer(TicketEvents::TicketId))
                    .col(big_integer_null(TicketEvents::ActorId))
                    .col(one_of(
                        TicketEvents::Table,
                        TicketEvents::Kind,
                        &[
                            "CREATED",
                            "STATUS_CHANGED",
                            "SHIPPED",
                            "INVOICED",
                            "COMMENTED",
                            "ATTACHMENT_ADDED",
                        ],
                    ))
                    .col(one_of_null(
                        TicketEvents::Table,
                        TicketEvents::FromStatus,
                        TICKET_STATUSES,
                    ))
                    .col(one_of_null(
                        TicketEvents::Table,
                        TicketEvents::ToStatus,
                        TICKET_STATUSES,
                    ))
                    .col(text_null(TicketEvents::Note))
                    .col(timestamp_with_time_zone(TicketEvents::CreatedAt))
                    .foreign_key(&mut fk(
                        TicketEvents::Table,
                        TicketEvents::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        TicketEvents::Table,
                        TicketEvents::TicketId,
                        Tickets::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        TicketEvents::Table,
                        TicketEvents::ActorId,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![
                TicketEvents::OrganisationId,
                TicketEvents::TicketId,
                TicketEvents::CreatedAt,
            ],
            vec![TicketEvents::TicketId, TicketEvents::CreatedAt],
        ] {
            manager
                .create_index(index(TicketEvents::Table, cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, TicketEvents::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
