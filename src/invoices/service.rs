//! Invoicing services: issuing (on shipment for PER_ORDER organisations, by
//! quarter for QUARTERLY ones, again for a freed PER_ORDER order), paying
//! and voiding. Each is one transaction with its ticket events and its
//! emails.
//!
//! Invariants:
//! - an order is on at most one live invoice: the partial unique index
//!   `uq_invoice_lines_live_order` says so, and a violation that still
//!   happens is a CONFLICT, never an INTERNAL error;
//! - invoice numbers are consecutive per year: every issuing transaction
//!   takes the `invoice-<year>` counter row first (an upsert with
//!   `RETURNING`), so concurrent issuers queue on that row, and a rolled
//!   back one gives its number back. Because the quarterly run holds the
//!   row before it reads which orders are left, a second, concurrent run
//!   reads after the first has committed and finds nothing left;
//! - an issued invoice never changes but for its status: its lines are
//!   snapshots, and its prices, VAT rate and billing details are copied
//!   from the organisation when it is issued;
//! - only STAFF and ADMIN issue, pay, void and re-issue, and only an ISSUED
//!   invoice is paid or voided; every refused step changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use entity::enums::{
    BillingMode, EmailKind, InvoiceStatus, NoteTemplate, OrganisationKind, TicketEventKind,
    TicketKind, TicketStatus,
};
use entity::{invoice_lines, invoices, orders, organisations, tickets};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, SqlErr, Statement, TransactionTrait,
};

use super::billing::{self, Prices, Quarter, zurich_date};
use super::csv;
use crate::domain::{Cents, multi_line};
use crate::error::{AppError, AppResult, Invalid};
use crate::i18n::EventNote;
use crate::live::LiveEvent;
use crate::notifications::templates::{self, InvoiceNews};
use crate::notifications::{self, EmailAttachment, OutgoingEmail};
use crate::policy::Scope;
use crate::state::AppState;
use crate::tickets::events::{self, NewEvent};
use crate::tickets::service::{self as tickets_service, Emails, Step};
use crate::tickets::workflow::{Action, Actor};

/// Who asks for an invoicing step: a staff member (the step's events name
/// them), or the scheduler of the command line (the system).
fn actor_of(scope: &Scope) -> Option<i64> {
    scope.acting_user()
}

fn require_staff(scope: &Scope, what: &str) -> AppResult<()> {
    if scope.viewer().is_staff() {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "only the provider's staff {what}"
        )))
    }
}

/// Runs `upsert` on the `invoice-<year>` counter and returns its value. The
/// row is created on the year's first use; the statement locks it until the
/// transaction ends.
async fn counter(txn: &DatabaseTransaction, year: i32, step: i64) -> AppResult<i64> {
    let backend = txn.get_database_backend();
    let placeholder = match backend {
        DbBackend::Postgres => "$1",
        _ => "?",
    };
    let sql = format!(
        "INSERT INTO counters (name, value) VALUES ({placeholder}, {step}) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + {step} RETURNING value"
    );
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [billing::counter_name(year).into()],
        ))
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("the invoice counter returned no row"))
        })?;
    Ok(row.try_get("", "value")?)
}

/// Takes the `invoice-<year>` counter row without taking a number: the
/// first statement of a transaction that will issue.
async fn lock_counter(txn: &DatabaseTransaction, year: i32) -> AppResult<()> {
    counter(txn, year, 0).await.map(|_| ())
}

/// The next invoice number of `year`.
async fn next_number(txn: &DatabaseTransaction, year: i32) -> AppResult<String> {
    let n = counter(txn, year, 1).await?;
    Ok(billing::invoice_number(year, n))
}

/// The year whose counter numbers an invoice issued at `now`.
fn issue_year(now: DateTime<Utc>) -> i32 {
    zurich_date(now).year()
}

/// A shipped order to put on an invoice, with its ticket.
#[derive(Debug, Clone)]
pub struct Billable {
    pub ticket: tickets::Model,
    pub order: orders::Model,
}

/// What an invoice covers.
#[derive(Debug, Clone, Copy)]
struct Period {
    mode: BillingMode,
    start: NaiveDate,
    end: NaiveDate,
}

