//! Root fields for users.

use async_graphql::{Context, ID, Object};

use super::service;
use super::types::{TYPE_NAME, User};
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::relay::{self, Page, PageArgs};

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The logged-in user; null for an anonymous request.
    async fn viewer(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Ok(ctx.request()?.user.clone().map(User))
    }

    /// Users the viewer may see (partners: their organisation; staff: all),
    /// by display name, optionally of one organisation.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        organisation_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Page<User>> {
        let organisation_id = organisation_id
            .map(|id| {
                relay::parse_global_id(
                    &id,
                    crate::organisations::types::TYPE_NAME,
                    "organisationId",
                )
            })
            .transpose()?;
        let args = PageArgs::parse(first, after, last, before)?;
        service::list_users(ctx, organisation_id, args).await
    }

    /// One user by id; null when absent or not visible.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<User>> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        service::find_user(ctx, row_id).await
    }
}
