//! The subscription root: `ticketEvents`, and the check every event passes
//! before it reaches a subscriber (see the module invariants of
//! [`crate::live`]).

use std::time::Duration;

use async_graphql::{Context, Enum, ID, SimpleObject, Subscription};
use futures_util::stream::{self, BoxStream, StreamExt as _};
use tokio::sync::{broadcast, watch};

use super::broker::LiveEvent;
use super::ws::LiveSession;
use crate::context::ContextExt as _;
use crate::error::{AppError, AppResult, TokenFailure};
use crate::invoices::types::Invoice;
use crate::policy::{self, Scope};
use crate::relay;
use crate::state::AppState;
use crate::tickets::types::{Comment, Ticket, TicketStatus};

/// What happened.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum TicketLiveEventKind {
    /// A ticket was opened: a laptop order, a delivery issue.
    TicketCreated,
    /// A ticket moved to another status (`status`).
    StatusChanged,
    /// A comment was written (`comment`).
    CommentAdded,
    /// An invoice was issued (`invoice`).
    InvoiceIssued,
}

/// One live update, as the subscriber may see it at the moment it is
/// delivered.
#[derive(SimpleObject)]
pub struct TicketLiveEvent {
    /// What happened.
    kind: TicketLiveEventKind,
    /// The ticket, as it is now. Null only for an invoice that covers
    /// several tickets (a quarterly invoice).
    ticket: Option<Ticket>,
    /// STATUS_CHANGED: the status the ticket moved to (the ticket may have
    /// moved on since).
    status: Option<TicketStatus>,
    /// COMMENT_ADDED: the comment.
    comment: Option<Comment>,
    /// INVOICE_ISSUED: the invoice.
    invoice: Option<Invoice>,
}

/// Every live update.
#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Tickets opened, status changes, comments and invoices issued, from
    /// now on, among what the viewer may see; narrowed to one ticket or one
    /// organisation when given. Served over the graphql-transport-ws
    /// protocol at `/graphql/ws`, with the access token in the
    /// `connection_init` payload. When the token expires or is revoked, or
    /// the user is deactivated, the subscription ends with one
    /// UNAUTHENTICATED error; when the viewer's role or its organisation's
    /// visibility changes, with FORBIDDEN: subscribe again.
    async fn ticket_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the events of this ticket.")] ticket_id: Option<ID>,
        #[graphql(desc = "Only the events of this organisation's tickets and invoices.")]
        organisation_id: Option<ID>,
    ) -> Result<BoxStream<'static, async_graphql::Result<TicketLiveEvent>>, AppError> {
        let scope = ctx.scope()?.clone();
        let state = ctx.state()?.clone();
        let session = ctx
            .data::<LiveSession>()
            .map_err(|_| AppError::forbidden("subscriptions are served at /graphql/ws"))?
            .clone();
        let ticket_id = ticket_id
            .map(|id| relay::parse_global_id(&id, crate::tickets::types::TYPE_NAME, "ticketId"))
            .transpose()?;
        let organisation_id = organisation_id
            .map(|id| {
                relay::parse_global_id(
                    &id,
                    crate::organisations::types::TYPE_NAME,
                    "organisationId",
                )
            })
            .transpose()?;
        if let Some(id) = ticket_id {
            scope.ticket(&state.db, id).await?;
        }
        if let Some(id) = organisation_id {
            scope.organisation(&state.db, id).await?;
        }
        let remaining = session.expires_at - state.clock.now().timestamp();
        let subscriber = Subscriber {
            events: state.live.subscribe(),
            closing: state.live.closing(),
            expires: tokio::time::Instant::now()
                + Duration::from_secs(u64::try_from(remaining).unwrap_or(0)),
            state,
            scope,
            session,
            ticket_id,
            organisation_id,
            done: false,
        };
        Ok(stream::unfold(subscriber, |mut subscriber| async move {
            let item = subscriber.next().await?;
            Some((item, subscriber))
        })
        .boxed())
    }
}

/// One open subscription.
struct Subscriber {
    events: broadcast::Receiver<LiveEvent>,
    closing: watch::Receiver<bool>,
    /// When the token expires, on the runtime's clock.
    expires: tokio::time::Instant,
    state: AppState,
    /// The viewer's scope when it subscribed.
    scope: Scope,
    session: LiveSession,
    ticket_id: Option<i64>,
    organisation_id: Option<i64>,
    done: bool,
}

