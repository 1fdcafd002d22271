//! `node(id:)`: any object by its global id, through the same scope as
//! every other path.

use async_graphql::{Context, ID, Interface, Object};

use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::organisations::types::{self as org_types, Organisation};
use crate::relay;
use crate::users::types::{self as user_types, User};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global object id."))]
pub enum Node {
    Organisation(Organisation),
    User(User),
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
            _ => None,
        })
    }
}
