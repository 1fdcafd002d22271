//! Attachments: files on tickets (training certificates, delivery photos).
//!
//! - `detect`: the file's type from its own bytes (PDF, PNG, JPEG only);
//! - `domain`: the file name as kept and offered for download;
//! - `storage`: the content-addressed blob store trait and the local disk;
//!   `database_store`: the same in a table, shared by every instance;
//! - `service`: checking, storing and recording an upload, in one
//!   transaction with its ticket event, leaving nothing behind on failure;
//! - `types`, `graphql`, `loaders`: the GraphQL surface; `upload` reads a
//!   multipart `Upload` into a file the service checks;
//! - `http`: `GET /attachments/{id}`, the download, with the ticket's
//!   visibility.

pub mod database_store;
pub mod detect;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod loaders;
pub mod service;
pub mod storage;
pub mod types;
pub mod upload;
