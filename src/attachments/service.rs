//! Uploading a file to a ticket: check it, store it, record it.
//!
//! Invariants:
//! - nothing is touched before the file is known good: empty, over
//!   [`MAX_FILE_BYTES`], not a PDF, PNG or JPEG by its own bytes, or also
//!   a ZIP archive (a polyglot, see [`detect::hides_a_zip_archive`]) is a
//!   VALIDATION error naming the argument, before any storage or database
//!   access;
//! - the bytes are never decompressed, parsed or rendered here: a file
//!   that would expand to gigabytes in a reader (a zip or deflate bomb)
//!   costs what it weighs, at most 10 MiB;
//! - the row, its ticket event and the blob go together: a request that
//!   fails after storing the blob removes it again unless a committed row
//!   references the same bytes, so a refused or failed upload leaves no row
//!   and no file behind;
//! - the ticket is read through the viewer's scope: a ticket out of scope is
//!   NOT_FOUND, as if it did not exist.
//!
//! Rule decided here (the specification is silent): a closed ticket
//! (BILLED, CANCELLED) accepts no new files, from partners or staff, and the
//! refusal is a CONFLICT. A closed ticket's record is final; a later
//! document belongs on a new ticket that refers to it.

use chrono::{DateTime, Utc};
use entity::enums::{TicketEventKind, TicketStatus};
use entity::{attachments, tickets};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::detect::{self, FileType};
use super::domain::sanitize_file_name;
use super::storage::Storage;
use crate::error::{AppError, AppResult, Invalid};
use crate::i18n::EventNote;
use crate::policy::Scope;
use crate::state::AppState;
use crate::tickets::events::{self, NewEvent};
use crate::tickets::workflow;

/// Largest accepted file: 10 MiB (SPEC §2), as the database also enforces.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// An upload that passed every check, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedFile {
    /// Sanitised base name, with an extension matching `content_type`.
    pub file_name: String,
    /// Detected from the bytes: `application/pdf`, `image/png` or `image/jpeg`.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lower-case hex.
    pub sha256: String,
}

impl PreparedFile {
    /// The key the file has (or will have) in `storage`.
    pub fn storage_key(&self, storage: &dyn Storage) -> String {
        storage.key_for(&self.sha256)
    }
}

/// Checks size and type of `bytes` named `file_name` by the client.
pub fn check_file(file_name: &str, bytes: Vec<u8>, field: &str) -> AppResult<PreparedFile> {
    if bytes.is_empty() {
        return Err(AppError::validation(
            field,
            Invalid::required_because("the file is empty"),
        ));
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(AppError::validation(
            field,
            Invalid::too_large("the file is larger than 10 MiB", MAX_FILE_BYTES),
        ));
    }
    let Some(file_type) = detect::detect(&bytes) else {
        return Err(AppError::validation(
            field,
            Invalid::not_allowed("only PDF, PNG and JPEG files are accepted"),
        ));
    };
    if detect::hides_a_zip_archive(&bytes) {
        return Err(AppError::validation(
            field,
            Invalid::not_allowed(
                "the file is also a ZIP archive (one is appended to it); send the PDF, PNG or JPEG alone",
            ),
        ));
    }
    Ok(prepared(file_name, file_type, bytes))
}

