//! Reading users, through the viewer's scope.

use async_graphql::Context;
use entity::users;
use sea_orm::{ColumnTrait, QueryFilter};

use super::types::User;
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::relay::{self, Page, PageArgs, SortKey, SortValue};

/// Users the viewer may see, by display name, optionally of one organisation.
pub async fn list_users(
    ctx: &Context<'_>,
    organisation_id: Option<i64>,
    args: PageArgs,
) -> AppResult<Page<User>> {
    let scope = ctx.scope()?;
    let state = ctx.state()?;
    let mut select = scope.users();
    if let Some(organisation_id) = organisation_id {
        select = select.filter(users::Column::OrganisationId.eq(organisation_id));
    }
    relay::paginate(
        &state.db,
        select,
        SortKey {
            column: users::Column::DisplayName,
            id: users::Column::Id,
            descending: false,
            value_of: |row| SortValue::Text(row.display_name.clone()),
        },
        args,
        User,
    )
    .await
}

/// One visible user by row id.
pub async fn find_user(ctx: &Context<'_>, row_id: i64) -> AppResult<Option<User>> {
    let scope = ctx.scope()?;
    let state = ctx.state()?;
    Ok(scope
        .users()
        .filter(users::Column::Id.eq(row_id))
        .one(&state.db)
        .await?
        .map(User))
}
