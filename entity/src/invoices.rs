//! `invoices`: bills to an organisation. Amounts are integer CHF cents; the
//! billing email and address are copied from the organisation when issued.

use sea_orm::entity::prelude::*;

use crate::enums::{BillingMode, InvoiceStatus};

/// An invoice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The billed organisation.
    pub organisation_id: i64,
    /// `<year>-<6 digits>`, unique.
    #[sea_orm(unique)]
    pub number: String,
    /// The billing mode the invoice was issued under.
    pub billing_mode: BillingMode,
    /// First day of the billed period.
    pub period_start: Date,
    /// Last day of the billed period (the ship date for PER_ORDER).
    pub period_end: Date,
    /// Issued, paid or void.
    pub status: InvoiceStatus,
    /// ISO 4217 currency, `CHF`.
    pub currency: String,
    /// Sum of the line amounts, in cents.
    pub subtotal_cents: i64,
    /// VAT rate in basis points at issue time.
    pub vat_rate_bp: i32,
    /// VAT amount, in cents.
    pub vat_cents: i64,
    /// Subtotal plus VAT, in cents.
    pub total_cents: i64,
    /// Where the invoice was emailed.
    pub billing_email: Option<String>,
    /// Billing address printed on the invoice.
    #[sea_orm(column_type = "Text", nullable)]
    pub billing_address: Option<String>,
    /// When it was issued.
    pub issued_at: DateTimeUtc,
    /// When it was marked paid.
    pub paid_at: Option<DateTimeUtc>,
    /// When it was voided.
    pub voided_at: Option<DateTimeUtc>,
    /// Why it was voided.
    #[sea_orm(column_type = "Text", nullable)]
    pub void_reason: Option<String>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
}

/// The invoice's organisation and lines.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The billed organisation.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// One line per invoiced order.
    #[sea_orm(has_many = "super::invoice_lines::Entity")]
    InvoiceLines,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::invoice_lines::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InvoiceLines.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
