//! `invoice_lines`: one line per order on an invoice, a snapshot of what the
//! invoice prints. An order is on at most one live line (a partial unique
//! index); voiding an invoice sets `is_live = false` on its lines.

use sea_orm::entity::prelude::*;

/// A line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The invoice's organisation.
    pub organisation_id: i64,
    /// The invoice.
    pub invoice_id: i64,
    /// The invoiced order.
    pub order_id: i64,
    /// The order's ticket.
    pub ticket_id: i64,
    /// The ticket's `GEM-<n>` reference.
    pub reference: String,
    /// The partner's internal reference, if any.
    pub internal_reference: Option<String>,
    /// When the ticket was created (data-entry date).
    pub entered_at: DateTimeUtc,
    /// When the order was shipped.
    pub shipped_at: DateTimeUtc,
    /// Shipped device model.
    pub device_model: String,
    /// Delivery address, formatted.
    #[sea_orm(column_type = "Text")]
    pub delivery_address: String,
    /// Whether the learning price applied.
    pub for_learning: bool,
    /// Amount of the line, in cents.
    pub amount_cents: i64,
    /// False once the invoice is VOID, which frees the order for a new
    /// invoice.
    pub is_live: bool,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The line's organisation, invoice, order and ticket.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The invoice's organisation.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// The invoice; lines are deleted with it.
    #[sea_orm(
        belongs_to = "super::invoices::Entity",
        from = "Column::InvoiceId",
        to = "super::invoices::Column::Id",
        on_delete = "Cascade"
    )]
    Invoice,
    /// The invoiced order.
    #[sea_orm(
        belongs_to = "super::orders::Entity",
        from = "Column::OrderId",
        to = "super::orders::Column::Id",
        on_delete = "NoAction"
    )]
    Order,
    /// The order's ticket.
    #[sea_orm(
        belongs_to = "super::tickets::Entity",
        from = "Column::TicketId",
        to = "super::tickets::Column::Id",
        on_delete = "NoAction"
    )]
    Ticket,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::invoices::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invoice.def()
    }
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::tickets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ticket.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
