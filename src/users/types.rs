//! GraphQL types of users.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::users;

use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::organisations::loaders::OrganisationLoader;
use crate::organisations::types::Organisation;
use crate::relay;

/// What a user may do (SPEC §2).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    /// Works in a partner organisation; sees its own tickets, or the
    /// organisation's when its visibility is ORGANISATION.
    PartnerMember,
    /// Also sees all of the organisation's tickets and invoices, and manages
    /// its users.
    PartnerManager,
    /// Provider staff: sees everything, reviews, ships, bills.
    Staff,
    /// Staff who also manage organisations, their settings and staff.
    Admin,
}

/// Language of the emails a user receives.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Locale")]
pub enum Locale {
    Fr,
    De,
    It,
    En,
}

/// A login.
#[derive(Debug, Clone)]
pub struct User(pub users::Model);

pub const TYPE_NAME: &str = "User";

#[Object]
impl User {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// The login email. Null when the viewer may not read it (a
    /// PARTNER_MEMBER reading a colleague).
    async fn email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        Ok(ctx
            .scope()?
            .may_read_email(&self.0)
            .then_some(self.0.email.as_str()))
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    async fn locale(&self) -> Locale {
        self.0.locale.into()
    }

    /// False once deactivated: the user can no longer log in.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }

    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn organisation(&self, ctx: &Context<'_>) -> AppResult<Organisation> {
        let loader = ctx.loader::<async_graphql::dataloader::DataLoader<OrganisationLoader>>()?;
        loader
            .load_one(self.0.organisation_id)
            .await?
            .map(Organisation)
            .ok_or(AppError::NotFound("organisation"))
    }
}
