//! Adds `login_attempts.pending`: true while the attempt's password is
//! being checked. The throttle wrote every attempt as a failure before
//! checking it, so that concurrent attempts could not all slip under a
//! limit; but then six people of one office logging into a shared account
//! at once were refused as if they had guessed. With the flag, only
//! settled failures lock, and attempts in flight make later ones wait
//! their turn instead. Existing rows are settled.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Pending,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginAttempts::Table)
                    .add_column(boolean(LoginAttempts::Pending).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginAttempts::Table)
                    .drop_column(LoginAttempts::Pending)
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
