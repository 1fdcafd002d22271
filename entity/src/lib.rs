//! SeaORM entities of partnerdesk: one module per table, plain data, no
//! GraphQL (the API has its own types, so a new column never leaks).
//!
//! The schema itself is owned by the `migration` crate; these entities
//! mirror it. Ids are `i64`, timestamps are UTC (`DateTimeUtc`), dates are
//! `Date`, money is integer cents, and enum-like columns use the enums in
//! [`enums`].

pub mod attachment_blobs;
pub mod attachments;
pub mod comments;
pub mod counters;
pub mod email_outbox;
pub mod enums;
pub mod feedback;
pub mod invoice_lines;
pub mod invoices;
pub mod login_attempts;
pub mod orders;
pub mod organisations;
pub mod password_reset_tokens;
pub mod ticket_events;
pub mod tickets;
pub mod user_profiles;
pub mod users;
