//! `GET /invoices/{id}.csv`: an invoice's lines as CSV, to whoever may see
//! the invoice (PARTNER_MANAGER of its organisation, STAFF, ADMIN).
//!
//! Invariants:
//! - the token is checked first: none or an invalid one is 401;
//! - the invoice and its lines are read through the viewer's scope: absent,
//!   out of scope, a malformed id and a path without `.csv` are the same
//!   404, byte for byte;
//! - the file is a download (`Content-Disposition: attachment`), never
//!   sniffed, never kept by a shared cache.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use entity::invoice_lines;
use sea_orm::ColumnTrait;

use super::csv;
use super::types::TYPE_NAME;
use crate::error::{AppError, AppResult};
use crate::http::ServerState;
use crate::policy::Scope;
use crate::relay;
use crate::state::AppState;

/// `GET /invoices/{file}` with `file` the invoice's global id and `.csv`.
pub async fn download(
    State(state): State<ServerState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    match serve(&state.app, &headers, &file).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn serve(state: &AppState, headers: &HeaderMap, file: &str) -> AppResult<Response> {
    let viewer = crate::auth::authenticate(state, headers)
        .await?
        .ok_or(AppError::Unauthenticated)?
        .viewer;
    let scope = Scope::new(viewer);
    let row_id = file
        .strip_suffix(".csv")
        .and_then(|id| relay::from_global_id(&async_graphql::ID(id.to_owned())))
        .and_then(|(type_name, row_id)| (type_name == TYPE_NAME).then_some(row_id))
        .ok_or(AppError::NotFound("invoice"))?;
    let invoice = scope.invoice(&state.db, row_id).await?;
    let lines = scope
        .invoice_lines()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice.id))
        .order_by_asc(invoice_lines::Column::Id)
        .all(&state.db)
        .await?;
    let body = csv::render(&invoice, &lines)?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        csv::file_name(&invoice)
    ))
    .map_err(AppError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(csv::CONTENT_TYPE),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        Body::from(body),
    )
        .into_response())
}
