//! What the oracle knows of the database: every row the property test
//! inserted, in every world of the run, as plain data.
//!
//! The test's app starts from an empty database and only the world
//! generator writes to it, so this record is the whole database: the
//! oracle decides over it, including rows of earlier worlds (which staff
//! see, and partners must not).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

/// A role, as SPEC §2 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    PartnerMember,
    PartnerManager,
    Staff,
    Admin,
}

impl Role {
    pub fn graphql(self) -> &'static str {
        match self {
            Self::PartnerMember => "PARTNER_MEMBER",
            Self::PartnerManager => "PARTNER_MANAGER",
            Self::Staff => "STAFF",
            Self::Admin => "ADMIN",
        }
    }
}

/// An organisation's `ticket_visibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    CreatorOnly,
    Organisation,
}

impl Visibility {
    pub fn graphql(self) -> &'static str {
        match self {
            Self::CreatorOnly => "CREATOR_ONLY",
            Self::Organisation => "ORGANISATION",
        }
    }
}

/// A ticket's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LaptopOrder,
    DeliveryIssue,
    Other,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::LaptopOrder, Self::DeliveryIssue, Self::Other];

    pub fn graphql(self) -> &'static str {
        match self {
            Self::LaptopOrder => "LAPTOP_ORDER",
            Self::DeliveryIssue => "DELIVERY_ISSUE",
            Self::Other => "OTHER",
        }
    }
}

/// A ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Review,
    Queued,
    ReadyToShip,
    ReadyForBilling,
    Billed,
    Cancelled,
}

impl Status {
    pub const ALL: [Self; 6] = [
        Self::Review,
        Self::Queued,
        Self::ReadyToShip,
        Self::ReadyForBilling,
        Self::Billed,
        Self::Cancelled,
    ];

    pub fn graphql(self) -> &'static str {
        match self {
            Self::Review => "REVIEW",
            Self::Queued => "QUEUED",
            Self::ReadyToShip => "READY_TO_SHIP",
            Self::ReadyForBilling => "READY_FOR_BILLING",
            Self::Billed => "BILLED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Whether the laptop has left (the order carries shipping data).
    pub fn shipped(self) -> bool {
        matches!(self, Self::ReadyForBilling | Self::Billed)
    }
}

/// A comment's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentVisibility {
    Public,
    Internal,
}

impl CommentVisibility {
    pub fn graphql(self) -> &'static str {
        match self {
            Self::Public => "PUBLIC",
            Self::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OrganisationRow {
    pub name: String,
    pub is_provider: bool,
    pub visibility: Visibility,
    pub billing_email: String,
    pub standard_price_cents: i64,
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub organisation: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    /// Whether the user asked for staff notifications (some staff do).
    pub staff_notifications: bool,
}

#[derive(Debug, Clone)]
pub struct TicketRow {
    pub id: i64,
    pub organisation: i64,
    pub created_by: i64,
    pub kind: Kind,
    pub status: Status,
    pub reference: String,
    pub internal_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub related: Option<i64>,
    /// The order's recipient, for a ticket that carries an order.
    pub recipient: Option<String>,
    /// The order's learning flag, for a ticket that carries an order.
    pub for_learning: Option<bool>,
    /// When the order shipped, if it did.
    pub shipped_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct CommentRow {
    pub id: i64,
    pub ticket: i64,
    pub author: i64,
    pub visibility: CommentVisibility,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub ticket: i64,
    pub actor: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct AttachmentRow {
    pub id: i64,
    pub ticket: i64,
    pub uploaded_by: i64,
    /// The stored bytes, as a download must return them.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct FeedbackRow {
    pub organisation: i64,
    pub author: i64,
}

/// An outbox email: only its delivery state matters to the oracle (ADMIN
/// reads every one, nobody else any).
#[derive(Debug, Clone)]
pub struct EmailRow {
    /// `PENDING`, `SENT`, `LOGGED` or `DEAD`.
    pub status: &'static str,
}

#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub organisation: i64,
}

#[derive(Debug, Clone)]
pub struct InvoiceLineRow {
    pub invoice: i64,
    pub organisation: i64,
    pub ticket: i64,
}

/// What reports read of an order: when its ticket was created, and, once
/// shipped, when and what.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub ticket: i64,
    pub created_at: DateTime<Utc>,
    pub for_learning: bool,
    /// Device model and when it shipped.
    pub shipped: Option<(String, DateTime<Utc>)>,
}

/// What reports read of an invoice.
#[derive(Debug, Clone)]
pub struct InvoiceFacts {
    pub paid: bool,
    pub total_cents: i64,
    pub issued_at: DateTime<Utc>,
}

/// Every row of the database, by table.
#[derive(Debug, Default)]
pub struct Model {
    pub organisations: BTreeMap<i64, OrganisationRow>,
    pub users: BTreeMap<i64, UserRow>,
    pub tickets: BTreeMap<i64, TicketRow>,
    /// Tickets that carry an order (by ticket id).
    pub orders: BTreeMap<i64, i64>,
    pub events: BTreeMap<i64, EventRow>,
    pub comments: BTreeMap<i64, CommentRow>,
    pub attachments: BTreeMap<i64, AttachmentRow>,
    pub feedback: BTreeMap<i64, FeedbackRow>,
    pub invoices: BTreeMap<i64, InvoiceRow>,
    pub invoice_lines: BTreeMap<i64, InvoiceLineRow>,
    pub emails: BTreeMap<i64, EmailRow>,
    /// Order facts, by order id.
    pub order_facts: BTreeMap<i64, OrderFacts>,
    /// Invoice facts, by invoice id.
    pub invoice_facts: BTreeMap<i64, InvoiceFacts>,
    /// When each feedback message was sent, by id.
    pub feedback_sent: BTreeMap<i64, DateTime<Utc>>,
    /// Comments, events and attachments of each ticket (ids, oldest first).
    pub children: HashMap<i64, Children>,
    /// Comments by author, events by actor (ids).
    pub authored: HashMap<i64, Vec<i64>>,
    pub acted: HashMap<i64, Vec<i64>>,
}

/// What hangs off one ticket.
#[derive(Debug, Default, Clone)]
pub struct Children {
    pub comments: Vec<i64>,
    pub events: Vec<i64>,
    pub attachments: Vec<i64>,
}

impl Model {
    pub fn user(&self, id: i64) -> &UserRow {
        &self.users[&id]
    }

    pub fn ticket(&self, id: i64) -> &TicketRow {
        &self.tickets[&id]
    }

    pub fn children(&self, ticket: i64) -> Children {
        self.children.get(&ticket).cloned().unwrap_or_default()
    }

    pub fn add_comment(&mut self, row: CommentRow) {
        let entry = self.children.entry(row.ticket).or_default();
        entry.comments.push(row.id);
        self.authored.entry(row.author).or_default().push(row.id);
        self.comments.insert(row.id, row);
    }

    pub fn add_event(&mut self, row: EventRow) {
        self.children
            .entry(row.ticket)
            .or_default()
            .events
            .push(row.id);
        if let Some(actor) = row.actor {
            self.acted.entry(actor).or_default().push(row.id);
        }
        self.events.insert(row.id, row);
    }

    pub fn add_attachment(&mut self, row: AttachmentRow) {
        self.children
            .entry(row.ticket)
            .or_default()
            .attachments
            .push(row.id);
        self.attachments.insert(row.id, row);
    }
}
