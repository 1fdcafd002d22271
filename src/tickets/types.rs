//! GraphQL types of tickets, their orders, comments and history.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{comments, orders, ticket_events, tickets};

use super::loaders::{
    CommentWindowLoader, CommentsByTicketLoader, EventWindowLoader, EventsByTicketLoader,
    OrderByTicketLoader, TicketLoader,
};
use super::workflow::{self, Action, Actor};
use crate::attachments::types::Attachment;
use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::invoices::types::{Invoice, InvoiceLine};
use crate::organisations::types::Organisation;
use crate::relay::{self, PageArgs};
use crate::users::types::Person;

pub const TYPE_NAME: &str = "Ticket";
pub const COMMENT_TYPE_NAME: &str = "Comment";
pub const EVENT_TYPE_NAME: &str = "TicketEvent";

/// What a ticket is about.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TicketKind")]
pub enum TicketKind {
    /// A laptop order: carries an `order`.
    LaptopOrder,
    /// A problem with a delivered laptop (damaged, lost), linked to its order's ticket.
    DeliveryIssue,
    /// Any other request to the provider.
    Other,
}

/// Where a ticket stands. A laptop order goes REVIEW → (QUEUED →)
/// READY_TO_SHIP → READY_FOR_BILLING → BILLED, or ends CANCELLED.
/// `Ticket.statusLabel` names it in the viewer's language.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TicketStatus")]
pub enum TicketStatus {
    /// The provider checks the request.
    Review,
    /// Accepted, waiting for capacity.
    Queued,
    /// Reviewed; the laptop ships within days.
    ReadyToShip,
    /// Shipped; invoiced as the organisation's billing mode says.
    ReadyForBilling,
    /// Shipped and paid; closed.
    Billed,
    /// Withdrawn by the partner or rejected by staff, with a reason; closed.
    Cancelled,
}

/// Who may read a comment.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CommentVisibility")]
pub enum CommentVisibility {
    /// The partner and the provider.
    Public,
    /// The provider's staff only.
    Internal,
}

/// What happened to a ticket.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TicketEventKind")]
pub enum TicketEventKind {
    /// The ticket was opened.
    Created,
    /// The ticket moved from one status to another (`from`, `to`).
    StatusChanged,
    /// The laptop left; the ticket is READY_FOR_BILLING.
    Shipped,
    /// The order was put on an invoice.
    Invoiced,
    /// A comment was added.
    Commented,
    /// A file was attached to the ticket.
    AttachmentAdded,
}

/// A step of the workflow.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "Action")]
pub enum TicketAction {
    /// To QUEUED (`transitionTicket`).
    Queue,
    /// Back to REVIEW (`transitionTicket`).
    ReturnToReview,
    /// To READY_TO_SHIP (`transitionTicket`).
    Approve,
    /// To READY_FOR_BILLING (`shipOrder`).
    Ship,
    /// To BILLED, when the invoice is paid (invoicing only).
    MarkBilled,
    /// To CANCELLED (`cancelTicket`).
    Cancel,
}

/// A step the viewer may take next.
#[derive(SimpleObject, Debug, Clone)]
pub struct TicketTransition {
    /// The step, and the mutation that takes it.
    pub action: TicketAction,
    /// The status the ticket has after the step.
    pub to: TicketStatus,
}

/// A request in the service desk.
#[derive(Debug, Clone)]
pub struct Ticket(pub tickets::Model);

/// A request from a partner to the provider: a laptop order, a delivery
/// issue or another question, with its comments, files and history.
#[Object]
impl Ticket {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    /// `GEM-<n>`, printed on invoices.
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    /// What the ticket is about.
    async fn kind(&self) -> TicketKind {
        self.0.kind.into()
    }

    /// Where the ticket stands in the workflow.
    async fn status(&self) -> TicketStatus {
        self.0.status.into()
    }

