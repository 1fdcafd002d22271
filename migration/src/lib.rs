//! Database migrations of partnerdesk, for SQLite and PostgreSQL alike.
//!
//! One migration per table, in dependency order. Run them with
//! `Migrator::up(&db, None)` and undo them with `Migrator::down(&db, None)`.
//!
//! Conventions that every migration follows, so that both backends accept and
//! reject exactly the same rows:
//! - `id` is a 64-bit auto-increment primary key; foreign keys to it are
//!   64-bit too. (Two tables are keyed by what identifies their rows: the
//!   counters by name, the attachment blobs by the SHA-256 of their bytes.)
//! - Every tenant-owned table has a NOT NULL `organisation_id`, and the
//!   indexes that serve a visibility filter plus an ordering start with it.
//! - Enum-like columns are strings with a CHECK listing the allowed values
//!   (the values of the enums in the `entity` crate; a test keeps them in
//!   step). Values are spelled out here rather than taken from `entity`: a
//!   released migration must not change when the code does.
//! - `varchar(n)` lengths are also CHECKed, since SQLite ignores them.
//! - Timestamps are `timestamp with time zone` without a database default:
//!   the application writes every one of them, in UTC, so they compare and
//!   sort the same on both backends.
//! - A row that others point to cannot be deleted, except that the rows
//!   which only exist as part of their parent (a ticket's events, order,
//!   comments and attachments, an invoice's lines, a user's reset tokens) are
//!   deleted with it (`ON DELETE CASCADE`). The other foreign keys are
//!   `ON DELETE NO ACTION`, not `RESTRICT`: with constraints that are never
//!   deferred both refuse the same deletes, but SQLite implements `RESTRICT`
//!   as a trigger and reports it as a trigger error (extended code 1811),
//!   which `DbErr::sql_err()` does not recognise, while `NO ACTION` fails
//!   with the foreign-key code on both backends (787 / 23503), so the
//!   application maps both to the same error.
//! - Constraint and index names are explicit; see `helpers` for the scheme.
//! - Each migration runs in a transaction on both backends, so a failure
//!   leaves nothing half-created.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261126_000001_create_organisations;
mod m20261126_000002_create_users;
mod m20261126_000003_create_password_reset_tokens;
mod m20261126_000004_create_counters;
mod m20261126_000005_create_tickets;
mod m20261126_000006_create_ticket_events;
mod m20261126_000007_create_orders;
mod m20261126_000008_create_comments;
mod m20261126_000009_create_attachments;
mod m20261126_000010_create_invoices;
mod m20261126_000011_create_invoice_lines;
mod m20261126_000012_create_feedback;
mod m20261126_000013_create_email_outbox;
mod m20261126_000014_create_login_attempts;
mod m20261203_000015_add_organisations_locale;
mod m20261203_124000_add_tickets_status_changed_at;
mod m20261203_160000_add_server_text_templates;
mod m20261203_170000_add_login_attempts_pending;
mod m20261203_170000_create_attachment_blobs;
mod m20261203_170000_rework_email_outbox;
mod m20261203_180000_add_users_staff_notifications;
mod m20261203_200000_create_user_profiles_view;
mod m20261203_210000_add_report_indexes;

/// Every migration of the application, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_organisations::Migration),
            Box::new(m20261126_000002_create_users::Migration),
            Box::new(m20261126_000003_create_password_reset_tokens::Migration),
            Box::new(m20261126_000004_create_counters::Migration),
            Box::new(m20261126_000005_create_tickets::Migration),
            Box::new(m20261126_000006_create_ticket_events::Migration),
            Box::new(m20261126_000007_create_orders::Migration),
            Box::new(m20261126_000008_create_comments::Migration),
            Box::new(m20261126_000009_create_attachments::Migration),
            Box::new(m20261126_000010_create_invoices::Migration),
            Box::new(m20261126_000011_create_invoice_lines::Migration),
            Box::new(m20261126_000012_create_feedback::Migration),
            Box::new(m20261126_000013_create_email_outbox::Migration),
            Box::new(m20261126_000014_create_login_attempts::Migration),
            Box::new(m20261203_000015_add_organisations_locale::Migration),
            Box::new(m20261203_124000_add_tickets_status_changed_at::Migration),
            Box::new(m20261203_160000_add_server_text_templates::Migration),
            Box::new(m20261203_170000_add_login_attempts_pending::Migration),
            Box::new(m20261203_170000_create_attachment_blobs::Migration),
            Box::new(m20261203_170000_rework_email_outbox::Migration),
            Box::new(m20261203_180000_add_users_staff_notifications::Migration),
            Box::new(m20261203_200000_create_user_profiles_view::Migration),
            Box::new(m20261203_210000_add_report_indexes::Migration),
        ]
    }
}
