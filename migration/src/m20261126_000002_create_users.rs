//! Creates `users`: the logins. The email is the login key; the application
//! stores it lower-cased, and the CHECK `ck_users_email_lower` together with
//! `uq_users_email` makes it unique case-insensitively on both backends. A
//! NULL `password_hash` means no password was set yet: such a user cannot log
//! in until an invitation or reset link is used.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, drop_table, fk, id, index, named_check, one_of, unique};
use crate::m20261126_000001_create_organisations::Organisations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    OrganisationId,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    Locale,
    IsActive,
    TokenVersion,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

/// Locales of the product, shared with `email_outbox.locale`.
pub(crate) const LOCALES: &[&str] = &["fr", "de", "it", "en"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id())
                    .col(big_integer(Users::OrganisationId))
                    .col(bounded(Users::Email, 254))
                    .col(bounded(Users::DisplayName, 200))
                    .col(text_null(Users::PasswordHash))
                    .col(one_of(
                        Users::Table,
                        Users::Role,
                        &["PARTNER_MEMBER", "PARTNER_MANAGER", "STAFF", "ADMIN"],
                    ))
                    .col(one_of(Users::Table, Users::Locale, LOCALES).default("fr"))
                    .col(boolean(Users::IsActive).default(true))
                    .col(integer(Users::TokenVersion).default(0))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .index(&mut unique(Users::Table, [Users::Email]))
                    .check(named_check(
                        Users::Table,
                        "email_lower",
                        Expr::col(Users::Email).eq(Func::lower(Expr::col(Users::Email))),
                    ))
                    .foreign_key(&mut fk(
                        Users::Table,
                        Users::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Users::Table,
                [Users::OrganisationId, Users::DisplayName],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Users::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
