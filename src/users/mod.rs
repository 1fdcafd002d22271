//! Users: logins of partner organisations and of the provider's staff.

pub mod graphql;
pub mod loaders;
pub mod service;
pub mod types;
