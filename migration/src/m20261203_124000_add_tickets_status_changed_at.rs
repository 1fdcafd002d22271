//! Adds `tickets.status_changed_at`: when the ticket last entered its
//! current status, so that a staff queue can sort by time in REVIEW (the
//! `updated_at` of a ticket also moves with every public comment).
//!
//! Existing rows are backfilled from their history: the time of the latest
//! event that moved the ticket to another status (its creation included),
//! or the ticket's creation when no such event exists. The column is then
//! NOT NULL. PostgreSQL adds it nullable, fills it and sets NOT NULL;
//! SQLite cannot add a NOT NULL column without a constant default nor
//! change a column afterwards, so there it carries the epoch as a default
//! that no row keeps (the backfill overwrites it and the application writes
//! the column on every insert). The indexes serve the ordering by it, over
//! all tickets and within a status.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;
use crate::m20261126_000005_create_tickets::Tickets;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Added {
    StatusChangedAt,
}

/// The latest status change of each ticket, or its creation.
const BACKFILL: &str = "UPDATE tickets SET status_changed_at = COALESCE(\
     (SELECT MAX(e.created_at) FROM ticket_events e \
      WHERE e.ticket_id = tickets.id AND e.to_status IS NOT NULL \
        AND (e.from_status IS NULL OR e.from_status <> e.to_status)), \
     created_at)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = manager.get_database_backend() == sea_orm::DatabaseBackend::Sqlite;
        let column = if sqlite {
            timestamp_with_time_zone(Added::StatusChangedAt)
                .default("1970-01-01T00:00:00+00:00")
                .take()
        } else {
            timestamp_with_time_zone_null(Added::StatusChangedAt)
        };
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(BACKFILL)
            .await?;
        if !sqlite {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE tickets ALTER COLUMN status_changed_at SET NOT NULL",
                )
                .await?;
        }
        for cols in [
            vec![Added::StatusChangedAt.into_iden()],
            vec![
                Tickets::Status.into_iden(),
                Added::StatusChangedAt.into_iden(),
            ],
        ] {
            manager.create_index(index(Tickets::Table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "ix_tickets_status_changed_at",
            "ix_tickets_status_status_changed_at",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Tickets::Table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .drop_column(Added::StatusChangedAt)
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
