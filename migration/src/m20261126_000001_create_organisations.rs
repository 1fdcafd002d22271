//! Creates `organisations`: the partner organisations and the provider itself,
//! with each one's ticket visibility rule, billing mode and price agreement.
//! Every tenant-owned table points here through `organisation_id`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, bounded_null, checked, drop_table, id, one_of, unique};

/// Billing modes, shared with `invoices.billing_mode`.
pub(crate) const BILLING_MODES: &[&str] = &["PER_ORDER", "QUARTERLY"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Organisations {
    Table,
    Name,
    Kind,
    TicketVisibility,
    BillingMode,
    BillingEmail,
    BillingAddress,
    PriceStandardCents,
    PriceLearningCents,
    VatRateBp,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(id())
                    .col(bounded(Organisations::Name, 200))
                    .col(one_of(
                        Organisations::Table,
                        Organisations::Kind,
                        &["PARTNER", "PROVIDER"],
                    ))
                    .col(
                        one_of(
                            Organisations::Table,
                            Organisations::TicketVisibility,
                            &["CREATOR_ONLY", "ORGANISATION"],
                        )
                        .default("CREATOR_ONLY"),
                    )
                    .col(
                        one_of(
                            Organisations::Table,
                            Organisations::BillingMode,
                            BILLING_MODES,
                        )
                        .default("PER_ORDER"),
                    )
                    .col(bounded_null(Organisations::BillingEmail, 254))
                    .col(text_null(Organisations::BillingAddress))
                    .col(checked(
                        Organisations::Table,
                        big_integer(Organisations::PriceStandardCents).default(0),
                        |c| c.gte(0),
                    ))
                    .col(checked(
                        Organisations::Table,
                        big_integer(Organisations::PriceLearningCents).default(0),
                        |c| c.gte(0),
                    ))
                    .col(checked(
                        Organisations::Table,
                        integer(Organisations::VatRateBp).default(0),
                        |c| c.between(0, 10_000),
                    ))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .col(timestamp_with_time_zone(Organisations::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Organisations::ArchivedAt))
                    .index(&mut unique(Organisations::Table, [Organisations::Name]))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Organisations::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
