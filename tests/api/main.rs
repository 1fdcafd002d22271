//! Integration tests: each test starts the real server on a random port
//! against a database of its own (SQLite by default; PostgreSQL when
//! `TEST_DATABASE_URL` is set) and talks HTTP to it. One binary, one module
//! per area.

mod databases;
mod helpers;
mod logs;
mod pg_cluster;
mod server_process;

mod attachment_store;
mod attachments;
mod auth;
mod auth_throttle;
mod auth_tokens;
mod browser;
mod cli;
mod concurrency;
mod config;
mod dashboards;
mod entry_point;
mod errors;
mod generator;
mod graphql_http_audit;
mod health;
mod hostile;
mod hostile_uploads;
mod hot_paths;
mod introspection;
mod invoices;
mod isolation;
mod live;
mod loaders;
mod log_redaction;
mod mail;
mod memory;
mod metrics;
mod organisations;
mod outage;
mod portal;
mod production;
mod protocol;
mod replica;
mod reports;
mod reset_page;
mod schema;
mod seed;
mod shutdown;
mod staff_notifications;
mod tickets;
mod user_management;
mod viewer;
