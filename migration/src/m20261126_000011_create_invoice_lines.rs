//! Creates `invoice_lines`: one line per shipped order on an invoice, holding
//! a snapshot of what the invoice prints (reference, internal reference,
//! entry and ship dates, device, delivery address, amount), so that later
//! edits of the ticket or order never change an issued invoice.
//!
//! "An order is never on two live invoices" is the partial unique index
//! `uq_invoice_lines_live_order` on `order_id WHERE is_live`; voiding an
//! invoice sets `is_live = false` on its lines, which releases their orders
//! for a new invoice. The same statement works on both backends (SQLite
//! reads the stored 0/1 as the condition). Lines go with their invoice.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, bounded_null, checked, drop_table, fk, id, index};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000005_create_tickets::Tickets;
use crate::m20261126_000007_create_orders::Orders;
use crate::m20261126_000010_create_invoices::Invoices;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    OrganisationId,
    InvoiceId,
    OrderId,
    TicketId,
    Reference,
    InternalReference,
    EnteredAt,
    ShippedAt,
    DeviceModel,
    DeliveryAddress,
    ForLearning,
    AmountCents,
    IsLive,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InvoiceLines::Table)
                    .col(id())
                    .col(big_integer(InvoiceLines::OrganisationId))
                    .col(big_integer(InvoiceLines::InvoiceId))
                    .col(big_integer(InvoiceLines::OrderId))
                    .col(big_integer(InvoiceLines::TicketId))
                    .col(bounded(InvoiceLines::Reference, 32))
                    .col(bounded_null(InvoiceLines::InternalReference, 64))
                    .col(timestamp_with_time_zone(InvoiceLines::EnteredAt))
                    .col(timestamp_with_time_zone(InvoiceLines::ShippedAt))
                    .col(bounded(InvoiceLines::DeviceModel, 200))
                    .col(text(InvoiceLines::DeliveryAddress))
                    .col(boolean(InvoiceLines::ForLearning))
                    .col(checked(
                        InvoiceLines::Table,
                        big_integer(InvoiceLines::AmountCents),
                        |c| c.gte(0),
                    ))
                    .col(boolean(InvoiceLines::IsLive).default(true))
                    .col(timestamp_with_time_zone(InvoiceLines::CreatedAt))
                    .foreign_key(&mut fk(
                        InvoiceLines::Table,
                        InvoiceLines::OrganisationId,
                        Organisations::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        InvoiceLines::Table,
                        InvoiceLines::InvoiceId,
                        Invoices::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        InvoiceLines::Table,
                        InvoiceLines::OrderId,
                        Orders::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        InvoiceLines::Table,
                        InvoiceLines::TicketId,
                        Tickets::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for cols in [
            vec![InvoiceLines::OrganisationId, InvoiceLines::InvoiceId],
            vec![InvoiceLines::InvoiceId],
        ] {
            manager
                .create_index(index(InvoiceLines::Table, cols))
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("uq_invoice_lines_live_order")
                    .table(InvoiceLines::Table)
                    .col(InvoiceLines::OrderId)
                    .unique()
                    .and_where(Expr::col(InvoiceLines::IsLive))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, InvoiceLines::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
