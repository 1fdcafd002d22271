//! GraphQL types of invoices and their lines.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{invoice_lines, invoices};

use super::billing;
use super::loaders::{InvoiceLoader, LinesByInvoiceLoader, LiveLineByTicketLoader};
use crate::context::ContextExt as _;
use crate::domain::{BasisPoints, Cents};
use crate::error::AppResult;
use crate::organisations::types::{BillingMode, Organisation};
use crate::relay::{self, Page, PageArgs};
use crate::tickets::loaders::TicketLoader;
use crate::tickets::types::Ticket;

pub const TYPE_NAME: &str = "Invoice";
pub const LINE_TYPE_NAME: &str = "InvoiceLine";

/// Where an invoice stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::InvoiceStatus")]
pub enum InvoiceStatus {
    /// Issued and emailed, not paid yet.
    Issued,
    /// Paid; its tickets are BILLED.
    Paid,
    /// Cancelled; its orders may be invoiced again.
    Void,
}

/// A bill to an organisation. Amounts are CHF cents.
#[derive(Debug, Clone)]
pub struct Invoice(pub invoices::Model);

/// A bill to a partner organisation for its shipped orders: one per order
/// or one per quarter, as its billing mode says. Amounts are in CHF cents.
/// Visible to the organisation's PARTNER_MANAGERs and to staff.
#[Object]
impl Invoice {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    /// `<year>-<6 digits>`, consecutive within a year.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The billed organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> AppResult<Organisation> {
        Organisation::load(ctx, self.0.organisation_id).await
    }

    /// The billing mode the invoice was issued under.
    async fn billing_mode(&self) -> BillingMode {
        self.0.billing_mode.into()
    }

    /// First day of the billed period (Zurich calendar): the quarter's
    /// first day, or the ship date for PER_ORDER.
    async fn period_start(&self) -> NaiveDate {
        self.0.period_start
    }

    /// Last day of the billed period.
    async fn period_end(&self) -> NaiveDate {
        self.0.period_end
    }

    /// Issued, paid or void.
    async fn status(&self) -> InvoiceStatus {
        self.0.status.into()
    }

    /// ISO 4217, `CHF`.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// Sum of the line amounts, in cents.
    async fn subtotal_cents(&self) -> i64 {
        self.0.subtotal_cents
    }

    /// VAT rate at issue time, in basis points (810 = 8.1 %).
    async fn vat_rate_basis_points(&self) -> i32 {
        self.0.vat_rate_bp
    }

    /// Sum of the lines' VAT (each rounded half up to the cent), in cents.
    async fn vat_cents(&self) -> i64 {
        self.0.vat_cents
    }

    /// Subtotal plus VAT, in cents.
    async fn total_cents(&self) -> i64 {
        self.0.total_cents
    }

    /// Where the invoice was emailed (as at issue time).
    async fn billing_email(&self) -> Option<&str> {
        self.0.billing_email.as_deref()
    }

    /// The billing address printed on the invoice (as at issue time).
    async fn billing_address(&self) -> Option<&str> {
        self.0.billing_address.as_deref()
    }

    /// When the invoice was issued and emailed.
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }

    /// When it was paid; null unless PAID.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }

    /// When it was voided; null unless VOID.
    async fn voided_at(&self) -> Option<DateTime<Utc>> {
        self.0.voided_at
    }

    /// Why it was voided.
    async fn void_reason(&self) -> Option<&str> {
        self.0.void_reason.as_deref()
    }

    /// Where to download the lines as CSV (`GET`, with the bearer token):
    /// UTF-8 with a BOM, a header row, one row per line.
    async fn csv_url(&self) -> String {
        csv_url(self.0.id)
    }

    /// One line per invoiced order, in line order.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    async fn lines(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items to return from the start of the list, or after `after`: 0 to 100. A page holds 20 items when neither `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Start after this cursor (an edge's `cursor`, or `pageInfo.endCursor` to get the next page)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end of the list, or before `before`: 0 to 100. Not together with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "End before this cursor (an edge's `cursor`, or `pageInfo.startCursor` to get the previous page)."
        )]
        before: Option<String>,
    ) -> AppResult<Page<InvoiceLine>> {
        let args = PageArgs::parse(first, after, last, before)?;
        let all = ctx
            .loader::<LinesByInvoiceLoader>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        relay::paginate_loaded(all, args, |line| line.id, InvoiceLine)
    }
}

