//! Creates `invoices`: bills to an organisation, numbered `<year>-<6 digits>`
//! from the `invoice-<year>` counter. Amounts are integer CHF cents. The
//! billing email and address are copied from the organisation at issue time,
//! so an issued invoice never changes when the organisation does. The period
//! is the quarter (QUARTERLY) or the ship date (PER_ORDER, start = end).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{
    bounded, bounded_null, checked, drop_table, fk, id, index, named_check, one_of, unique,
};
use crate::m20261126_000001_create_organisations::{BILLING_MODES, Organisations};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Invoices {
    Table,
    OrganisationId,
    Number,
    BillingMode,
    PeriodStart,
    PeriodEnd,
    Status,
    Currency,
    SubtotalCents,
    VatRateBp,
    VatCents,
    TotalCents,
    BillingEmail,
    BillingAddress,
    IssuedAt,
    PaidAt,
    VoidedAt,
    VoidReason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(id())
                    .col(big_integer(Invoices::OrganisationId))
                    .col(bounded(Invoices::Number, 32))
                    .col(one_of(
                        Invoices::Table,
                        Invoices::BillingMode,
                        BILLING_MODES,
                    ))
                    .col(date(Invoices::PeriodStart))
                    .col(date(Invoices::PeriodEnd))
                    .col(
                        one_of(
                            Invoices::Table,
                            Invoices::Status,
                            &["ISSUED", "PAID", "VOID"],
                        )
                        .default("ISSUED"),
                    )
                    .col(bounded(Invoices::Currency, 3).default("CHF"))
                    .col(checked(
                        Invoices::Table,
                        big_integer(Invoices::SubtotalCents),
                        |c| c.gte(0),
                    ))
                    .col(checked(
                        Invoices::Table,
                        integer(Invoices::VatRateBp),
                        |c| c.between(0, 10_000),
                    ))
                    .col(checked(
                        Invoices::Table,
                        big_integer(Invoices::VatCents),
                        |c| c.gte(0),
                    ))
                    .col(checked(
                        Invoices::Table,
                        big_integer(Invoices::TotalCents),
                        |c| c.gte(0),
                    ))
                    .col(bounded_null(Invoices::BillingEmail, 254))
                    .col(text_null(Invoices::BillingAddress))
                    .col(timestamp_with_time_zone(Invoices::IssuedAt))
                    .col(timestamp_with_time_zone_null(Invoices::PaidAt))
                    .col(timestamp_with_time_zone_null(Invoices::VoidedAt))
                    .col(text_null(Invoices::VoidReason))
                    .col(timestamp_with_time_zone(Invoices::CreatedAt))
                    .index(&mut unique(Invoices::Table, [Invoices::Number]))
                    .check(named_check(
                        Invoices::Table,
                        "period",
                        Expr::col(Invoices::PeriodStart).lte(Expr::col(Invoices::PeriodEnd)),
                    ))
                    .foreign_key(&mut fk(
                        Invoices::Table,
                        Invoices::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![Invoices::OrganisationId, Invoices::IssuedAt],
            vec![Invoices::Status, Invoices::IssuedAt],
        ] {
            manager.create_index(index(Invoices::Table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Invoices::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