/// Issues one invoice of `organisation` for `items` inside `txn`: number,
/// invoice, one line per order, an INVOICED event on each ticket, and the
/// email with the CSV to the billing email. The counter row must already be
/// held by `txn` or be free.
async fn issue(
    txn: &DatabaseTransaction,
    organisation: &organisations::Model,
    period: Period,
    items: &[Billable],
    actor_id: Option<i64>,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<invoices::Model> {
    let number = next_number(txn, issue_year(now)).await?;
    let prices = Prices::of(organisation);
    let amounts: Vec<Cents> = items
        .iter()
        .map(|item| prices.line_amount(item.order.for_learning))
        .collect();
    let totals = billing::totals(amounts.iter().copied(), prices.vat_rate)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice totals overflow")))?;
    let invoice = invoices::ActiveModel {
        organisation_id: Set(organisation.id),
        number: Set(number),
        billing_mode: Set(period.mode),
        period_start: Set(period.start),
        period_end: Set(period.end),
        status: Set(InvoiceStatus::Issued),
        currency: Set(billing::CURRENCY.to_owned()),
        subtotal_cents: Set(totals.subtotal.get()),
        vat_rate_bp: Set(prices.vat_rate.get()),
        vat_cents: Set(totals.vat.get()),
        total_cents: Set(totals.total.get()),
        billing_email: Set(organisation.billing_email.clone()),
        billing_address: Set(organisation.billing_address.clone()),
        issued_at: Set(now),
        paid_at: Set(None),
        voided_at: Set(None),
        void_reason: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(taken_order)?;
    let mut lines = Vec::with_capacity(items.len());
    for (item, amount) in items.iter().zip(amounts) {
        let shipped_at = item.order.shipped_at.ok_or_else(|| {
            AppError::conflict(format!("{} has not shipped yet", item.ticket.reference))
        })?;
        let line = invoice_lines::ActiveModel {
            organisation_id: Set(organisation.id),
            invoice_id: Set(invoice.id),
            order_id: Set(item.order.id),
            ticket_id: Set(item.ticket.id),
            reference: Set(item.ticket.reference.clone()),
            internal_reference: Set(item.ticket.internal_reference.clone()),
            entered_at: Set(item.ticket.created_at),
            shipped_at: Set(shipped_at),
            device_model: Set(item.order.device_model.clone().unwrap_or_default()),
            delivery_address: Set(billing::delivery_address(&item.order)),
            for_learning: Set(item.order.for_learning),
            amount_cents: Set(amount.get()),
            is_live: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(taken_order)?;
        events::record(
            txn,
            &item.ticket,
            NewEvent {
                kind: TicketEventKind::Invoiced,
                actor_id,
                from: None,
                to: None,
                note: Some(&EventNote::Catalogue(
                    NoteTemplate::InvoiceIssued,
                    invoice.number.clone(),
                )),
            },
            now,
        )
        .await?;
        lines.push(line);
    }
    if emails == Emails::Queue {
        send(txn, organisation, &invoice, &lines, now).await?;
    }
    Ok(invoice)
}

/// A unique violation while issuing means an order got onto a live
/// invoice meanwhile: a CONFLICT, not an internal error.
fn taken_order(err: sea_orm::DbErr) -> AppError {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        AppError::conflict(
            "an order of this invoice was put on another live invoice meanwhile; nothing was issued",
        )
    } else {
        err.into()
    }
}

/// Queues the invoice email, CSV attached, to the organisation's billing
/// email in its language. Partners cannot be without one (it is checked
/// when they are created or their billing settings change); an organisation
/// from before that rule is invoiced all the same, and the gap is logged.
async fn send(
    txn: &DatabaseTransaction,
    organisation: &organisations::Model,
    invoice: &invoices::Model,
    lines: &[invoice_lines::Model],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(to) = organisation.billing_email.clone() else {
        tracing::warn!(
            organisation = organisation.id,
            invoice = %invoice.number,
            "invoice issued for an organisation without a billing email; no email queued"
        );
        return Ok(());
    };
    let period = if invoice.period_start == invoice.period_end {
        invoice.period_start.format("%d.%m.%Y").to_string()
    } else {
        format!(
            "{} – {}",
            invoice.period_start.format("%d.%m.%Y"),
            invoice.period_end.format("%d.%m.%Y")
        )
    };
    let total = Cents::from_stored(invoice.total_cents).to_string();
    let (subject, body) = templates::invoice_email(
        organisation.locale,
        InvoiceNews {
            organisation: &organisation.name,
            number: &invoice.number,
            period: &period,
            lines: lines.len(),
            total_chf: &total,
        },
    );
    notifications::enqueue_with_attachment(
        txn,
        OutgoingEmail {
            organisation_id: organisation.id,
            user_id: None,
            kind: EmailKind::InvoiceIssued,
            to,
            locale: organisation.locale,
            subject,
            body,
        },
        Some(EmailAttachment {
            name: csv::file_name(invoice),
            content_type: csv::CONTENT_TYPE.to_owned(),
            body: csv::render(invoice, lines)?,
        }),
        now,
    )
    .await
}

/// PER_ORDER: the invoice of an order that has just shipped, issued in the
/// shipment's transaction `txn` (after the ticket and the order were
/// updated). Nothing for a QUARTERLY organisation.
pub async fn issue_on_shipment(
    txn: &DatabaseTransaction,
    scope: &Scope,
    ticket: &tickets::Model,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<Option<invoices::Model>> {
    let organisation = scope.organisation(txn, ticket.organisation_id).await?;
    if organisation.billing_mode != BillingMode::PerOrder {
        return Ok(None);
    }
    let order = scope
        .orders()
        .filter(orders::Column::TicketId.eq(ticket.id))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::conflict("this ticket has no order to invoice"))?;
    let invoice = issue_per_order(
        txn,
        &organisation,
        ticket,
        order,
        actor_of(scope),
        now,
        emails,
    )
    .await?;
    Ok(Some(invoice))
}

async fn issue_per_order(
    txn: &DatabaseTransaction,
    organisation: &organisations::Model,
    ticket: &tickets::Model,
    order: orders::Model,
    actor_id: Option<i64>,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<invoices::Model> {
    let shipped_at = order
        .shipped_at
        .ok_or_else(|| AppError::conflict(format!("{} has not shipped yet", ticket.reference)))?;
    let day = zurich_date(shipped_at);
    issue(
        txn,
        organisation,
        Period {
            mode: BillingMode::PerOrder,
            start: day,
            end: day,
        },
        &[Billable {
            ticket: ticket.clone(),
            order,
        }],
        actor_id,
        now,
        emails,
    )
    .await
}

/// Issues a new invoice for a shipped order of a PER_ORDER organisation
/// whose invoice was voided (STAFF, ADMIN).
pub async fn reissue(
    state: &AppState,
    scope: &Scope,
    ticket_id: i64,
) -> AppResult<invoices::Model> {
    let ticket = scope.ticket(&state.db, ticket_id).await?;
    require_staff(scope, "re-issue invoices")?;
    if ticket.kind != TicketKind::LaptopOrder || ticket.status != TicketStatus::ReadyForBilling {
        return Err(AppError::conflict(
            "only a shipped laptop order waiting for billing (READY_FOR_BILLING) is invoiced again",
        ));
    }
    let organisation = scope
        .organisation(&state.db, ticket.organisation_id)
        .await?;
    if organisation.billing_mode != BillingMode::PerOrder {
        return Err(AppError::conflict(
            "the orders of a QUARTERLY organisation are invoiced by the next quarterly run",
        ));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let result = async {
        lock_counter(&txn, issue_year(now)).await?;
        let live = scope
            .invoice_lines()
            .filter(invoice_lines::Column::TicketId.eq(ticket.id))
            .filter(invoice_lines::Column::IsLive.eq(true))
            .one(&txn)
            .await?;
        if let Some(line) = live {
            let invoice = scope.invoice(&txn, line.invoice_id).await?;
            return Err(AppError::conflict(format!(
                "{} is on the live invoice {}; void it first",
                ticket.reference, invoice.number
            )));
        }
        let order = scope
            .orders()
            .filter(orders::Column::TicketId.eq(ticket.id))
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::conflict("this ticket has no order to invoice"))?;
        issue_per_order(
            &txn,
            &organisation,
            &ticket,
            order,
            actor_of(scope),
            now,
            Emails::Queue,
        )
        .await
    }
    .await;
    let invoice = finish(txn, result).await?;
    state
        .live
        .publish(LiveEvent::invoice_issued(&invoice, Some(ticket.id)));
    Ok(invoice)
}

/// What a quarterly run issued.
#[derive(Debug, Clone)]
pub struct QuarterlyRun {
    pub quarter: Quarter,
    /// One per QUARTERLY organisation that had orders left to invoice;
    /// empty when there was nothing (a second run, or a quiet quarter).
    pub invoices: Vec<invoices::Model>,
}

impl QuarterlyRun {
    /// One sentence on what the run did, for people and schedulers.
    pub fn summary(&self) -> String {
        match self.invoices.len() {
            0 => format!(
                "nothing to invoice for {}: every order shipped in it is on a live invoice",
                self.quarter
            ),
            1 => format!("issued 1 invoice for {}", self.quarter),
            n => format!("issued {n} invoices for {}", self.quarter),
        }
    }
}

/// QUARTERLY: for each QUARTERLY partner, one invoice for its shipped
/// orders of `quarter` (Zurich calendar) that are on no live invoice. A
/// quarter is invoiced once it is over. Running it again issues nothing.
pub async fn issue_quarterly(
    state: &AppState,
    scope: &Scope,
    quarter: Quarter,
) -> AppResult<QuarterlyRun> {
    require_staff(scope, "issue invoices")?;
    let now = state.clock.now();
    if !quarter.is_over_at(now) {
        return Err(AppError::validation(
            "quarter",
            Invalid::out_of_range(format!(
                "{quarter} ends on {}; a quarter is invoiced once it is over",
                quarter.last_day().format("%d.%m.%Y")
            )),
        ));
    }
    let txn = state.db.begin().await?;
    let result = quarterly_in(&txn, scope, quarter, now, Emails::Queue).await;
    let invoices = finish(txn, result).await?;
    for invoice in &invoices {
        state.live.publish(LiveEvent::invoice_issued(invoice, None));
    }
    Ok(QuarterlyRun { quarter, invoices })
}

/// The quarterly run inside `txn` (the caller's transaction; this should be
/// its first statement, so that a concurrent run queues on the counter row
/// before reading) at `now`: what `issueQuarterlyInvoices` and the demo seed
/// run. The caller checks who asks and that the quarter is over.
pub async fn quarterly_in(
    txn: &DatabaseTransaction,
    scope: &Scope,
    quarter: Quarter,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<Vec<invoices::Model>> {
    let (start, end) = quarter.utc_bounds();
    // First, so that a concurrent run waits here and then reads what
    // this one invoiced.
    lock_counter(txn, issue_year(now)).await?;
    let organisations: BTreeMap<i64, organisations::Model> = scope
        .organisations()
        .filter(organisations::Column::Kind.eq(OrganisationKind::Partner))
        .filter(organisations::Column::BillingMode.eq(BillingMode::Quarterly))
        .all(txn)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let live = scope
        .invoice_lines()
        .filter(invoice_lines::Column::IsLive.eq(true))
        .ids(invoice_lines::Column::OrderId);
    let orders = scope
        .orders()
        .filter(orders::Column::OrganisationId.is_in(organisations.keys().copied()))
        .filter(orders::Column::ShippedAt.gte(start))
        .filter(orders::Column::ShippedAt.lt(end))
        .filter(live.exclude(orders::Column::Id))
        .order_by_asc(orders::Column::ShippedAt)
        .order_by_asc(orders::Column::Id)
        .all(txn)
        .await?;
    let mut tickets: BTreeMap<i64, tickets::Model> = scope
        .tickets()
        .filter(tickets::Column::Id.is_in(orders.iter().map(|o| o.ticket_id)))
        .filter(tickets::Column::Kind.eq(TicketKind::LaptopOrder))
        .filter(tickets::Column::Status.eq(TicketStatus::ReadyForBilling))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut by_organisation: BTreeMap<i64, Vec<Billable>> = BTreeMap::new();
    for order in orders {
        if let Some(ticket) = tickets.remove(&order.ticket_id) {
            by_organisation
                .entry(order.organisation_id)
                .or_default()
                .push(Billable { ticket, order });
        }
    }
    let period = Period {
        mode: BillingMode::Quarterly,
        start: quarter.first_day(),
        end: quarter.last_day(),
    };
    let mut issued = Vec::new();
    for (organisation_id, items) in by_organisation {
        if let Some(organisation) = organisations.get(&organisation_id) {
            issued.push(
                issue(
                    txn,
                    organisation,
                    period,
                    &items,
                    actor_of(scope),
                    now,
                    emails,
                )
                .await?,
            );
        }
    }
    Ok(issued)
}

/// Marks an ISSUED invoice PAID on `paid_at`, and moves each of its
/// tickets to BILLED through the workflow, with their events and emails.
pub async fn mark_paid(
    state: &AppState,
    scope: &Scope,
    invoice_id: i64,
    paid_at: DateTime<Utc>,
) -> AppResult<invoices::Model> {
    let invoice = scope.invoice(&state.db, invoice_id).await?;
    require_staff(scope, "mark invoices paid")?;
    only_issued(&invoice, "paid")?;
    let now = state.clock.now();
    if paid_at > now + chrono::Duration::hours(1) {
        return Err(AppError::validation(
            "paidAt",
            Invalid::out_of_range("must not be in the future"),
        ));
    }
    if zurich_date(paid_at) < zurich_date(invoice.issued_at) {
        return Err(AppError::validation(
            "paidAt",
            Invalid::out_of_range("must not be before the invoice was issued"),
        ));
    }
    let txn = state.db.begin().await?;
    let result = pay_in(&txn, scope, &invoice, paid_at, now, Emails::Queue).await;
    finish(txn, result).await?;
    crate::live::publish_tickets_of_invoice(state, scope, invoice.id).await;
    scope.invoice(&state.db, invoice.id).await
}

/// Pays `invoice` inside `txn` (whose first write this is) at `now`: the
/// invoice PAID on `paid_at`, each of its tickets BILLED through the
/// workflow with its event and email. What `markInvoicePaid` and the demo
/// seed run; the caller checks who asks.
pub async fn pay_in(
    txn: &DatabaseTransaction,
    scope: &Scope,
    invoice: &invoices::Model,
    paid_at: DateTime<Utc>,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<()> {
    claim(
        txn,
        invoice,
        vec![
            (invoices::Column::Status, Expr::value(InvoiceStatus::Paid)),
            (invoices::Column::PaidAt, Expr::value(paid_at)),
        ],
    )
    .await?;
    let lines = scope
        .invoice_lines()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice.id))
        .order_by_asc(invoice_lines::Column::Id)
        .all(txn)
        .await?;
    let step = Step::Move {
        action: Action::MarkBilled,
        note: Some(EventNote::Catalogue(
            NoteTemplate::InvoicePaid,
            invoice.number.clone(),
        )),
        internal_note: None,
    };
    for line in lines {
        let ticket = scope.ticket(txn, line.ticket_id).await?;
        tickets_service::take_step(
            txn,
            scope.viewer(),
            Actor::Invoicing,
            &ticket,
            &step,
            now,
            emails,
        )
        .await?;
    }
    Ok(())
}

/// Voids an ISSUED invoice, with a reason: its orders are free for a new
/// invoice (the next quarterly run, or `reissueInvoice`).
pub async fn void(
    state: &AppState,
    scope: &Scope,
    invoice_id: i64,
    reason: &str,
) -> AppResult<invoices::Model> {
    let reason = multi_line(reason, 2_000).map_err(|m| AppError::validation("reason", m))?;
    let invoice = scope.invoice(&state.db, invoice_id).await?;
    require_staff(scope, "void invoices")?;
    only_issued(&invoice, "voided")?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let result = async {
        claim(
            &txn,
            &invoice,
            vec![
                (invoices::Column::Status, Expr::value(InvoiceStatus::Void)),
                (invoices::Column::VoidedAt, Expr::value(now)),
                (invoices::Column::VoidReason, Expr::value(reason.clone())),
            ],
        )
        .await?;
        invoice_lines::Entity::update_many()
            .col_expr(invoice_lines::Column::IsLive, Expr::value(false))
            .filter(invoice_lines::Column::InvoiceId.eq(invoice.id))
            .exec(&txn)
            .await?;
        Ok(())
    }
    .await;
    finish(txn, result).await?;
    scope.invoice(&state.db, invoice.id).await
}

/// Refuses a step on an invoice that is no longer ISSUED.
fn only_issued(invoice: &invoices::Model, step: &str) -> AppResult<()> {
    match invoice.status {
        InvoiceStatus::Issued => Ok(()),
        InvoiceStatus::Paid => Err(AppError::conflict(format!(
            "invoice {} is PAID; only an ISSUED invoice is {step}",
            invoice.number
        ))),
        InvoiceStatus::Void => Err(AppError::conflict(format!(
            "invoice {} is VOID; only an ISSUED invoice is {step}",
            invoice.number
        ))),
    }
}

/// Moves the invoice out of ISSUED with `changes`, the transaction's first
/// write; a concurrent step that got there first makes this a CONFLICT.
async fn claim(
    txn: &DatabaseTransaction,
    invoice: &invoices::Model,
    changes: Vec<(invoices::Column, sea_orm::sea_query::SimpleExpr)>,
) -> AppResult<()> {
    let mut update = invoices::Entity::update_many();
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    let claimed = update
        .filter(invoices::Column::Id.eq(invoice.id))
        .filter(invoices::Column::Status.eq(InvoiceStatus::Issued))
        .exec(txn)
        .await?;
    if claimed.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::conflict(format!(
            "invoice {} was changed meanwhile; reload it",
            invoice.number
        )))
    }
}

/// Commits on success, rolls back on failure.
async fn finish<T>(txn: DatabaseTransaction, result: AppResult<T>) -> AppResult<T> {
    match result {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(e) => {
            txn.rollback().await.ok();
            Err(e)
        }
    }
}
