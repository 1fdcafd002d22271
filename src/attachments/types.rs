//! The GraphQL view of an attachment. Built from rows read through the
//! viewer's scope; the storage key never leaves the server.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::attachments;

use crate::error::AppResult;
use crate::relay;
use crate::users::types::Person;

pub const TYPE_NAME: &str = "Attachment";

/// A file on a ticket: a PDF, PNG or JPEG of at most 10 MiB.
#[derive(Debug, Clone)]
pub struct Attachment(attachments::Model);

impl Attachment {
    /// Wraps a row read through the viewer's scope.
    pub fn new(model: attachments::Model) -> Self {
        Self(model)
    }

    pub fn model(&self) -> &attachments::Model {
        &self.0
    }
}

/// Where an attachment is downloaded from, relative to the server's root.
pub fn download_path(attachment_id: i64) -> String {
    format!(
        "/attachments/{}",
        relay::to_global_id(TYPE_NAME, attachment_id).0
    )
}

/// A file on a ticket, such as a training certificate or a photo of a
/// damage: a PDF, PNG or JPEG of at most 10 MiB. Seen by whoever sees the
/// ticket.
#[Object]
impl Attachment {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    /// The file's name: the uploaded base name, cleaned of control
    /// characters, with an extension that matches its content type.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// `application/pdf`, `image/png` or `image/jpeg`, as detected from the
    /// file's bytes (never the name or the uploading client's claim).
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// Size of the file in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }

    /// SHA-256 of the file's content, lower-case hex: lets a client check a
    /// download, or notice the same document uploaded twice.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }

    /// When the file was uploaded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who uploaded the file; null when the viewer may not know them.
    async fn uploaded_by(&self, ctx: &Context<'_>) -> AppResult<Option<Person>> {
        Person::load(ctx, self.0.uploaded_by_id).await
    }

    /// Where to download the file, relative to the API's origin: `GET` it
    /// with the same `Authorization: Bearer` header as GraphQL requests. It
    /// is served as a download (`Content-Disposition: attachment`), to
    /// whoever may see the ticket.
    async fn download_url(&self) -> String {
        download_path(self.0.id)
    }
}
