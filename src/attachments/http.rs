//! `GET /attachments/{id}`: an attachment's bytes, to whoever may see its
//! ticket.
//!
//! Invariants:
//! - the token is checked first: none or an invalid one is 401;
//! - the row is read through the viewer's scope: absent, out of scope and a
//!   malformed id are the same 404, byte for byte;
//! - the file is always a download (`Content-Disposition: attachment`) of
//!   the type detected at upload, never sniffed (`nosniff`), never cached by
//!   a shared cache, and sandboxed should a browser render it anyway;
//! - an internal failure is logged (the request span carries the request
//!   id) and answered with a generic 500.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::types::TYPE_NAME;
use crate::error::{AppError, AppResult};
use crate::http::ServerState;
use crate::policy::Scope;
use crate::relay;
use crate::state::AppState;

/// `GET /attachments/{id}` with `id` the attachment's global id.
pub async fn download(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match serve(&state.app, &headers, &id).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn serve(state: &AppState, headers: &HeaderMap, id: &str) -> AppResult<Response> {
    let viewer = crate::auth::authenticate(state, headers)
        .await?
        .ok_or(AppError::Unauthenticated)?
        .viewer;
    let scope = Scope::new(viewer);
    let row_id = match relay::from_global_id(&async_graphql::ID(id.to_owned())) {
        Some((type_name, row_id)) if type_name == TYPE_NAME => row_id,
        _ => return Err(AppError::NotFound("attachment")),
    };
    let attachment = scope.attachment(&state.db, row_id).await?;
    let bytes = state
        .storage
        .get(&attachment.storage_key)
        .await
        .map_err(|e| {
            AppError::internal(
                anyhow::Error::new(e)
                    .context(format!("reading the blob of attachment {}", attachment.id)),
            )
        })?;
    if bytes.len() as i64 != attachment.size_bytes {
        return Err(AppError::internal(anyhow::anyhow!(
            "the blob of attachment {} has {} bytes, the row says {}",
            attachment.id,
            bytes.len(),
            attachment.size_bytes
        )));
    }
    let content_type = HeaderValue::from_str(&attachment.content_type).map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "attachment {} has an unusable content type",
            attachment.id
        ))
    })?;
    let disposition = HeaderValue::from_str(&content_disposition(&attachment.file_name))
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, HeaderValue::from(bytes.len())),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// `attachment; filename="…"`, with an ASCII-only quoted fallback and,
/// when the name is not plain ASCII, the exact name as RFC 5987
/// `filename*`.
fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c == ' ' || c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let mut value = format!("attachment; filename=\"{fallback}\"");
    if fallback != file_name {
        value.push_str("; filename*=UTF-8''");
        value.push_str(&rfc5987_encode(file_name));
    }
    value
}

/// Percent-encodes everything but RFC 5987's `attr-char`.
fn rfc5987_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        let plain = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if plain {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_names_are_quoted_as_they_are() {
        assert_eq!(
            content_disposition("certificate 2026.pdf"),
            "attachment; filename=\"certificate 2026.pdf\""
        );
    }

    #[test]
    fn quotes_and_backslashes_cannot_break_out_of_the_quoted_name() {
        let value = content_disposition("a\"; filename=evil.exe\\.pdf");
        assert!(value.starts_with("attachment; filename=\"a_; filename=evil.exe_.pdf\"; "));
        assert!(value.ends_with("filename*=UTF-8''a%22%3B%20filename%3Devil.exe%5C.pdf"));
        assert!(HeaderValue::from_str(&value).is_ok());
    }

    #[test]
    fn non_ascii_names_get_an_rfc_5987_form() {
        let value = content_disposition("Lehrvertrag Müller.pdf");
        assert_eq!(
            value,
            "attachment; filename=\"Lehrvertrag M_ller.pdf\"; \
             filename*=UTF-8''Lehrvertrag%20M%C3%BCller.pdf"
        );
        assert!(HeaderValue::from_str(&value).is_ok());
    }
}
