//! partnerdesk: the GraphQL backend of a partner service desk.
//!
//! Layout: `policy` decides who sees what and is the only way to read
//! tenant data; each domain folder (`organisations`, `users`, …) holds its
//! GraphQL types, resolvers, services and loaders; `http` and `startup`
//! assemble the server; `cli` is the binary's front door.

pub mod attachments;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod db;
pub mod domain;
pub mod error;
pub mod feedback;
pub mod graphql;
pub mod http;
pub mod i18n;
pub mod input_paths;
pub mod invoices;
pub mod live;
pub mod loaders;
pub mod mail;
pub mod monitoring;
pub mod multipart;
pub mod node;
pub mod notifications;
pub mod organisations;
pub mod playground;
pub mod policy;
pub mod query_limits;
pub mod relay;
pub mod reports;
pub mod reset_page;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;
pub mod users;
