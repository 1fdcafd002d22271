//! Per-request loaders of invoices and their lines, through the viewer's
//! scope: a page of invoices with their lines, or of tickets with their
//! invoice lines, costs one statement per relation, whatever its size.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{invoice_lines, invoices};
use sea_orm::{ColumnTrait, DatabaseConnection};

use crate::error::AppError;
use crate::policy::Scope;

/// Invoices by id; those outside the scope are absent.
pub struct InvoiceLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for InvoiceLoader {
    type Value = invoices::Model;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .invoices()
            .filter(invoices::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// The lines of each invoice, in line order, by invoice id.
pub struct LinesByInvoiceLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for LinesByInvoiceLoader {
    type Value = Vec<invoice_lines::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .invoice_lines()
            .filter(invoice_lines::Column::InvoiceId.is_in(keys.iter().copied()))
            .order_by_asc(invoice_lines::Column::Id)
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<invoice_lines::Model>> = HashMap::new();
        for row in rows {
            grouped.entry(row.invoice_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// The live invoice line of each ticket's order, by ticket id.
pub struct LiveLineByTicketLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for LiveLineByTicketLoader {
    type Value = invoice_lines::Model;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .invoice_lines()
            .filter(invoice_lines::Column::TicketId.is_in(keys.iter().copied()))
            .filter(invoice_lines::Column::IsLive.eq(true))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.ticket_id, row)).collect())
    }
}