/// The path of an invoice's CSV.
pub fn csv_url(id: i64) -> String {
    format!("/invoices/{}.csv", relay::to_global_id(TYPE_NAME, id).0)
}

/// One invoiced order: a snapshot taken when the invoice was issued.
#[derive(Debug, Clone)]
pub struct InvoiceLine(pub invoice_lines::Model);

/// One invoiced order on an invoice: a snapshot of the order, its device
/// and its price taken when the invoice was issued; later changes to the
/// ticket do not alter it.
#[Object]
impl InvoiceLine {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(LINE_TYPE_NAME, self.0.id)
    }

    /// The invoice the line is on.
    async fn invoice(&self, ctx: &Context<'_>) -> AppResult<Option<Invoice>> {
        Ok(load_invoice(ctx, self.0.invoice_id).await?.map(Invoice))
    }

    /// The order's ticket, when the viewer may see it.
    async fn ticket(&self, ctx: &Context<'_>) -> AppResult<Option<Ticket>> {
        Ok(ctx
            .loader::<TicketLoader>()?
            .load_one(self.0.ticket_id)
            .await?
            .map(Ticket))
    }

    /// The ticket's `GEM-` reference.
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    /// The partner's case or person number, if any.
    async fn internal_reference(&self) -> Option<&str> {
        self.0.internal_reference.as_deref()
    }

    /// Data-entry date: when the ticket was created.
    async fn entered_at(&self) -> DateTime<Utc> {
        self.0.entered_at
    }

    /// When the laptop was shipped.
    async fn shipped_at(&self) -> DateTime<Utc> {
        self.0.shipped_at
    }

    /// The shipped laptop's model.
    async fn device_model(&self) -> &str {
        &self.0.device_model
    }

    /// The delivery address, on one line.
    async fn delivery_address(&self) -> &str {
        &self.0.delivery_address
    }

    /// Whether the learning price applied.
    async fn for_learning(&self) -> bool {
        self.0.for_learning
    }

    /// The line's amount before VAT, in cents.
    async fn amount_cents(&self) -> i64 {
        self.0.amount_cents
    }

    /// The line's VAT at the invoice's rate, rounded half up, in cents.
    async fn vat_cents(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let rate = load_invoice(ctx, self.0.invoice_id)
            .await?
            .map_or(BasisPoints::ZERO, |invoice| {
                BasisPoints::from_stored(invoice.vat_rate_bp)
            });
        Ok(billing::line_vat(Cents::from_stored(self.0.amount_cents), rate).get())
    }

    /// False once the invoice is VOID: the order is free for a new invoice.
    async fn is_live(&self) -> bool {
        self.0.is_live
    }
}

async fn load_invoice(ctx: &Context<'_>, id: i64) -> AppResult<Option<invoices::Model>> {
    ctx.loader::<InvoiceLoader>()?.load_one(id).await
}

/// The live invoice line of a ticket's order, when the viewer may see it.
pub async fn live_line_of_ticket(
    ctx: &Context<'_>,
    ticket_id: i64,
) -> AppResult<Option<InvoiceLine>> {
    Ok(ctx
        .loader::<LiveLineByTicketLoader>()?
        .load_one(ticket_id)
        .await?
        .map(InvoiceLine))
}

/// The live invoice of a ticket's order, when the viewer may see it.
pub async fn live_invoice_of_ticket(
    ctx: &Context<'_>,
    ticket_id: i64,
) -> AppResult<Option<Invoice>> {
    let Some(line) = live_line_of_ticket(ctx, ticket_id).await? else {
        return Ok(None);
    };
    Ok(load_invoice(ctx, line.0.invoice_id).await?.map(Invoice))
}
