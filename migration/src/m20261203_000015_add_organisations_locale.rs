//! Adds `organisations.locale`: the language of the emails sent to the
//! organisation itself (its invoices, to the billing email), one of the
//! product's locales, French unless set. Existing rows get French.

use sea_orm_migration::prelude::*;

use crate::helpers::one_of;
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::LOCALES;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Added {
    Locale,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .add_column(
                        one_of(Organisations::Table, Added::Locale, LOCALES)
                            .default("fr")
                            .take(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .drop_column(Added::Locale)
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
