//! Tickets: the requests of the service desk and their workflow.
//!
//! `workflow` is the ticket state machine as pure functions: which status
//! changes exist, who may make them, and how a refusal is explained. It
//! touches no database; the services that change a ticket ask it first and
//! record the answer as a ticket event in the same transaction.

pub mod events;
pub mod graphql;
pub mod loaders;
pub mod reference;
pub mod service;
pub mod types;
pub mod workflow;
