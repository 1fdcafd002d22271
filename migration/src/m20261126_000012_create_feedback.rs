//! Creates `feedback`: messages sent with the "give feedback" button. Staff
//! list all of them; partners see what they (or, for a manager, their
//! organisation) sent.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{drop_table, fk, id, index};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Feedback {
    Table,
    OrganisationId,
    AuthorId,
    Message,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Feedback::Table)
                    .col(id())
                    .col(big_integer(Feedback::OrganisationId))
                    .col(big_integer(Feedback::AuthorId))
                    .col(text(Feedback::Message))
                    .col(timestamp_with_time_zone(Feedback::CreatedAt))
                    .foreign_key(&mut fk(
                        Feedback::Table,
                        Feedback::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Feedback::Table,
                        Feedback::AuthorId,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![Feedback::OrganisationId, Feedback::CreatedAt],
            vec![
                Feedback::OrganisationId,
                Feedback::AuthorId,
                Feedback::CreatedAt,
            ],
        ] {
            manager.create_index(index(Feedback::Table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Feedback::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
