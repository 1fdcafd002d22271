//! Creates `comments`: the messages of a ticket's conversation. PUBLIC ones
//! are shown to the partner, INTERNAL ones only to staff. Comments are never
//! edited in place; they go with their ticket.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_table, fk, id, index, one_of};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::Users;
use crate::m20261126_000005_create_tickets::Tickets;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Comments {
    Table,
    OrganisationId,
    TicketId,
    AuthorId,
    Body,
    Visibility,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .col(id())
                    .col(big_integer(Comments::OrganisationId))
                    .col(big_integer(Comments::TicketId))
                    .col(big_integer(Comments::AuthorId))
                    .col(text(Comments::Body))
                    .col(one_of(
                        Comments::Table,
                        Comments::Visibility,
                        &["PUBLIC", "INTERNAL"],
                    ))
                    .col(timestamp_with_time_zone(Comments::CreatedAt))
                    .foreign_key(&mut fk(
                        Comments::Table,
                        Comments::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Comments::Table,
                        Comments::TicketId,
                        Tickets::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Comments::Table,
                        Comments::AuthorId,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![
                Comments::OrganisationId,
                Comments::TicketId,
                Comments::CreatedAt,
            ],
            vec![
                Comments::TicketId,
                Comments::Visibility,
                Comments::CreatedAt,
            ],
        ] {
            manager.create_index(index(Comments::Table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Comments::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
