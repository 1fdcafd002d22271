//! `node(id:)`: any object by its global id, through the same scope as
//! every other path.

use async_graphql::{Context, ID, Interface, Object};

use crate::attachments::types::{self as attachment_types, Attachment};
use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::feedback::graphql::{self as feedback, Feedback};
use crate::invoices::types::{self as invoice_types, Invoice, InvoiceLine};
use crate::organisations::types::{self as org_types, Organisation};
use crate::policy;
use crate::relay;
use crate::tickets::types::{self as ticket_types, Comment, Ticket, TicketEvent};
use crate::users::types::{self as user_types, User};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global object id."))]
pub enum Node {
    Organisation(Organisation),
    User(User),
    Ticket(Ticket),
    Comment(Comment),
    TicketEvent(TicketEvent),
    Feedback(Feedback),
    Attachment(Attachment),
    Invoice(Invoice),
    InvoiceLine(InvoiceLine),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when absent or not visible.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as read from any object's `id`.")] id: ID,
    ) -> AppResult<Option<Node>> {
        let scope = ctx.scope()?;
        let db = &ctx.state()?.db;
        let Some((type_name, row_id)) = relay::from_global_id(&id) else {
            return Ok(None);
        };
        let found = match type_name.as_str() {
            org_types::TYPE_NAME => scope
                .organisation(db, row_id)
                .await
                .map(|row| Node::Organisation(Organisation(row))),
            user_types::TYPE_NAME => scope
                .user(db, row_id)
                .await
                .map(|row| Node::User(User::new(row))),
            ticket_types::TYPE_NAME => scope
                .ticket(db, row_id)
                .await
                .map(|row| Node::Ticket(Ticket(row))),
            ticket_types::COMMENT_TYPE_NAME => scope
                .comment(db, row_id)
                .await
                .map(|row| Node::Comment(Comment(row))),
            ticket_types::EVENT_TYPE_NAME => scope
                .ticket_event(db, row_id)
                .await
                .map(|row| Node::TicketEvent(TicketEvent(row))),
            feedback::TYPE_NAME => scope
                .feedback_message(db, row_id)
                .await
                .map(|row| Node::Feedback(Feedback(row))),
            attachment_types::TYPE_NAME => scope
                .attachment(db, row_id)
                .await
                .map(|row| Node::Attachment(Attachment::new(row))),
            invoice_types::TYPE_NAME => scope
                .invoice(db, row_id)
                .await
                .map(|row| Node::Invoice(Invoice(row))),
            invoice_types::LINE_TYPE_NAME => scope
                .invoice_line(db, row_id)
                .await
                .map(|row| Node::InvoiceLine(InvoiceLine(row))),
            _ => return Ok(None),
        };
        policy::null_if_absent(found)
    }
}
