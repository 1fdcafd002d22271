//! Root fields for organisations.

use async_graphql::{Context, ID, Object};
use entity::organisations;
use sea_orm::{ColumnTrait, QueryFilter};

use super::types::{Organisation, TYPE_NAME};
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::relay::{self, Page, PageArgs, SortKey, SortValue};

#[derive(Default)]
pub struct OrganisationsQuery;

#[Object]
impl OrganisationsQuery {
    /// Organisations the viewer may see (partners: their own; staff: all), by name.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Page<Organisation>> {
        let args = PageArgs::parse(first, after, last, before)?;
        let scope = ctx.scope()?;
        let state = ctx.state()?;
        relay::paginate(
            &state.db,
            scope.organisations(),
            SortKey {
                column: organisations::Column::Name,
                id: organisations::Column::Id,
                descending: false,
                value_of: |row| SortValue::Text(row.name.clone()),
            },
            args,
            Organisation,
        )
        .await
    }

    /// One organisation by id; null when absent or not visible.
    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Organisation>> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        find(ctx, row_id).await
    }
}

/// One visible organisation by row id.
pub async fn find(ctx: &Context<'_>, row_id: i64) -> AppResult<Option<Organisation>> {
    let scope = ctx.scope()?;
    let state = ctx.state()?;
    Ok(scope
        .organisations()
        .filter(organisations::Column::Id.eq(row_id))
        .one(&state.db)
        .await?
        .map(Organisation))
}