    /// `status` in words, in the viewer's language: the label the emails
    /// use ("Prêt pour l'envoi").
    async fn status_label(&self, ctx: &Context<'_>) -> AppResult<&'static str> {
        Ok(crate::i18n::status_label(
            self.0.status,
            ctx.request()?.locale,
        ))
    }

    /// `kind` in words, in the viewer's language ("Laptop-Bestellung").
    async fn kind_label(&self, ctx: &Context<'_>) -> AppResult<&'static str> {
        Ok(crate::i18n::kind_label(self.0.kind, ctx.request()?.locale))
    }

    /// A short title (at most 200 characters). The server writes it for
    /// laptop orders ("Laptop for Anna Muster") and delivery issues, and
    /// words it in the viewer's language at every read (like
    /// `statusLabel`); the subject of a question stays as its author typed
    /// it.
    async fn subject(&self, ctx: &Context<'_>) -> AppResult<String> {
        Ok(match (self.0.subject_template, &self.0.subject_param) {
            (Some(template), Some(param)) => super::service::subject(&crate::i18n::subject(
                template,
                param,
                ctx.request()?.locale,
            )),
            _ => self.0.subject.clone(),
        })
    }

    /// Free text of a delivery issue or other request.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The partner's case or person number, also printed on the invoice.
    async fn internal_reference(&self) -> Option<&str> {
        self.0.internal_reference.as_deref()
    }

    /// When the ticket was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the ticket last changed in a way its viewers see: every entry
    /// of its history (`events`) moves it. An INTERNAL note does not.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Grows by one with every workflow step. Send it back as
    /// `expectedVersion` with a workflow mutation: if the ticket changed
    /// since the screen was loaded, nothing is written and the answer is
    /// CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the ticket entered its current status: its creation, or its
    /// latest status change (comments and invoicing do not move it).
    async fn status_changed_at(&self) -> DateTime<Utc> {
        self.0.status_changed_at
    }

    /// The partner organisation the ticket belongs to.
    async fn organisation(&self, ctx: &Context<'_>) -> AppResult<Organisation> {
        Organisation::load(ctx, self.0.organisation_id).await
    }

    /// Who created the ticket.
    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<Person>> {
        Person::load(ctx, self.0.created_by_id).await
    }

    /// The laptop order of a LAPTOP_ORDER ticket.
    async fn order(&self, ctx: &Context<'_>) -> AppResult<Option<Order>> {
        Ok(ctx
            .loader::<OrderByTicketLoader>()?
            .load_one(self.0.id)
            .await?
            .flatten()
            .map(Order))
    }

    /// For a delivery issue: the ticket of the order concerned.
    async fn related_ticket(&self, ctx: &Context<'_>) -> AppResult<Option<Ticket>> {
        let Some(related) = self.0.related_ticket_id else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<TicketLoader>()?
            .load_one(related)
            .await?
            .map(Ticket))
    }

    /// The messages on the ticket, oldest first. Partners see PUBLIC ones only.
    #[graphql(complexity = "relay::page_complexity(first, last, child_complexity)")]
    async fn comments(
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
    ) -> AppResult<Connection<String, Comment, relay::TotalCount>> {
        let args = PageArgs::parse(first, after, last, before)?;
        if let Some(window) = args.window() {
            let loaded = ctx
                .loader::<CommentWindowLoader>()?
                .load_one((self.0.id, window))
                .await?
                .unwrap_or_default();
            Person::feed(ctx, loaded.people).await?;
            return Ok(relay::page_of_window(
                loaded.rows,
                loaded.total,
                &args,
                |c| c.id,
                Comment,
            ));
        }
        let all = ctx
            .loader::<CommentsByTicketLoader>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        relay::paginate_loaded(all, args, |c| c.id, Comment)
    }

    /// The number of comments the viewer may read.
    async fn comment_count(&self, ctx: &Context<'_>) -> AppResult<usize> {
        Ok(ctx
            .loader::<CommentsByTicketLoader>()?
            .load_one(self.0.id)
            .await?
            .map_or(0, |comments| comments.len()))
    }

    /// Files on the ticket (training certificate, photos), oldest first,
    /// a page at a time (20 unless `first`/`last` says otherwise, at most
    /// 100).
    #[graphql(complexity = "relay::page_complexity(first, last, child_complexity)")]
    async fn attachments(
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
    ) -> AppResult<Connection<String, Attachment, relay::TotalCount>> {
        let args = PageArgs::parse(first, after, last, before)?;
        crate::attachments::graphql::page_for_ticket(ctx, self.0.id, args).await
    }

    /// The ticket's history (creation, status changes, shipping,
    /// invoicing), oldest first, a page at a time (20 unless
    /// `first`/`last` says otherwise, at most 100).
    #[graphql(complexity = "relay::page_complexity(first, last, child_complexity)")]
    async fn events(
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
    ) -> AppResult<Connection<String, TicketEvent, relay::TotalCount>> {
        let args = PageArgs::parse(first, after, last, before)?;
        if let Some(window) = args.window() {
            let loaded = ctx
                .loader::<EventWindowLoader>()?
                .load_one((self.0.id, window))
                .await?
                .unwrap_or_default();
            Person::feed(ctx, loaded.people).await?;
            return Ok(relay::page_of_window(
                loaded.rows,
                loaded.total,
                &args,
                |e| e.id,
                TicketEvent,
            ));
        }
        let all = ctx
            .loader::<EventsByTicketLoader>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        relay::paginate_loaded(all, args, |e| e.id, TicketEvent)
    }

    /// The line of the live invoice that bills this ticket's order; null
    /// before invoicing, after a void, and for viewers who may not see
    /// invoices.
    async fn invoice_line(&self, ctx: &Context<'_>) -> AppResult<Option<InvoiceLine>> {
        crate::invoices::types::live_line_of_ticket(ctx, self.0.id).await
    }

    /// The workflow steps the viewer may take next.
    async fn available_transitions(&self, ctx: &Context<'_>) -> AppResult<Vec<TicketTransition>> {
        let actor = Actor::from(ctx.scope()?.viewer().role);
        Ok(
            workflow::available_actions(self.0.kind, self.0.status, actor)
                .into_iter()
                .map(|action| TicketTransition {
                    action: action.into(),
                    to: action.target().into(),
                })
                .collect(),
        )
    }
}

/// The laptop order carried by a LAPTOP_ORDER ticket.
#[derive(Debug, Clone)]
pub struct Order(pub orders::Model);

/// The laptop order of a LAPTOP_ORDER ticket: who receives which laptop
/// where, and, once shipped, what left and when.
#[Object]
impl Order {
    /// The person who receives the laptop.
    async fn recipient_name(&self) -> &str {
        &self.0.recipient_name
    }

