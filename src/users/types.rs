//! GraphQL types of users.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::user_profiles;

use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::organisations::types::Organisation;
use crate::policy::Scope;
use crate::relay;

/// What a user may do.
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
    /// French.
    Fr,
    /// German.
    De,
    /// Italian.
    It,
    /// English.
    En,
}

/// A login.
#[derive(Debug, Clone)]
pub struct User {
    model: user_profiles::Model,
    /// The scope to read this user's relations with when the request has
    /// none of its own: the payload of `login`, an anonymous request whose
    /// answer is read as the user who just logged in.
    own_scope: Option<Scope>,
}

impl User {
    /// A user read through the request's scope.
    pub fn new(model: user_profiles::Model) -> Self {
        Self {
            model,
            own_scope: None,
        }
    }

    /// The user who just authenticated, read with its own scope.
    pub fn authenticated(model: user_profiles::Model, scope: Scope) -> Self {
        Self {
            model,
            own_scope: Some(scope),
        }
    }

    pub fn model(&self) -> &user_profiles::Model {
        &self.model
    }

    /// Whether the viewer reads more of this user than its name.
    fn details(&self, ctx: &Context<'_>) -> AppResult<bool> {
        Ok(self.scope(ctx)?.may_read_details(&self.model))
    }

    fn scope<'a>(&'a self, ctx: &'a Context<'_>) -> AppResult<&'a Scope> {
        match &self.own_scope {
            Some(scope) => Ok(scope),
            None => ctx.scope(),
        }
    }
}

pub const TYPE_NAME: &str = "User";

/// A person with a login, member of one organisation (a partner or the
/// provider). Partner members read colleagues by name only: the fields they
/// may not read are null.
#[Object]
impl User {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.model.id)
    }

    /// The name shown to others (1 to 200 characters).
    async fn display_name(&self) -> &str {
        &self.model.display_name
    }

    /// The login email. Null when the viewer knows this user by name only
    /// (a PARTNER_MEMBER reading a colleague).
    async fn email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        Ok(self
            .scope(ctx)?
            .may_read_details(&self.model)
            .then_some(self.model.email.as_str()))
    }

    /// Null when the viewer knows this user by name only.
    async fn role(&self, ctx: &Context<'_>) -> AppResult<Option<Role>> {
        Ok(self.details(ctx)?.then(|| self.model.role.into()))
    }

    /// Language of the user's emails. Null when the viewer knows this user
    /// by name only.
    async fn locale(&self, ctx: &Context<'_>) -> AppResult<Option<Locale>> {
        Ok(self.details(ctx)?.then(|| self.model.locale.into()))
    }

    /// False once deactivated: the user can no longer log in. Null when the
    /// viewer knows this user by name only.
    async fn is_active(&self, ctx: &Context<'_>) -> AppResult<Option<bool>> {
        Ok(self.details(ctx)?.then_some(self.model.is_active))
    }

    /// True while the user has not chosen a password from its invitation
    /// (see `resendInvitation`). Null when the viewer knows this user by
    /// name only.
    async fn invitation_pending(&self, ctx: &Context<'_>) -> AppResult<Option<bool>> {
        Ok(self.details(ctx)?.then_some(self.model.invitation_pending))
    }

    /// Whether this STAFF or ADMIN user is emailed when a partner orders
    /// a laptop, comments, reports a delivery issue or sends feedback (see
    /// `setStaffNotifications`); always false for partner users. Null when
    /// the viewer knows this user by name only.
    async fn staff_notifications(&self, ctx: &Context<'_>) -> AppResult<Option<bool>> {
        Ok(self.details(ctx)?.then_some(self.model.staff_notifications))
    }

    /// Null when never logged in, or when the viewer knows this user by
    /// name only.
    async fn last_login_at(&self, ctx: &Context<'_>) -> AppResult<Option<DateTime<Utc>>> {
        Ok(self
            .details(ctx)?
            .then_some(self.model.last_login_at)
            .flatten())
    }

    /// Null when the viewer knows this user by name only.
    async fn created_at(&self, ctx: &Context<'_>) -> AppResult<Option<DateTime<Utc>>> {
        Ok(self.details(ctx)?.then_some(self.model.created_at))
    }

    /// The organisation the user belongs to.
    async fn organisation(&self, ctx: &Context<'_>) -> AppResult<Organisation> {
        if let Some(scope) = &self.own_scope {
            return scope
                .organisation(&ctx.state()?.db, self.model.organisation_id)
                .await
                .map(Organisation);
        }
        Organisation::load(ctx, self.model.organisation_id).await
    }
}

/// Someone the viewer knows by name only: the author of a comment, the
/// actor of an event, the uploader of a file. Partners meet staff this way.
#[derive(Debug, Clone)]
pub struct Person {
    id: i64,
    display_name: String,
    is_staff: bool,
}

/// Someone the viewer knows by name only: the author of a comment, the
/// actor of an event, the uploader of a file. Partners meet staff this way.
#[Object]
impl Person {
    /// The person's user id (a `User` global id; reading the `User` itself
    /// follows the user rules).
    async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.id)
    }

    /// The name the person shows to others.
    async fn display_name(&self) -> &str {
        &self.display_name
    }

    /// Whether the person is on the provider's staff.
    async fn is_staff(&self) -> bool {
        self.is_staff
    }
}

impl Person {
    /// Loads a person through the request's `PersonLoader`; `None` when the
    /// viewer may not know them.
    pub async fn load(ctx: &Context<'_>, user_id: i64) -> AppResult<Option<Person>> {
        let loader = ctx.loader::<super::loaders::PersonLoader>()?;
        Ok(loader.load_one(user_id).await?.map(Person::from))
    }

    /// Hands people a joined select read (the authors of the comments
    /// shown, …) to the request's `PersonLoader`, so that their names cost
    /// no statement of their own.
    pub async fn feed(ctx: &Context<'_>, people: Vec<crate::policy::NamedUser>) -> AppResult<()> {
        if !people.is_empty() {
            ctx.loader::<super::loaders::PersonLoader>()?
                .feed_many(people.into_iter().map(|person| (person.id, person)))
                .await;
        }
        Ok(())
    }
}

impl From<crate::policy::NamedUser> for Person {
    fn from(user: crate::policy::NamedUser) -> Self {
        Self {
            is_staff: user.is_staff(),
            id: user.id,
            display_name: user.display_name,
        }
    }
}
