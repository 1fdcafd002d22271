//! Resolvers of attachments: the `uploadAttachment` mutation, and the
//! reads the ticket and node resolvers call. Thin: the rules are in
//! [`super::service`], the visibility in the policy module.

use async_graphql::{Context, ID, Object, SimpleObject, Upload};

use super::loaders::AttachmentsByTicketLoader;
use super::service;
use super::types::Attachment;
use super::upload;
use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::relay;

/// The result of `uploadAttachment`.
#[derive(SimpleObject)]
pub struct UploadAttachmentPayload {
    /// The file, as stored on the ticket.
    pub attachment: Attachment,
}

#[derive(Default)]
pub struct AttachmentsMutation;

#[Object]
impl AttachmentsMutation {
    /// Attaches a file to a ticket, e.g. the training certificate of a
    /// laptop for learning. Send it as a GraphQL multipart request
    /// (`operations`, `map`, then the file part).
    ///
    /// Accepted: PDF, PNG and JPEG of 1 byte to 10 MiB, recognised by their
    /// content (not by name or declared type); anything else is a VALIDATION
    /// error on `file`. Partners attach to the tickets they see, staff to
    /// any; a BILLED or CANCELLED ticket accepts no new files (CONFLICT).
    async fn upload_attachment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket to attach the file to.")] ticket_id: ID,
        #[graphql(
            desc = "The file: a multipart part named in the request's `map` (PDF, PNG or JPEG, up to 10 MiB)."
        )]
        file: Upload,
    ) -> AppResult<UploadAttachmentPayload> {
        let ticket_id =
            relay::parse_global_id(&ticket_id, crate::tickets::types::TYPE_NAME, "ticketId")?;
        let scope = ctx.scope()?;
        let file = upload::prepare_upload(ctx, &file, "file")?;
        let attachment = service::attach(ctx.state()?, scope, ticket_id, &file).await?;
        Ok(UploadAttachmentPayload {
            attachment: Attachment::new(attachment),
        })
    }
}

/// A page of the attachments of the ticket with row id `ticket_id` that
/// the viewer sees, oldest first, batched through the request's
/// [`AttachmentsByTicketLoader`] (for `Ticket.attachments`).
pub async fn page_for_ticket(
    ctx: &Context<'_>,
    ticket_id: i64,
    args: relay::PageArgs,
) -> AppResult<relay::Page<Attachment>> {
    let loader = ctx.loader::<AttachmentsByTicketLoader>()?;
    let all = loader.load_one(ticket_id).await?.unwrap_or_default();
    relay::paginate_loaded(all, args, |a| a.id, Attachment::new)
}
