//! Creates `email_outbox`: emails to send, written in the same transaction
//! as the change that causes them and delivered by a background worker, with
//! retries (`attempts`, `next_attempt_at`, `last_error`), so that none is
//! lost on a restart. The message is rendered when queued: subject, body and
//! the optional attachment (e.g. an invoice CSV) are stored as sent.
//! `user_id` is NULL when the recipient is not a user (e.g. an invoice sent
//! to an organisation's billing address).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{bounded, bounded_null, checked, drop_table, fk, id, index, one_of};
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
    AttachmentName,
    AttachmentContentType,
    AttachmentBody,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailOutbox::Table)
                    .col(id())
                    .col(big_integer(EmailOutbox::OrganisationId))
                    .col(big_integer_null(EmailOutbox::UserId))
                    .col(one_of(
                        EmailOutbox::Table,
                        EmailOutbox::Kind,
                        &[
                            "PASSWORD_RESET",
                            "INVITE",
                            "STATUS_CHANGED",
                            "STAFF_REPLY",
                            "INVOICE_ISSUED",
                        ],
                    ))
                    .col(bounded(EmailOutbox::ToAddress, 254))
                    .col(one_of(EmailOutbox::Table, EmailOutbox::Locale, LOCALES))
                    .col(bounded(EmailOutbox::Subject, 300))
                    .col(text(EmailOutbox::BodyText))
                    .col(bounded_null(EmailOutbox::AttachmentName, 255))
                    .col(bounded_null(EmailOutbox::AttachmentContentType, 100))
                    .col(text_null(EmailOutbox::AttachmentBody))
                    .col(
                        one_of(
                            EmailOutbox::Table,
                            EmailOutbox::Status,
                            &["PENDING", "SENT", "FAILED"],
                        )
                        .default("PENDING"),
                    )
                    .col(checked(
                        EmailOutbox::Table,
                        integer(EmailOutbox::Attempts).default(0),
                        |c| c.gte(0),
                    ))
                    .col(timestamp_with_time_zone(EmailOutbox::NextAttemptAt))
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
                    ))
                    .to_owned(),
            )
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

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, EmailOutbox::Table).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
