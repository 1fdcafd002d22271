//! `orders`: the laptop order carried by a LAPTOP_ORDER ticket (1:1). The
//! partner fills in the recipient fields; staff fill in the device and
//! shipping fields when shipping.

use sea_orm::entity::prelude::*;

/// A laptop order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The ticket's organisation.
    pub organisation_id: i64,
    /// The ticket carrying the order, unique.
    #[sea_orm(unique)]
    pub ticket_id: i64,
    /// Who receives the laptop.
    pub recipient_name: String,
    /// Street and number.
    pub street: String,
    /// Postal code (4 digits in CH and LI).
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, `CH` by default.
    pub country: String,
    /// Phone number for delivery problems, in E.164.
    pub phone: String,
    /// Laptop for an apprentice or a student: comes with Windows and needs a
    /// training certificate attachment.
    pub for_learning: bool,
    /// Anything else the partner wants to say.
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// Shipped device model, set when shipping.
    pub device_model: Option<String>,
    /// Shipped device serial number.
    pub serial_number: Option<String>,
    /// When the order was shipped; `None` until then.
    pub shipped_at: Option<DateTimeUtc>,
    /// Carrier tracking number, if any.
    pub tracking_number: Option<String>,
    /// Staff member who shipped the order.
    pub shipped_by_id: Option<i64>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
}

/// The order's organisation, ticket, shipper and invoice lines.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The ticket's organisation.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// The ticket; the order is deleted with it.
    #[sea_orm(
        belongs_to = "super::tickets::Entity",
        from = "Column::TicketId",
        to = "super::tickets::Column::Id",
        on_delete = "Cascade"
    )]
    Ticket,
    /// Staff member who shipped the order.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ShippedById",
        to = "super::users::Column::Id",
        on_delete = "NoAction"
    )]
    ShippedBy,
    /// Invoice lines for the order (at most one of them live).
    #[sea_orm(has_many = "super::invoice_lines::Entity")]
    InvoiceLines,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::tickets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ticket.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ShippedBy.def()
    }
}

impl Related<super::invoice_lines::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InvoiceLines.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