    /// Street and number.
    async fn street(&self) -> &str {
        &self.0.street
    }

    /// The postal code, in its country's usual form.
    async fn postal_code(&self) -> &str {
        &self.0.postal_code
    }

    /// The town.
    async fn city(&self) -> &str {
        &self.0.city
    }

    /// ISO 3166 alpha-2 country code.
    async fn country(&self) -> &str {
        &self.0.country
    }

    /// E.164, for delivery problems.
    async fn phone(&self) -> &str {
        &self.0.phone
    }

    /// A laptop for an apprentice or a student: comes with Windows, needs a training certificate.
    async fn for_learning(&self) -> bool {
        self.0.for_learning
    }

    /// What the partner added to the order for the provider, if anything.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// Set when shipped.
    async fn device_model(&self) -> Option<&str> {
        self.0.device_model.as_deref()
    }

    /// Set when shipped.
    async fn serial_number(&self) -> Option<&str> {
        self.0.serial_number.as_deref()
    }

    /// When the laptop left; null until shipped.
    async fn shipped_at(&self) -> Option<DateTime<Utc>> {
        self.0.shipped_at
    }

    /// The carrier's tracking number, when one was given at shipping.
    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
    }

    /// The live invoice billing this order; null before invoicing, after a
    /// void, and for viewers who may not see invoices.
    async fn invoice(&self, ctx: &Context<'_>) -> AppResult<Option<Invoice>> {
        crate::invoices::types::live_invoice_of_ticket(ctx, self.0.ticket_id).await
    }
}

/// A message in a ticket's history.
#[derive(Debug, Clone)]
pub struct Comment(pub comments::Model);

/// A message on a ticket. PUBLIC comments are read by the partner and the
/// provider, INTERNAL ones by staff only.
#[Object]
impl Comment {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(COMMENT_TYPE_NAME, self.0.id)
    }

    /// Plain text.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Who may read the comment.
    async fn visibility(&self) -> CommentVisibility {
        self.0.visibility.into()
    }

    /// When the comment was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who wrote it; null when the viewer may not know them.
    async fn author(&self, ctx: &Context<'_>) -> AppResult<Option<Person>> {
        Person::load(ctx, self.0.author_id).await
    }

    /// The ticket the comment is on.
    async fn ticket(&self, ctx: &Context<'_>) -> AppResult<Option<Ticket>> {
        Ok(ctx
            .loader::<TicketLoader>()?
            .load_one(self.0.ticket_id)
            .await?
            .map(Ticket))
    }
}

/// One entry of a ticket's history; a node (`node(id:)`), seen by whoever
/// sees its ticket.
#[derive(Debug, Clone)]
pub struct TicketEvent(pub ticket_events::Model);

/// One entry of a ticket's history: what happened, who did it, and when.
#[Object]
impl TicketEvent {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(EVENT_TYPE_NAME, self.0.id)
    }

    /// What happened.
    async fn kind(&self) -> TicketEventKind {
        self.0.kind.into()
    }

    /// The status before the change.
    async fn from(&self) -> Option<TicketStatus> {
        self.0.from_status.map(Into::into)
    }

    /// The status after the change.
    async fn to(&self) -> Option<TicketStatus> {
        self.0.to_status.map(Into::into)
    }

    /// The reason or remark given with the change, or the file's name.
    /// Notes the server writes (a tracking number on SHIPPED, the invoice
    /// on INVOICED, "invoice paid" on the change to BILLED) are worded in
    /// the viewer's language at every read; notes people write stay as
    /// written.
    async fn note(&self, ctx: &Context<'_>) -> AppResult<Option<String>> {
        Ok(match (self.0.note_template, &self.0.note_param) {
            (Some(template), Some(param)) => {
                Some(crate::i18n::note(template, param, ctx.request()?.locale))
            }
            _ => self.0.note.clone(),
        })
    }

    /// Who acted; null for the system.
    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<Person>> {
        match self.0.actor_id {
            Some(id) => Person::load(ctx, id).await,
            None => Ok(None),
        }
    }

    /// When it happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The ticket the entry belongs to.
    async fn ticket(&self, ctx: &Context<'_>) -> AppResult<Option<Ticket>> {
        Ok(ctx
            .loader::<TicketLoader>()?
            .load_one(self.0.ticket_id)
            .await?
            .map(Ticket))
    }
}
