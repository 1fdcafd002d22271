//! Root fields for users: reading, creating, deactivating, staff
//! notifications.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::user_profiles;
use sea_orm::ColumnTrait;

use super::service;
use super::types::{Locale, Role, TYPE_NAME, User};
use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::policy::{self, Scope};
use crate::relay::{self, Page, PageArgs, SortKey, SortValue};
use crate::state::AppState;

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The logged-in user; null for an anonymous request.
    async fn viewer(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        // The token check read only what a viewer is; the rest of the user
        // is read here, whole, through the user rules (the person loader
        // reads people by name only).
        let Some(scope) = &ctx.request()?.scope else {
            return Ok(None);
        };
        let found = scope.user(&ctx.state()?.db, scope.viewer().user_id).await;
        Ok(policy::null_if_absent(found)?.map(User::new))
    }

    /// Users the viewer may see (partners: their organisation; staff: all),
    /// by display name, optionally of one organisation.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the users of this organisation.")] organisation_id: Option<ID>,
        #[graphql(
            desc = "How many items to return from the start of the list, or after `after`: 0 to 100. A page holds 20 items when neither `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Start after this cursor (an edge's `cursor`, or `pageInfo.endCursor` to get the next page)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end of the list, or before `before`: 0 to 100. Not together with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "End before this cursor (an edge's `cursor`, or `pageInfo.startCursor` to get the previous page)."
        )]
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
        list_users(ctx.state()?, ctx.scope()?, organisation_id, args).await
    }

    /// One user by id; null when absent or not visible.
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] id: ID,
    ) -> AppResult<Option<User>> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        let found = ctx.scope()?.user(&ctx.state()?.db, row_id).await;
        Ok(policy::null_if_absent(found)?.map(User::new))
    }
}

/// One page of the users the viewer may see, by display name, optionally
/// of one organisation.
pub async fn list_users(
    state: &AppState,
    scope: &Scope,
    organisation_id: Option<i64>,
    args: PageArgs,
) -> AppResult<Page<User>> {
    let mut select = scope.users();
    if let Some(organisation_id) = organisation_id {
        select = select.filter(user_profiles::Column::OrganisationId.eq(organisation_id));
    }
    relay::paginate(
        &state.db,
        select,
        SortKey {
            column: user_profiles::Column::DisplayName,
            id: user_profiles::Column::Id,
            descending: false,
            value_of: |row| SortValue::Text(row.display_name.clone()),
        },
        args,
        User::new,
    )
    .await
}

/// A user to create.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// The organisation the user belongs to.
    pub organisation_id: ID,
    /// The login email (at most 254 characters; matched case-insensitively,
    /// unique).
    pub email: String,
    /// The name shown to others: 1 to 200 characters on one line.
    pub display_name: String,
    /// What the user may do; must fit the organisation (partner roles in a
    /// partner, staff roles in the provider).
    pub role: Role,
    /// Language of the user's emails; French when omitted.
    pub locale: Option<Locale>,
    /// An initial password (10 to 128 characters). When omitted, the user
    /// gets an email with a link to choose one.
    pub password: Option<String>,
}

/// The created user.
#[derive(SimpleObject)]
pub struct CreateUserPayload {
    /// The new user.
    pub user: User,
}

/// The user whose active flag changed.
#[derive(SimpleObject)]
pub struct UserActivationPayload {
    /// The user, with its new `isActive`.
    pub user: User,
}

/// The user whose staff notifications were set.
#[derive(SimpleObject)]
pub struct SetStaffNotificationsPayload {
    /// The user, with its new `staffNotifications`.
    pub user: User,
}

#[derive(Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// Creates a user. ADMIN: any role (staff roles in the provider, partner
    /// roles in partners). PARTNER_MANAGER: partner roles in its own
    /// organisation.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's organisation, email, name and role.")] input: CreateUserInput,
    ) -> AppResult<CreateUserPayload> {
        let scope = ctx.scope()?;
        let organisation_id = relay::parse_global_id(
            &input.organisation_id,
            crate::organisations::types::TYPE_NAME,
            "input.organisationId",
        )?;
        let user = service::create_user(
            ctx.state()?,
            scope,
            service::NewUserInput {
                organisation_id,
                email: input.email,
                display_name: input.display_name,
                role: input.role.into(),
                locale: input.locale.map(Into::into),
                password: input.password,
            },
        )
        .await?;
        Ok(CreateUserPayload {
            user: User::new(user),
        })
    }

    /// Deactivates a user: it can no longer log in and its tokens stop
    /// working. Nobody deactivates themselves.
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to deactivate.")] id: ID,
    ) -> AppResult<UserActivationPayload> {
        set_active(ctx, id, false).await
    }

    /// Reactivates a deactivated user.
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to reactivate.")] id: ID,
    ) -> AppResult<UserActivationPayload> {
        set_active(ctx, id, true).await
    }

    /// Turns on or off the emails that tell a STAFF or ADMIN user of every
    /// partner's new order, comment, delivery issue and feedback, each in
    /// the user's language. STAFF and ADMIN set their own; ADMIN also
    /// another STAFF or ADMIN user's (`userId`). Partners get FORBIDDEN.
    async fn set_staff_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "True to be told, false to stop.")] enabled: bool,
        #[graphql(desc = "The STAFF or ADMIN user to set (ADMIN only); the viewer when omitted.")]
        user_id: Option<ID>,
    ) -> AppResult<SetStaffNotificationsPayload> {
        let scope = ctx.scope()?;
        let user_id = user_id
            .map(|id| relay::parse_global_id(&id, TYPE_NAME, "userId"))
            .transpose()?;
        let user = service::set_staff_notifications(ctx.state()?, scope, user_id, enabled).await?;
        Ok(SetStaffNotificationsPayload {
            user: User::new(user),
        })
    }

    /// Emails a new invitation to a user whose `invitationPending` is true:
    /// earlier invitation links stop working, the new one works for three
    /// days (`<public URL>/reset-password?token=…`, answered with
    /// `resetPassword`). ADMIN for anyone, PARTNER_MANAGER for its
    /// organisation's partner users; CONFLICT once the user has chosen a
    /// password or while it is deactivated.
    async fn resend_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invited user.")] user_id: ID,
    ) -> AppResult<UserActivationPayload> {
        let row_id = relay::parse_global_id(&user_id, TYPE_NAME, "userId")?;
        let user = service::resend_invitation(ctx.state()?, ctx.scope()?, row_id).await?;
        Ok(UserActivationPayload {
            user: User::new(user),
        })
    }
}

async fn set_active(ctx: &Context<'_>, id: ID, active: bool) -> AppResult<UserActivationPayload> {
    let scope = ctx.scope()?;
    let user_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
    let user = service::set_user_active(ctx.state()?, scope, user_id, active).await?;
    Ok(UserActivationPayload {
        user: User::new(user),
    })
}
