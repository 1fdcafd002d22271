//! The enum-like columns, stored as strings.
//!
//! Each database column holding one of these has a CHECK listing exactly the
//! string values below (see the migrations); a test in the migration crate
//! keeps the two in step. Serde uses the same strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether an organisation is a partner (a customer) or the provider itself.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganisationKind {
    /// A customer organisation that orders laptops.
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    /// The provider that refurbishes and ships the laptops.
    #[sea_orm(string_value = "PROVIDER")]
    Provider,
}

/// Which tickets of its organisation a partner member may see.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketVisibility {
    /// Only the tickets the member created.
    #[sea_orm(string_value = "CREATOR_ONLY")]
    CreatorOnly,
    /// All tickets of the organisation.
    #[sea_orm(string_value = "ORGANISATION")]
    Organisation,
}

/// How an organisation is invoiced.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BillingMode {
    /// One invoice per order, issued when it ships.
    #[sea_orm(string_value = "PER_ORDER")]
    PerOrder,
    /// One invoice per quarter for the orders shipped in it.
    #[sea_orm(string_value = "QUARTERLY")]
    Quarterly,
}

/// What a user may do.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Works in a partner organisation.
    #[sea_orm(string_value = "PARTNER_MEMBER")]
    PartnerMember,
    /// Also sees all of the organisation's tickets and invoices and manages its users.
    #[sea_orm(string_value = "PARTNER_MANAGER")]
    PartnerManager,
    /// Provider staff: sees everything, reviews, queues, ships and bills.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// Staff who also manage organisations, their settings and staff.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// Language of a user's emails and interface.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// French.
    #[sea_orm(string_value = "fr")]
    Fr,
    /// German.
    #[sea_orm(string_value = "de")]
    De,
    /// Italian.
    #[sea_orm(string_value = "it")]
    It,
    /// English.
    #[sea_orm(string_value = "en")]
    En,
}

/// Why a password token was issued.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResetPurpose {
    /// The user asked to reset a forgotten password.
    #[sea_orm(string_value = "RESET")]
    Reset,
    /// The user was invited and sets a first password.
    #[sea_orm(string_value = "INVITE")]
    Invite,
}

/// What a ticket is about.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketKind {
    /// A laptop order; the ticket carries an order.
    #[sea_orm(string_value = "LAPTOP_ORDER")]
    LaptopOrder,
    /// A problem with a delivery.
    #[sea_orm(string_value = "DELIVERY_ISSUE")]
    DeliveryIssue,
    /// Anything else.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Where a ticket is in the workflow.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketStatus {
    /// Initial: staff checks the request.
    #[sea_orm(string_value = "REVIEW")]
    Review,
    /// Waits for capacity.
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    /// Reviewed; ships within days.
    #[sea_orm(string_value = "READY_TO_SHIP")]
    ReadyToShip,
    /// Shipped; invoiced according to the billing mode.
    #[sea_orm(string_value = "READY_FOR_BILLING")]
    ReadyForBilling,
    /// Invoice paid; closed.
    #[sea_orm(string_value = "BILLED")]
    Billed,
    /// Withdrawn or rejected, with a reason; closed.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// What a ticket event records.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketEventKind {
    /// The ticket was created.
    #[sea_orm(string_value = "CREATED")]
    Created,
    /// The status changed (`from_status` to `to_status`).
    #[sea_orm(string_value = "STATUS_CHANGED")]
    StatusChanged,
    /// The order was shipped.
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
    /// The order was put on an invoice.
    #[sea_orm(string_value = "INVOICED")]
    Invoiced,
    /// A comment was added.
    #[sea_orm(string_value = "COMMENTED")]
    Commented,
    /// A file was attached.
    #[sea_orm(string_value = "ATTACHMENT_ADDED")]
    AttachmentAdded,
}

/// A ticket subject the server writes (`tickets.subject_template`); its
/// one parameter is `tickets.subject_param`. The text is rendered in the
/// reader's language when read; `tickets.subject` keeps it in the
/// creator's language for search.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubjectTemplate {
    /// "Laptop for <recipient>".
    #[sea_orm(string_value = "LAPTOP_ORDER")]
    LaptopOrder,
    /// "Delivery problem on <reference of the order's ticket>".
    #[sea_orm(string_value = "DELIVERY_ISSUE")]
    DeliveryIssue,
}

