//! Data for an empty database, two ways:
//!
//! - [`demo`]: the demo a first start seeds (`partnerdesk serve`,
//!   `partnerdesk seed`): a few organisations and about fifty tickets,
//!   written through the ticket and invoicing services themselves, with a
//!   random password per user.
//! - [`generator`]: data sets for measuring (`partnerdesk seed --scale
//!   small|medium|large`): up to a million tickets with their orders,
//!   events, comments, attachments and invoices, deterministic from a seed
//!   and written as batched multi-row inserts, consistent with the
//!   workflow the services enforce.

pub mod demo;
pub mod generator;

pub use demo::{DemoLogin, seed_if_empty};

use rand::Rng as _;
use rand::distr::Alphanumeric;

/// A random 16-character alphanumeric password.
pub fn random_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}
