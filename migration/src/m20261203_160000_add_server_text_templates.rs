//! Adds the template and parameter of the texts the server writes into
//! tickets, so that they are worded in each reader's language when read
//! rather than once, in the creator's:
//! - `tickets.subject_template` (`LAPTOP_ORDER`: "Laptop for <recipient>",
//!   `DELIVERY_ISSUE`: "Delivery problem on <reference>") and
//!   `subject_param`;
//! - `ticket_events.note_template` (`TRACKING_NUMBER`, `INVOICE_ISSUED`,
//!   `INVOICE_PAID`) and `note_param`.
//!
//! `subject` and `note` keep their worded text (for search, and for whoever
//! reads the tables). Existing rows whose text is exactly one of the
//! catalogue's wordings, in any of the four languages, get their template
//! and parameter back; any other text (typed by a person, or cut at 200
//! characters) stays as it is.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::one_of_null;
use crate::m20261126_000005_create_tickets::Tickets;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Added {
    SubjectTemplate,
    SubjectParam,
    NoteTemplate,
    NoteParam,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
}

/// The subjects' wordings, with `{p}` for the parameter, in every
/// language (see `src/i18n`).
const LAPTOP_ORDER: [&str; 4] = [
    "Ordinateur portable pour {p}",
    "Laptop für {p}",
    "Portatile per {p}",
    "Laptop for {p}",
];
const DELIVERY_ISSUE: [&str; 4] = [
    "Problème de livraison sur {p}",
    "Lieferproblem bei {p}",
    "Problema di consegna per {p}",
    "Delivery problem on {p}",
];
/// The tracking note's prefixes, in every language.
const TRACKING: [&str; 4] = [
    "Numéro de suivi ",
    "Sendungsnummer ",
    "Numero di tracciamento ",
    "Tracking number ",
];

/// `UPDATE tickets` for one subject template: the parameter is `param`
/// of the row found by `source` (`FROM … WHERE …` over `tickets.id`).
fn subject_backfill(template: &str, source: &str, param: &str, wordings: &[&str]) -> String {
    let any = wordings
        .iter()
        .map(|w| {
            let (head, tail) = w.split_once("{p}").unwrap_or((w, ""));
            format!("tickets.subject = '{head}' || {param} || '{tail}'")
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "UPDATE tickets SET subject_template = '{template}', \
         subject_param = (SELECT {param} {source}) \
         WHERE kind = '{template}' AND subject_template IS NULL \
         AND EXISTS (SELECT 1 {source} AND ({any}))"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(one_of_null(
                        Tickets::Table,
                        Added::SubjectTemplate,
                        &["LAPTOP_ORDER", "DELIVERY_ISSUE"],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(text_null(Added::SubjectParam))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(TicketEvents::Table)
                    .add_column(one_of_null(
                        TicketEvents::Table,
                        Added::NoteTemplate,
                        &["TRACKING_NUMBER", "INVOICE_ISSUED", "INVOICE_PAID"],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(TicketEvents::Table)
                    .add_column(text_null(Added::NoteParam))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let mut backfill = vec![
            subject_backfill(
                "LAPTOP_ORDER",
                "FROM orders o WHERE o.ticket_id = tickets.id",
                "o.recipient_name",
                &LAPTOP_ORDER,
            ),
            subject_backfill(
                "DELIVERY_ISSUE",
                "FROM tickets r WHERE r.id = tickets.related_ticket_id",
                "r.reference",
                &DELIVERY_ISSUE,
            ),
        ];
        for prefix in TRACKING {
            let len = prefix.chars().count();
            backfill.push(format!(
                "UPDATE ticket_events SET note_template = 'TRACKING_NUMBER', \
                 note_param = substr(note, {start}) \
                 WHERE kind = 'SHIPPED' AND note_template IS NULL \
                 AND length(note) > {len} AND substr(note, 1, {len}) = '{prefix}'",
                start = len + 1,
            ));
        }
        backfill.push(
            "UPDATE ticket_events SET note_template = 'INVOICE_ISSUED', \
             note_param = substr(note, 9) \
             WHERE kind = 'INVOICED' AND note_template IS NULL \
             AND length(note) > 8 AND substr(note, 1, 8) = 'Invoice '"
                .to_owned(),
        );
        backfill.push(
            "UPDATE ticket_events SET note_template = 'INVOICE_PAID', \
             note_param = substr(note, 9, length(note) - 13) \
             WHERE kind = 'STATUS_CHANGED' AND to_status = 'BILLED' \
             AND note_template IS NULL AND length(note) > 13 \
             AND substr(note, 1, 8) = 'Invoice ' \
             AND substr(note, length(note) - 4) = ' paid'"
                .to_owned(),
        );
        for sql in backfill {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Added::SubjectParam, Added::SubjectTemplate] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tickets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Added::NoteParam, Added::NoteTemplate] {
            manager
                .alter_table(
                    Table::alter()
                        .table(TicketEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
