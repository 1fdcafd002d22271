//! Reading a GraphQL multipart request (the GraphQL multipart request
//! specification: an `operations` part, a `map` part, then the files) from
//! the body stream, refusing as soon as a part breaks a limit.
//!
//! Invariants:
//! - `operations` and `map` are at most [`MAX_OPERATIONS_BYTES`] each, and
//!   come first, in that order; nothing past a part's limit is read;
//! - the request declares at most [`MAX_FILES`] files, each used at one
//!   variable path, and the `map` is read before any file: a file part the
//!   map does not declare, or a second part of one name, is refused before
//!   its bytes are written anywhere;
//! - every declared file is sent; the whole body is at most
//!   [`MAX_UPLOAD_REQUEST_BYTES`];
//! - a part over its limit is 413, any other breach 400, both VALIDATION.

use std::collections::{HashMap, HashSet};

use async_graphql::UploadValue;
use axum::body::Body;
use tokio::io::AsyncWriteExt as _;

use crate::error::{AppError, InvalidRequest};
pub use crate::http::{MAX_BODY_BYTES as MAX_OPERATIONS_BYTES, MAX_UPLOAD_REQUEST_BYTES};

/// Most files one request may carry (an order's certificate, or an
/// attachment, and room for one more).
pub const MAX_FILES: usize = 2;

fn malformed(message: impl Into<String>) -> AppError {
    AppError::InvalidRequest(InvalidRequest::Malformed(message.into()))
}

fn multer_error(err: multer::Error) -> AppError {
    match err {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            AppError::InvalidRequest(InvalidRequest::TooLarge)
        }
        other => malformed(format!("malformed multipart request: {other}")),
    }
}

/// Reads the multipart body with `boundary` into a GraphQL request with
/// its uploads.
pub async fn read(boundary: &str, body: Body) -> Result<async_graphql::Request, AppError> {
    let limits = multer::SizeLimit::new()
        .whole_stream(MAX_UPLOAD_REQUEST_BYTES as u64)
        .for_field("operations", MAX_OPERATIONS_BYTES as u64)
        .for_field("map", MAX_OPERATIONS_BYTES as u64)
        .per_field(MAX_UPLOAD_REQUEST_BYTES as u64);
    let mut multipart = multer::Multipart::with_constraints(
        body.into_data_stream(),
        boundary,
        multer::Constraints::new().size_limit(limits),
    );

    let operations = next_named(&mut multipart, "operations").await?;
    let operations = operations.bytes().await.map_err(multer_error)?;
    let mut request = crate::http::parse_json_request(&operations)?;

    let map = next_named(&mut multipart, "map").await?;
    let map = map.bytes().await.map_err(multer_error)?;
    let map: HashMap<String, Vec<String>> = serde_json::from_slice(&map).map_err(|_| {
        malformed("the `map` part must be a JSON object of file names to variable paths")
    })?;
    if map.len() > MAX_FILES {
        return Err(malformed(format!(
            "a request carries at most {MAX_FILES} files (the map declares {})",
            map.len()
        )));
    }
    if map.values().any(|paths| paths.len() != 1) {
        return Err(malformed(
            "each file of the `map` part is used at exactly one variable path",
        ));
    }

    let mut received = HashSet::new();
    while let Some(mut field) = multipart.next_field().await.map_err(multer_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some(paths) = map.get(&name) else {
            return Err(malformed(format!(
                "the multipart part `{name}` is not a file the `map` declares"
            )));
        };
        if !received.insert(name.clone()) {
            return Err(malformed(format!("the file `{name}` is sent twice")));
        }
        let filename = field.file_name().unwrap_or_default().to_owned();
        let content_type = field.content_type().map(ToString::to_string);
        let spool = tempfile::tempfile()
            .map_err(|e| AppError::internal(anyhow::Error::new(e).context("spooling an upload")))?;
        let mut file = tokio::fs::File::from_std(spool);
        while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
            file.write_all(&chunk).await.map_err(|e| {
                AppError::internal(anyhow::Error::new(e).context("spooling an upload"))
            })?;
        }
        file.flush()
            .await
            .map_err(|e| AppError::internal(anyhow::Error::new(e).context("spooling an upload")))?;
        let upload = UploadValue {
            filename,
            content_type,
            content: file.into_std().await,
        };
        for path in paths {
            request.set_upload(
                path,
                upload.try_clone().map_err(|e| {
                    AppError::internal(anyhow::Error::new(e).context("sharing an upload"))
                })?,
            );
        }
    }
    if let Some(missing) = map.keys().find(|name| !received.contains(*name)) {
        return Err(malformed(format!(
            "the file `{missing}` that the `map` declares was not sent"
        )));
    }
    Ok(request)
}

/// The next part, which must be called `name`.
async fn next_named<'r>(
    multipart: &mut multer::Multipart<'r>,
    name: &str,
) -> Result<multer::Field<'r>, AppError> {
    match multipart.next_field().await.map_err(multer_error)? {
        Some(field) if field.name() == Some(name) => Ok(field),
        _ => Err(malformed(format!(
            "a multipart request starts with the `operations` part, then `map`; `{name}` is missing"
        ))),
    }
}
