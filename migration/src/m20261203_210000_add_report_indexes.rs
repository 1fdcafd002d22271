//! Indexes that let the reports over one organisation read an index alone
//! (PostgreSQL's index-only scan), not one heap page per shipped order or
//! invoice: at "large" (50,000 tickets in the largest organisation) the
//! devices, lead-time and billing reports each read some 18,000 table
//! pages and took about 300 ms; with these they take under 60 ms
//! (`docs/BENCHMARKS.md`, "Reports at large").
//!
//! - orders: the organisation, then `shipped_at` (the reports' filter and
//!   the shipments' buckets), then what the reports read of a shipped
//!   order: `created_at` (the lead time), `device_model` and
//!   `for_learning` (the devices);
//! - invoices: the organisation, then `issued_at` (the quarters), then
//!   `status` and `total_cents` (the billing totals).
//!
//! The names carry the leading columns and say what the rest is for: the
//! full column list would pass PostgreSQL's 63-character limit.

use sea_orm_migration::prelude::*;

use crate::m20261126_000007_create_orders::Orders;
use crate::m20261126_000010_create_invoices::Invoices;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The new indexes, by name.
const ORDERS_REPORTS: &str = "ix_orders_organisation_id_shipped_at_reports";
const INVOICES_REPORTS: &str = "ix_invoices_organisation_id_issued_at_reports";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(ORDERS_REPORTS)
                    .table(Orders::Table)
                    .col(Orders::OrganisationId)
                    .col(Orders::ShippedAt)
                    .col(Orders::CreatedAt)
                    .col(Orders::DeviceModel)
                    .col(Orders::ForLearning)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INVOICES_REPORTS)
                    .table(Invoices::Table)
                    .col(Invoices::OrganisationId)
                    .col(Invoices::IssuedAt)
                    .col(Invoices::Status)
                    .col(Invoices::TotalCents)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INVOICES_REPORTS)
                    .table(Invoices::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(ORDERS_REPORTS)
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
