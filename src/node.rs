//! `node(id:)`: any object by its global id, through the same scope as
//! every other path.

use async_graphql::{Context, ID, Interface, Object};

use crate::attachments::types::Attachment;
use crate::error::AppResult;
use crate::feedback::graphql::Feedback;
use crate::graphql::ContextExt as _;
use crate::organisations::types::{self as org_types, Organisation};
use crate::relay;
use crate::tickets::types::{self as ticket_types, Comment, Ticket};
use crate::users::types::{self as user_types, User};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global object id."))]
pub enum Node {
    Organisation(Organisation),
    User(User),
    Ticket(Ticket),
    Comment(Comment),
    Feedback(Feedback),
    Attachment(Attachment),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when absent or not visible.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Node>> {
        ctx.scope()?;
        let Some((type_name, row_id)) = relay::from_global_id(&id) else {
            return Ok(None);
        };
        Ok(match type_name.as_str() {
            org_types::TYPE_NAME => crate::organisations::graphql::find(ctx, row_id)
                .await?
                .map(Node::Organisation),
            user_types::TYPE_NAME => crate::users::service::find_user(ctx, row_id)
                .await?
                .map(Node::User),
            ticket_types::TYPE_NAME => crate::tickets::graphql::find(ctx, row_id)
                .await?
                .map(Node::Ticket),
            ticket_types::COMMENT_TYPE_NAME => crate::tickets::graphql::find_comment(ctx, row_id)
                .await?
                .map(Node::Comment),
            crate::feedback::graphql::TYPE_NAME => crate::feedback::graphql::find(ctx, row_id)
                .await?
                .map(Node::Feedback),
            crate::attachments::types::TYPE_NAME => crate::attachments::graphql::find(ctx, row_id)
                .await?
                .map(Node::Attachment),
            _ => None,
        })
    }
}
