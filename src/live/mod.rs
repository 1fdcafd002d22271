//! Live updates: `Subscription.ticketEvents` over the graphql-transport-ws
//! protocol at `/graphql/ws`.
//!
//! - [`broker`]: services publish a [`LiveEvent`] (ids only) after their
//!   transaction commits; on PostgreSQL the other instances hear it through
//!   `LISTEN`/`NOTIFY`.
//! - [`ws`]: the WebSocket endpoint: the token comes in `connection_init`,
//!   and each subscription runs with the viewer's scope and loaders, like
//!   an HTTP request.
//! - [`graphql`]: the subscription root, and the delivery check.
//!
//! Invariants:
//! - every event is re-read through the subscriber's [`Scope`] before it is
//!   delivered, so a subscriber receives exactly what a query of its own
//!   would show at that moment (no INTERNAL comment for a partner, nothing
//!   of another organisation);
//! - the token is checked again before each delivery, and a timer fires at
//!   its expiry: a revoked, expired or deactivated viewer's subscription
//!   ends with one UNAUTHENTICATED error and `complete`.

pub mod broker;
pub mod graphql;
pub mod ws;

pub use broker::{Broker, LiveEvent};

use entity::{comments, invoice_lines, invoices, tickets};
use sea_orm::ColumnTrait as _;

use crate::policy::Scope;
use crate::state::AppState;

impl LiveEvent {
    /// `ticket` was opened.
    pub fn ticket_created(ticket: &tickets::Model) -> Self {
        Self::TicketCreated {
            organisation_id: ticket.organisation_id,
            ticket_id: ticket.id,
        }
    }

    /// `ticket` moved to its current status.
    pub fn status_changed(ticket: &tickets::Model) -> Self {
        Self::StatusChanged {
            organisation_id: ticket.organisation_id,
            ticket_id: ticket.id,
            to: ticket.status,
        }
    }

    /// `comment` was written.
    pub fn comment_added(comment: &comments::Model) -> Self {
        Self::CommentAdded {
            organisation_id: comment.organisation_id,
            ticket_id: comment.ticket_id,
            comment_id: comment.id,
        }
    }

    /// `invoice` was issued, for `ticket_id` alone when it is per order.
    pub fn invoice_issued(invoice: &invoices::Model, ticket_id: Option<i64>) -> Self {
        Self::InvoiceIssued {
            organisation_id: invoice.organisation_id,
            invoice_id: invoice.id,
            ticket_id,
        }
    }
}

/// After a shipment committed: publishes the per-order invoice it issued,
/// if any (read through `scope`, the shipper's).
pub async fn publish_invoice_of_ticket(state: &AppState, scope: &Scope, ticket_id: i64) {
    let line = scope
        .invoice_lines()
        .filter(invoice_lines::Column::TicketId.eq(ticket_id))
        .filter(invoice_lines::Column::IsLive.eq(true))
        .one(&state.db)
        .await;
    match line {
        Ok(Some(line)) => match scope.invoice(&state.db, line.invoice_id).await {
            Ok(invoice) => state
                .live
                .publish(LiveEvent::invoice_issued(&invoice, Some(ticket_id))),
            Err(e) => tracing::warn!(error = ?e, "live events: the new invoice is unreadable"),
        },
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "live events: cannot read the new invoice"),
    }
}

/// After a payment committed: publishes the move to BILLED of each ticket
/// of `invoice` (read through `scope`, the payer's).
pub async fn publish_tickets_of_invoice(state: &AppState, scope: &Scope, invoice_id: i64) {
    let lines = scope
        .invoice_lines()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice_id))
        .all(&state.db)
        .await;
    let lines = match lines {
        Ok(lines) => lines,
        Err(e) => {
            tracing::warn!(error = %e, "live events: cannot read the paid invoice's lines");
            return;
        }
    };
    let ids: Vec<i64> = lines.iter().map(|line| line.ticket_id).collect();
    let tickets = scope
        .tickets()
        .filter(tickets::Column::Id.is_in(ids))
        .all(&state.db)
        .await;
    match tickets {
        Ok(tickets) => {
            for ticket in &tickets {
                state.live.publish(LiveEvent::status_changed(ticket));
            }
        }
        Err(e) => tracing::warn!(error = %e, "live events: cannot read the billed tickets"),
    }
}