/// An event note the server writes (`ticket_events.note_template`); its
/// one parameter is `ticket_events.note_param`. Rendered in the reader's
/// language when read; `ticket_events.note` keeps it worded in English.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoteTemplate {
    /// "Tracking number <number>", on a SHIPPED event.
    #[sea_orm(string_value = "TRACKING_NUMBER")]
    TrackingNumber,
    /// "Invoice <number>", on an INVOICED event.
    #[sea_orm(string_value = "INVOICE_ISSUED")]
    InvoiceIssued,
    /// "Invoice <number> paid", on the change to BILLED.
    #[sea_orm(string_value = "INVOICE_PAID")]
    InvoicePaid,
}

/// Who may read a comment.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommentVisibility {
    /// The partner and staff.
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    /// Staff only.
    #[sea_orm(string_value = "INTERNAL")]
    Internal,
}

/// State of an invoice.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvoiceStatus {
    /// Issued and sent, not paid yet.
    #[sea_orm(string_value = "ISSUED")]
    Issued,
    /// Paid; its tickets are BILLED.
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// Cancelled; its orders may be invoiced again.
    #[sea_orm(string_value = "VOID")]
    Void,
}

/// Why an email is sent.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmailKind {
    /// A password reset link.
    #[sea_orm(string_value = "PASSWORD_RESET")]
    PasswordReset,
    /// An invitation to set a first password.
    #[sea_orm(string_value = "INVITE")]
    Invite,
    /// A ticket changed status.
    #[sea_orm(string_value = "STATUS_CHANGED")]
    StatusChanged,
    /// Staff replied on a ticket.
    #[sea_orm(string_value = "STAFF_REPLY")]
    StaffReply,
    /// An invoice was issued.
    #[sea_orm(string_value = "INVOICE_ISSUED")]
    InvoiceIssued,
    /// A notice to the provider's staff (an order, a partner's comment, a
    /// delivery issue, feedback).
    #[sea_orm(string_value = "STAFF_NOTIFICATION")]
    StaffNotification,
}

/// Delivery state of an outbox email.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmailStatus {
    /// Waiting to be sent, or to be retried.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Delivered to the mail server.
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Written to the log, no mail server being configured.
    #[sea_orm(string_value = "LOGGED")]
    Logged,
    /// Given up after the last attempt (or undeliverable as written).
    #[sea_orm(string_value = "DEAD")]
    Dead,
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use sea_orm::{ActiveEnum, Iterable};
    use serde::{Serialize, de::DeserializeOwned};

    use super::*;

    fn serde_uses_the_database_strings<E>()
    where
        E: ActiveEnum<Value = String> + Iterable + Serialize + DeserializeOwned + PartialEq + Debug,
    {
        for variant in E::iter() {
            let json = serde_json::to_value(&variant).expect("serialise");
            assert_eq!(json, serde_json::Value::String(variant.to_value()));
            assert_eq!(
                serde_json::from_value::<E>(json).expect("deserialise"),
                variant
            );
        }
    }

    #[test]
    fn every_enum_serialises_as_its_database_string() {
        serde_uses_the_database_strings::<OrganisationKind>();
        serde_uses_the_database_strings::<TicketVisibility>();
        serde_uses_the_database_strings::<BillingMode>();
        serde_uses_the_database_strings::<Role>();
        serde_uses_the_database_strings::<Locale>();
        serde_uses_the_database_strings::<SubjectTemplate>();
        serde_uses_the_database_strings::<NoteTemplate>();
        serde_uses_the_database_strings::<ResetPurpose>();
        serde_uses_the_database_strings::<TicketKind>();
        serde_uses_the_database_strings::<TicketStatus>();
        serde_uses_the_database_strings::<TicketEventKind>();
        serde_uses_the_database_strings::<CommentVisibility>();
        serde_uses_the_database_strings::<InvoiceStatus>();
        serde_uses_the_database_strings::<EmailKind>();
        serde_uses_the_database_strings::<EmailStatus>();
    }
}
