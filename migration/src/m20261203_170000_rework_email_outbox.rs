//! Makes `email_outbox` deliverable by several workers at once and keeps
//! reset and invitation links out of its clear text:
//! - `leased_until`: a worker that claims a row leases it until then; an
//!   expired lease (a worker that died mid-send) makes the row claimable
//!   again;
//! - `body_sealed`: the full body of an email that carries a token,
//!   encrypted (`body_text` then holds the same text with the link
//!   removed); cleared once the email is delivered;
//! - statuses PENDING, SENT (to the mail server), LOGGED (written to the
//!   log, when no mail server is configured) and DEAD (given up after the
//!   last attempt; FAILED rows become DEAD);
//! - the kind STAFF_NOTIFICATION (a notice to the provider's staff).
//!
//! PostgreSQL changes the CHECKs in place. SQLite cannot change a CHECK, so
//! there the table is rebuilt under a new name, filled, and renamed; no
//! other table refers to it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, bounded_null, checked, fk, id, index, one_of};
use crate::m20261126_000001_create_organisations::Organisations;
use crate::m20261126_000002_create_users::{LOCALES, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    OrganisationId,
    UserId,
    Kind,
    ToAddress,
    Locale,
    Subject,
    BodyText,
    BodySealed,
    AttachmentName,
    AttachmentContentType,
    AttachmentBody,
    Status,
    Attempts,
    NextAttemptAt,
    LeasedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

const KINDS: &[&str] = &[
    "PASSWORD_RESET",
    "INVITE",
    "STATUS_CHANGED",
    "STAFF_REPLY",
    "INVOICE_ISSUED",
    "STAFF_NOTIFICATION",
];
const STATUSES: &[&str] = &["PENDING", "SENT", "LOGGED", "DEAD"];
const OLD_KINDS: &[&str] = &[
    "PASSWORD_RESET",
    "INVITE",
    "STATUS_CHANGED",
    "STAFF_REPLY",
    "INVOICE_ISSUED",
];
const OLD_STATUSES: &[&str] = &["PENDING", "SENT", "FAILED"];

/// The columns both shapes of the table share, in order.
const SHARED: &str = "id, organisation_id, user_id, kind, to_address, locale, subject, \
     body_text, attachment_name, attachment_content_type, attachment_body, attempts, \
     next_attempt_at, last_error, created_at, sent_at";

/// The table, as created on SQLite under `name` (constraint names are those
/// of `email_outbox`, which it becomes).
fn table(
    name: impl IntoIden,
    kinds: &'static [&'static str],
    statuses: &'static [&'static str],
    with_new_columns: bool,
) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(name)
        .col(id())
        .col(big_integer(EmailOutbox::OrganisationId))
        .col(big_integer_null(EmailOutbox::UserId))
        .col(one_of(EmailOutbox::Table, EmailOutbox::Kind, kinds))
        .col(bounded(EmailOutbox::ToAddress, 254))
        .col(one_of(EmailOutbox::Table, EmailOutbox::Locale, LOCALES))
        .col(bounded(EmailOutbox::Subject, 300))
        .col(text(EmailOutbox::BodyText));
    if with_new_columns {
        create.col(text_null(EmailOutbox::BodySealed));
    }
    create
        .col(bounded_null(EmailOutbox::AttachmentName, 255))
        .col(bounded_null(EmailOutbox::AttachmentContentType, 100))
        .col(text_null(EmailOutbox::AttachmentBody))
        .col(one_of(EmailOutbox::Table, EmailOutbox::Status, statuses).default("PENDING"))
        .col(checked(
            EmailOutbox::Table,
            integer(EmailOutbox::Attempts).default(0),
            |c| c.gte(0),
        ))
        .col(timestamp_with_time_zone(EmailOutbox::NextAttemptAt));
    if with_new_columns {
        create.col(timestamp_with_time_zone_null(EmailOutbox::LeasedUntil));
    }
    create
        .col(text_null(EmailOutbox::LastError))
        .col(timestamp_with_time_zone(EmailOutbox::CreatedAt))
        .col(timestamp_with_time_zone_null(EmailOutbox::SentAt))
        .foreign_key(&mut fk(
            EmailOutbox::Table,
            EmailOutbox::OrganisationId,
            Organisations::Table,
            ForeignKeyAction::NoAction,
        ))
        .foreign_key(&mut fk(
            EmailOutbox::Table,
            EmailOutbox::UserId,
            Users::Table,
            ForeignKeyAction::NoAction,
        ));
    create.to_owned()
}

