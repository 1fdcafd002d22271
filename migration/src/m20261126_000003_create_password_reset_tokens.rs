//! Creates `password_reset_tokens`: single-use links that set a password,
//! either to reset it or to accept an invitation. Only the SHA-256 of the
//! token is stored (hex), so a leaked table grants nothing. Tokens go with
//! their user.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, drop_table, fk, id, index, one_of, unique};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PasswordResetTokens {
    Table,
    OrganisationId,
    UserId,
    TokenHash,
    Purpose,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PasswordResetTokens::Table)
                    .col(id())
                    .col(big_integer(PasswordResetTokens::OrganisationId))
                    .col(big_integer(PasswordResetTokens::UserId))
                    .col(bounded(PasswordResetTokens::TokenHash, 64))
                    .col(one_of(
                        PasswordResetTokens::Table,
                        PasswordResetTokens::Purpose,
                        &["RESET", "INVITE"],
                    ))
                    .col(timestamp_with_time_zone(PasswordResetTokens::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResetTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResetTokens::UsedAt))
                    .index(&mut unique(
                        PasswordResetTokens::Table,
                        [PasswordResetTokens::TokenHash],
                    ))
                    .foreign_key(&mut fk(
                        PasswordResetTokens::Table,
                        PasswordResetTokens::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        PasswordResetTokens::Table,
                        PasswordResetTokens::UserId,
                        Users::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                PasswordResetTokens::Table,
                [
                    PasswordResetTokens::OrganisationId,
                    PasswordResetTokens::UserId,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, PasswordResetTokens::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