impl Subscriber {
    /// The next event to deliver; an error that ends the subscription; or
    /// the end.
    async fn next(&mut self) -> Option<async_graphql::Result<TicketLiveEvent>> {
        if self.done {
            return None;
        }
        loop {
            let received = tokio::select! {
                received = self.events.recv() => Some(received),
                () = tokio::time::sleep_until(self.expires) => None,
                _ = self.closing.wait_for(|closing| *closing) => {
                    self.done = true;
                    return None;
                }
            };
            let event = match received {
                None => return self.end(AppError::TokenRefused(TokenFailure::Expired)),
                Some(Ok(event)) => event,
                Some(Err(broadcast::error::RecvError::Lagged(missed))) => {
                    tracing::warn!(missed, "live events: a slow subscriber missed events");
                    continue;
                }
                Some(Err(broadcast::error::RecvError::Closed)) => return None,
            };
            if !self.wants(&event) {
                continue;
            }
            if let Err(e) = self.still_authorised().await {
                return self.end(e);
            }
            match self.read(&event).await {
                Ok(Some(delivered)) => return Some(Ok(delivered)),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = ?e, "live events: an event could not be read"),
            }
        }
    }

    fn end(&mut self, error: AppError) -> Option<async_graphql::Result<TicketLiveEvent>> {
        self.done = true;
        Some(Err(error.into()))
    }

    /// The subscription's own narrowing, and a cheap first cut of the
    /// scope (the read under the scope decides).
    fn wants(&self, event: &LiveEvent) -> bool {
        let viewer = self.scope.viewer();
        let organisation = event.organisation_id();
        (viewer.is_staff() || organisation == viewer.organisation_id)
            && self.organisation_id.is_none_or(|id| id == organisation)
            && self
                .ticket_id
                .is_none_or(|id| event.ticket_id() == Some(id))
    }

    /// The token is still valid and the viewer unchanged: UNAUTHENTICATED
    /// (expired, revoked, deactivated) or FORBIDDEN (other rights) if not.
    async fn still_authorised(&self) -> AppResult<()> {
        let viewer = crate::auth::authenticate_token(&self.state, self.session.token())
            .await?
            .viewer;
        if &viewer != self.scope.viewer() {
            return Err(AppError::forbidden(
                "the viewer's access changed; subscribe again",
            ));
        }
        Ok(())
    }

    /// The event as the subscriber may see it now; `None` if it may not.
    async fn read(&self, event: &LiveEvent) -> AppResult<Option<TicketLiveEvent>> {
        let db = &self.state.db;
        let scope = &self.scope;
        let ticket = |id| async move { policy::null_if_absent(scope.ticket(db, id).await) };
        let delivered = match *event {
            LiveEvent::TicketCreated { ticket_id, .. } => {
                ticket(ticket_id).await?.map(|ticket| TicketLiveEvent {
                    kind: TicketLiveEventKind::TicketCreated,
                    ticket: Some(Ticket(ticket)),
                    status: None,
                    comment: None,
                    invoice: None,
                })
            }
            LiveEvent::StatusChanged { ticket_id, to, .. } => {
                ticket(ticket_id).await?.map(|ticket| TicketLiveEvent {
                    kind: TicketLiveEventKind::StatusChanged,
                    ticket: Some(Ticket(ticket)),
                    status: Some(to.into()),
                    comment: None,
                    invoice: None,
                })
            }
            LiveEvent::CommentAdded {
                ticket_id,
                comment_id,
                ..
            } => {
                let comment = policy::null_if_absent(scope.comment(db, comment_id).await)?;
                match (comment, ticket(ticket_id).await?) {
                    (Some(comment), Some(ticket)) => Some(TicketLiveEvent {
                        kind: TicketLiveEventKind::CommentAdded,
                        ticket: Some(Ticket(ticket)),
                        status: None,
                        comment: Some(Comment(comment)),
                        invoice: None,
                    }),
                    _ => None,
                }
            }
            LiveEvent::InvoiceIssued {
                invoice_id,
                ticket_id,
                ..
            } => match policy::null_if_absent(scope.invoice(db, invoice_id).await)? {
                Some(invoice) => {
                    let ticket = match ticket_id {
                        Some(id) => ticket(id).await?,
                        None => None,
                    };
                    Some(TicketLiveEvent {
                        kind: TicketLiveEventKind::InvoiceIssued,
                        ticket: ticket.map(Ticket),
                        status: None,
                        comment: None,
                        invoice: Some(Invoice(invoice)),
                    })
                }
                None => None,
            },
        };
        Ok(delivered)
    }
}
