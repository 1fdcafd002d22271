//! Root fields for invoices: reading them (PARTNER_MANAGER their
//! organisation's, staff all); issuing, paying, voiding (staff).

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::invoices;
use sea_orm::{ColumnTrait, Condition};

use super::billing::Quarter;
use super::service;
use super::types::{Invoice, InvoiceStatus, TYPE_NAME};
use crate::context::ContextExt as _;
use crate::error::{AppError, AppResult};
use crate::organisations::types::TYPE_NAME as ORGANISATION;
use crate::policy;
use crate::relay::{self, Page, PageArgs, SortKey, SortValue};
use crate::tickets::types::TYPE_NAME as TICKET;

/// Which invoices to list; every criterion narrows the list.
#[derive(InputObject, Default)]
pub struct InvoiceFilter {
    /// Only the invoices of this organisation.
    pub organisation_id: Option<ID>,
    /// Any of these statuses.
    pub status: Option<Vec<InvoiceStatus>>,
    /// Issued at or after.
    pub issued_after: Option<DateTime<Utc>>,
    /// Issued before.
    pub issued_before: Option<DateTime<Utc>>,
}

/// The order of an invoice list.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum InvoiceOrder {
    /// Newest first (the default).
    #[default]
    IssuedAtDesc,
    /// Oldest first.
    IssuedAtAsc,
}

#[derive(Default)]
pub struct InvoicesQuery;

#[Object]
impl InvoicesQuery {
    /// The invoices the viewer may see (PARTNER_MANAGER: the organisation's;
    /// staff: all; PARTNER_MEMBER: none), filtered and ordered.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "Relay's four paging arguments")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which invoices to list; all the viewer may see when omitted.")]
        filter: Option<InvoiceFilter>,
        #[graphql(desc = "The order of the list; newest first when omitted.")] order_by: Option<
            InvoiceOrder,
        >,
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
    ) -> AppResult<Page<Invoice>> {
        let args = PageArgs::parse(first, after, last, before)?;
        let scope = ctx.scope()?;
        let mut select = scope.invoices();
        if let Some(filter) = filter {
            select = select.filter(filter_condition(filter)?);
        }
        let descending = order_by.unwrap_or_default() == InvoiceOrder::IssuedAtDesc;
        let key = SortKey {
            column: invoices::Column::IssuedAt,
            id: invoices::Column::Id,
            descending,
            value_of: |row: &invoices::Model| SortValue::Time(row.issued_at),
        };
        relay::paginate(&ctx.state()?.db, select, key, args, Invoice).await
    }

    /// One invoice by id; null when absent or not visible.
    async fn invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invoice's global id.")] id: ID,
    ) -> AppResult<Option<Invoice>> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        find(ctx, row_id).await
    }
}

fn filter_condition(filter: InvoiceFilter) -> AppResult<Condition> {
    let mut condition = Condition::all();
    if let Some(id) = filter.organisation_id {
        let id = relay::parse_global_id(&id, ORGANISATION, "filter.organisationId")?;
        condition = condition.add(invoices::Column::OrganisationId.eq(id));
    }
    if let Some(statuses) = filter.status {
        let statuses: Vec<entity::enums::InvoiceStatus> =
            statuses.into_iter().map(Into::into).collect();
        condition = condition.add(invoices::Column::Status.is_in(statuses));
    }
    if let Some(after) = filter.issued_after {
        condition = condition.add(invoices::Column::IssuedAt.gte(after));
    }
    if let Some(before) = filter.issued_before {
        condition = condition.add(invoices::Column::IssuedAt.lt(before));
    }
    Ok(condition)
}

/// One visible invoice by row id.
pub async fn find(ctx: &Context<'_>, row_id: i64) -> AppResult<Option<Invoice>> {
    let found = ctx.scope()?.invoice(&ctx.state()?.db, row_id).await;
    Ok(policy::null_if_absent(found)?.map(Invoice))
}

/// The invoice after a step.
#[derive(SimpleObject)]
pub struct InvoicePayload {
    /// The invoice as it is now.
    pub invoice: Invoice,
}

/// What a quarterly run issued.
#[derive(SimpleObject)]
pub struct IssueQuarterlyInvoicesPayload {
    /// The quarter, `2026-Q3`.
    pub quarter: String,
    /// One per QUARTERLY organisation with orders left to invoice; empty
    /// when everything of the quarter is invoiced already.
    pub invoices: Vec<Invoice>,
    /// What the run did, in one sentence ("nothing to invoice for 2026-Q3…").
    pub summary: String,
}

#[derive(Default)]
pub struct InvoicesMutation;

#[Object]
impl InvoicesMutation {
    /// Issues, for each QUARTERLY organisation, one invoice for its shipped
    /// orders of the quarter (Europe/Zurich calendar) that are on no live
    /// invoice, and emails it. STAFF and ADMIN; a quarter is invoiced once
    /// it is over. A second run issues nothing and says so.
    async fn issue_quarterly_invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The calendar year, such as 2026.")] year: i32,
        #[graphql(desc = "The quarter of the year: 1 to 4.")] quarter: i32,
    ) -> AppResult<IssueQuarterlyInvoicesPayload> {
        let scope = ctx.scope()?;
        let quarter = Quarter::new(year, quarter).map_err(|e| {
            let field = match e {
                super::billing::QuarterError::Year => "year",
                _ => "quarter",
            };
            AppError::validation(field, crate::error::Invalid::out_of_range(e.to_string()))
        })?;
        let run = service::issue_quarterly(ctx.state()?, scope, quarter).await?;
        Ok(IssueQuarterlyInvoicesPayload {
            quarter: run.quarter.to_string(),
            summary: run.summary(),
            invoices: run.invoices.into_iter().map(Invoice).collect(),
        })
    }

    /// Marks an ISSUED invoice paid on `paidAt`; each of its tickets moves
    /// to BILLED, with an event and an email to its creator. STAFF and
    /// ADMIN.
    async fn mark_invoice_paid(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invoice that was paid.")] id: ID,
        #[graphql(
            desc = "When the payment arrived: not in the future, and not before the invoice's issue date."
        )]
        paid_at: DateTime<Utc>,
    ) -> AppResult<InvoicePayload> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        let invoice = service::mark_paid(ctx.state()?, ctx.scope()?, row_id, paid_at).await?;
        Ok(InvoicePayload {
            invoice: Invoice(invoice),
        })
    }

    /// Voids an ISSUED invoice, with a reason; its orders are free for a new
    /// invoice (the next quarterly run, or `reissueInvoice`). STAFF and
    /// ADMIN.
    async fn void_invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invoice to void.")] id: ID,
        #[graphql(desc = "Why it is voided: 1 to 2,000 characters, line breaks allowed.")]
        reason: String,
    ) -> AppResult<InvoicePayload> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        let invoice = service::void(ctx.state()?, ctx.scope()?, row_id, &reason).await?;
        Ok(InvoicePayload {
            invoice: Invoice(invoice),
        })
    }

    /// Issues a new invoice for a shipped order of a PER_ORDER organisation
    /// whose invoice was voided. STAFF and ADMIN.
    async fn reissue_invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket of the shipped order to invoice again.")] ticket_id: ID,
    ) -> AppResult<InvoicePayload> {
        let row_id = relay::parse_global_id(&ticket_id, TICKET, "ticketId")?;
        let invoice = service::reissue(ctx.state()?, ctx.scope()?, row_id).await?;
        Ok(InvoicePayload {
            invoice: Invoice(invoice),
        })
    }
}
