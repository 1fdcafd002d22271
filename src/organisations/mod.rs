//! Organisations: the partners and the provider.

pub mod graphql;
pub mod loaders;
pub mod service;
pub mod types;
