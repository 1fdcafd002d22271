//! Invoicing (SPEC §2 "Invoice", seed §6): a PER_ORDER organisation's
//! invoice is issued when its order ships, a QUARTERLY one's by the
//! quarterly run; staff mark invoices paid (their tickets become BILLED) or
//! void them (their orders are free for a new invoice). Each invoice is
//! emailed with its CSV and downloadable as CSV.
//!
//! - `billing`: money and calendar as pure functions (VAT per line rounded
//!   half up, totals, numbers, Zurich quarters);
//! - `service`: issuing, paying, voiding, each one transaction;
//! - `csv`: the CSV file, its stable columns and its formula guard;
//! - `types`, `graphql`, `loaders`: the API; `http`: `GET /invoices/{id}.csv`.
//!
//! Invoices are read through `policy::Scope` only: PARTNER_MANAGER their
//! organisation's, STAFF and ADMIN all, PARTNER_MEMBER none.

pub mod billing;
pub mod csv;
pub mod graphql;
pub mod http;
pub mod loaders;
pub mod service;
pub mod types;
