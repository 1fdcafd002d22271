//! "Donner un feedback": messages from any user to the provider. Staff read
//! them all, managers their organisation's, members their own.

pub mod graphql;
pub mod service;
