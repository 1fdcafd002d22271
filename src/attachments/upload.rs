//! The GraphQL side of an upload: reads a multipart `Upload` argument into
//! a [`PreparedFile`], checked by [`service::check_file`]. Kept next to the
//! GraphQL types so that the service knows files, not GraphQL requests.
//!
//! Invariants:
//! - no more than [`service::MAX_FILE_BYTES`] + 1 bytes of an upload are
//!   ever read;
//! - an argument that names a file the request did not send is a
//!   VALIDATION error naming the argument, never a panic.

use std::io::{Read, Seek};

use async_graphql::{Context, Upload};

use super::service::{self, PreparedFile};
use crate::error::{AppError, AppResult, Invalid};

/// Reads and checks the upload of argument `field`. Touches neither the
/// database nor the file store.
pub fn prepare_upload(ctx: &Context<'_>, upload: &Upload, field: &str) -> AppResult<PreparedFile> {
    // `Upload` indexes the request's files without a bounds check. A plain
    // JSON request can name a file it never sent (`"#__graphql_file__:7"`):
    // that is bad input, not a reason to panic.
    if ctx.query_env.uploads.get(upload.0).is_none() {
        return Err(AppError::validation(
            field,
            Invalid::required_because(
                "no file was sent for this argument (use a multipart request)",
            ),
        ));
    }
    let value = upload.value(ctx).map_err(|e| {
        AppError::internal(anyhow::Error::new(e).context("opening the uploaded file"))
    })?;
    // The client's content type is ignored on purpose: the bytes decide.
    let bytes = read_at_most(value.content, service::MAX_FILE_BYTES + 1)
        .map_err(|e| AppError::internal(anyhow::Error::new(e).context("reading the upload")))?;
    service::check_file(&value.filename, bytes, field)
}

/// Up to `limit` bytes of `file`, from its start. The file is spooled
/// whole by the multipart parser already; this only bounds what is read
/// into memory.
fn read_at_most(mut file: impl Read + Seek, limit: u64) -> std::io::Result<Vec<u8>> {
    // Each `Upload::value` is a clone of one file handle sharing one offset.
    file.rewind()?;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn reading_stops_one_byte_past_the_limit_and_starts_at_the_beginning() {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.resize(100, b' ');
        let mut file = Cursor::new(bytes);
        file.set_position(50);
        let read = read_at_most(&mut file, 11).expect("read");
        assert_eq!(read, b"%PDF-1.7\n  ");
        assert_eq!(file.position(), 11);
    }
}
