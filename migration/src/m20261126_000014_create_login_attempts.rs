//! Creates `login_attempts`: one row per login attempt, read by the login
//! throttle, so that every server instance sees the same counts.
//!
//! `email` is what was typed, lower-cased; it need not belong to a user (an
//! attacker probes unknown addresses too, and those must be throttled the
//! same way, without revealing which addresses exist). Hence there is no
//! foreign key to `users` and no `organisation_id`: an attempt belongs to no
//! tenant, and the table is only ever read by the throttle, never through
//! the tenant-scoped queries. Old rows can be deleted freely.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, drop_table, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Email,
    ClientAddr,
    Succeeded,
    AttemptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .col(id())
                    .col(bounded(LoginAttempts::Email, 254))
                    .col(bounded(LoginAttempts::ClientAddr, 64))
                    .col(boolean(LoginAttempts::Succeeded))
                    .col(timestamp_with_time_zone(LoginAttempts::AttemptedAt))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![LoginAttempts::Email, LoginAttempts::AttemptedAt],
            vec![LoginAttempts::ClientAddr, LoginAttempts::AttemptedAt],
        ] {
            manager
                .create_index(index(LoginAttempts::Table, cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, LoginAttempts::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