fn prepared(file_name: &str, file_type: FileType, bytes: Vec<u8>) -> PreparedFile {
    PreparedFile {
        file_name: sanitize_file_name(file_name, file_type),
        content_type: file_type.mime(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
    }
}

/// Whether `ticket` still accepts files (see the module's rule on closed
/// tickets).
pub fn may_attach(ticket: &tickets::Model) -> AppResult<()> {
    if workflow::is_final(ticket.status) {
        let state = match ticket.status {
            TicketStatus::Cancelled => "cancelled",
            _ => "billed",
        };
        return Err(AppError::conflict(format!(
            "ticket {} is {state} and accepts no new files",
            ticket.reference
        )));
    }
    Ok(())
}

/// Stores `file`'s bytes and records it on `ticket`, within `txn` (the
/// caller's transaction): the `attachments` row and an ATTACHMENT_ADDED
/// event naming the file.
///
/// The blob is written before the transaction commits. A caller whose
/// transaction then fails calls [`discard_unreferenced`] with
/// [`PreparedFile::storage_key`], and after a commit [`ensure_stored`].
pub async fn store_and_record(
    txn: &impl ConnectionTrait,
    state: &AppState,
    ticket: &tickets::Model,
    uploader_id: i64,
    file: &PreparedFile,
    now: DateTime<Utc>,
) -> AppResult<attachments::Model> {
    let storage_key = state
        .storage
        .put(&file.sha256, &file.bytes)
        .await
        .map_err(|e| AppError::internal(anyhow::Error::new(e).context("storing an attachment")))?;
    let attachment = attachments::ActiveModel {
        organisation_id: Set(ticket.organisation_id),
        ticket_id: Set(ticket.id),
        uploaded_by_id: Set(uploader_id),
        file_name: Set(file.file_name.clone()),
        content_type: Set(file.content_type.to_owned()),
        size_bytes: Set(file.bytes.len() as i64),
        sha256: Set(file.sha256.clone()),
        storage_key: Set(storage_key),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    events::record(
        txn,
        ticket,
        NewEvent {
            kind: TicketEventKind::AttachmentAdded,
            actor_id: Some(uploader_id),
            from: None,
            to: None,
            note: Some(&EventNote::Written(file.file_name.clone())),
        },
        now,
    )
    .await?;
    Ok(attachment)
}

/// After a rolled-back transaction: deletes the blob under `storage_key`
/// unless a committed attachment references it (the same bytes uploaded
/// by someone else). Errors are logged, never returned: the request has
/// already failed for a reason of its own.
pub async fn discard_unreferenced(state: &AppState, storage_key: &str) {
    let references = crate::policy::system::blob_reference_count(&state.db, storage_key).await;
    match references {
        Ok(0) => {
            if let Err(e) = state.storage.delete(storage_key).await {
                tracing::error!(error = %e, storage_key, "could not delete an unreferenced blob");
            }
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, storage_key, "could not check a blob's references; kept");
        }
    }
}

/// After a commit: makes sure the committed row's blob is there. Closes the
/// window in which a failing upload of the same bytes, which saw no
/// committed row yet, deleted the blob this one found already stored.
/// Cheap when the blob is present (one existence check).
pub async fn ensure_stored(state: &AppState, file: &PreparedFile) {
    if let Err(e) = state.storage.put(&file.sha256, &file.bytes).await {
        tracing::error!(error = %e, sha256 = %file.sha256, "could not re-check a stored blob");
    }
}

/// Attaches a checked file to a ticket the viewer sees: partners to their
/// visible tickets, staff to any; closed tickets accept none.
pub async fn attach(
    state: &AppState,
    scope: &Scope,
    ticket_id: i64,
    file: &PreparedFile,
) -> AppResult<attachments::Model> {
    // Refuse what can be refused before any byte is stored.
    let ticket = scope.ticket(&state.db, ticket_id).await?;
    may_attach(&ticket)?;
    // The bytes go to storage outside the transaction: a slow disk then
    // holds no lock. Any failure below removes them again.
    ensure_stored(state, file).await;
    let result = async {
        let txn = state.db.begin().await?;
        // The transaction's first statement is a write that locks the
        // ticket's row (a no-op update): SQLite takes its write lock at
        // once instead of failing to upgrade a read, and on PostgreSQL a
        // concurrent status change waits for this upload or is seen by it.
        tickets::Entity::update_many()
            .col_expr(
                tickets::Column::Version,
                Expr::col(tickets::Column::Version),
            )
            .filter(tickets::Column::Id.eq(ticket_id))
            .exec(&txn)
            .await?;
        let ticket = scope.ticket(&txn, ticket_id).await?;
        may_attach(&ticket)?;
        let attachment = store_and_record(
            &txn,
            state,
            &ticket,
            scope.viewer().user_id,
            file,
            state.clock.now(),
        )
        .await?;
        txn.commit().await?;
        Ok::<_, AppError>(attachment)
    }
    .await;
    match result {
        Ok(attachment) => {
            ensure_stored(state, file).await;
            Ok(attachment)
        }
        Err(err) => {
            discard_unreferenced(state, &file.storage_key(state.storage.as_ref())).await;
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf_of_size(len: usize) -> Vec<u8> {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.resize(len, b' ');
        bytes
    }

    fn refused_field(result: AppResult<PreparedFile>) -> String {
        match result {
            Err(AppError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_pdf_is_prepared_with_its_detected_type_and_hash() {
        let file = check_file("../cert.pdf", b"%PDF-1.4\n".to_vec(), "file").expect("ok");
        assert_eq!(file.file_name, "cert.pdf");
        assert_eq!(file.content_type, "application/pdf");
        assert_eq!(file.sha256, hex::encode(Sha256::digest(b"%PDF-1.4\n")));
        assert_eq!(file.sha256.len(), 64);
    }

    #[test]
    fn the_client_name_does_not_decide_the_type() {
        let png = check_file("scan.pdf", b"\x89PNG\r\n\x1a\n....".to_vec(), "file").expect("ok");
        assert_eq!(png.content_type, "image/png");
        assert_eq!(png.file_name, "scan.pdf.png");
        let exe = check_file("cert.pdf", b"MZ\x90\0\x03".to_vec(), "file");
        assert_eq!(refused_field(exe), "file");
    }

    #[test]
    fn empty_files_are_refused() {
        assert_eq!(refused_field(check_file("a.pdf", vec![], "file")), "file");
    }

    #[test]
    fn ten_mib_is_accepted_and_one_byte_more_refused() {
        let limit = MAX_FILE_BYTES as usize;
        assert!(check_file("a.pdf", pdf_of_size(limit), "file").is_ok());
        let too_big = check_file("a.pdf", pdf_of_size(limit + 1), "input.certificate");
        assert_eq!(refused_field(too_big), "input.certificate");
    }

    fn ticket(status: TicketStatus) -> tickets::Model {
        let now = DateTime::<Utc>::UNIX_EPOCH; // the time plays no part here
        tickets::Model {
            id: 1,
            organisation_id: 2,
            reference: "GEM-7".into(),
            created_by_id: 3,
            kind: entity::enums::TicketKind::LaptopOrder,
            status,
            subject: "Laptop".into(),
            subject_template: None,
            subject_param: None,
            description: None,
            internal_reference: None,
            related_ticket_id: None,
            version: 0,
            created_at: now,
            updated_at: now,
            status_changed_at: now,
        }
    }

    #[test]
    fn open_tickets_accept_files_and_closed_ones_do_not() {
        for status in [
            TicketStatus::Review,
            TicketStatus::Queued,
            TicketStatus::ReadyToShip,
            TicketStatus::ReadyForBilling,
        ] {
            assert!(may_attach(&ticket(status)).is_ok(), "{status:?}");
        }
        for status in [TicketStatus::Cancelled, TicketStatus::Billed] {
            let err = may_attach(&ticket(status)).expect_err("closed");
            assert_eq!(err.code(), "CONFLICT");
            assert!(err.message().contains("GEM-7"));
        }
    }
}