fn in_list(column: &str, values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    format!("{column} IN ({})", quoted.join(", "))
}

/// Rebuilds the table on SQLite with `kinds` and `statuses` allowed,
/// copying every row with its status mapped by `status_sql`.
async fn rebuild_on_sqlite(
    manager: &SchemaManager<'_>,
    kinds: &'static [&'static str],
    statuses: &'static [&'static str],
    with_new_columns: bool,
    status_sql: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    manager
        .create_table(table(
            Alias::new("email_outbox_next"),
            kinds,
            statuses,
            with_new_columns,
        ))
        .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO email_outbox_next ({SHARED}, status) SELECT {SHARED}, {status_sql} FROM email_outbox"
    ))
    .await?;
    db.execute_unprepared("DROP TABLE email_outbox").await?;
    db.execute_unprepared("ALTER TABLE email_outbox_next RENAME TO email_outbox")
        .await?;
    for cols in [
        vec![EmailOutbox::Status, EmailOutbox::NextAttemptAt],
        vec![EmailOutbox::OrganisationId, EmailOutbox::CreatedAt],
    ] {
        manager
            .create_index(index(EmailOutbox::Table, cols))
            .await?;
    }
    Ok(())
}

/// Swaps the CHECKs of `kind` and `status` on PostgreSQL.
async fn recheck_on_postgres(
    manager: &SchemaManager<'_>,
    kinds: &[&str],
    statuses: &[&str],
    status_sql: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(
        "ALTER TABLE email_outbox DROP CONSTRAINT ck_email_outbox_kind, \
         DROP CONSTRAINT ck_email_outbox_status",
    )
    .await?;
    db.execute_unprepared(&format!("UPDATE email_outbox SET status = {status_sql}"))
        .await?;
    db.execute_unprepared(&format!(
        "ALTER TABLE email_outbox ADD CONSTRAINT ck_email_outbox_kind CHECK ({}), \
         ADD CONSTRAINT ck_email_outbox_status CHECK ({})",
        in_list("kind", kinds),
        in_list("status", statuses)
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let status = "CASE status WHEN 'FAILED' THEN 'DEAD' ELSE status END";
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            return rebuild_on_sqlite(manager, KINDS, STATUSES, true, status).await;
        }
        recheck_on_postgres(manager, KINDS, STATUSES, status).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(EmailOutbox::Table)
                    .add_column(text_null(EmailOutbox::BodySealed))
                    .add_column(timestamp_with_time_zone_null(EmailOutbox::LeasedUntil))
                    .to_owned(),
            )
            .await
    }

    /// Back to the first shape: LOGGED rows count as SENT, DEAD as FAILED;
    /// staff notifications and sealed bodies cannot be kept and are deleted.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "DELETE FROM email_outbox WHERE kind = 'STAFF_NOTIFICATION' OR body_sealed IS NOT NULL",
        )
        .await?;
        let status =
            "CASE status WHEN 'LOGGED' THEN 'SENT' WHEN 'DEAD' THEN 'FAILED' ELSE status END";
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            return rebuild_on_sqlite(manager, OLD_KINDS, OLD_STATUSES, false, status).await;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(EmailOutbox::Table)
                    .drop_column(EmailOutbox::BodySealed)
                    .drop_column(EmailOutbox::LeasedUntil)
                    .to_owned(),
            )
            .await?;
        recheck_on_postgres(manager, OLD_KINDS, OLD_STATUSES, status).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
