//! GraphQL types of organisations.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::organisations;

use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::relay::{self, Page, PageArgs};
use crate::users::loaders::UsersByOrganisationLoader;
use crate::users::types::{Locale, User};

/// Whether an organisation is a partner (a customer) or the provider.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OrganisationKind")]
pub enum OrganisationKind {
    /// A customer that orders laptops and is invoiced for them.
    Partner,
    /// The company that runs the service desk; its users are the staff.
    Provider,
}

/// Which tickets a PARTNER_MEMBER sees.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::TicketVisibility")]
pub enum TicketVisibility {
    /// Only the tickets the member created.
    CreatorOnly,
    /// Every ticket of the organisation.
    Organisation,
}

/// How an organisation is invoiced.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::BillingMode")]
pub enum BillingMode {
    /// One invoice per shipped order, issued when it ships.
    PerOrder,
    /// One invoice per quarter for the orders shipped in it.
    Quarterly,
}

/// The prices agreed with a partner, in CHF cents.
#[derive(SimpleObject, Debug, Clone)]
pub struct PriceAgreement {
    /// Unit price of a standard laptop, in cents.
    pub standard_unit_price_cents: i64,
    /// Unit price of a laptop for learning (with Windows), in cents.
    pub learning_unit_price_cents: i64,
    /// VAT rate in basis points (810 = 8.1 %).
    pub vat_rate_basis_points: i32,
}

/// A partner organisation or the provider.
#[derive(Debug, Clone)]
pub struct Organisation(pub organisations::Model);

pub const TYPE_NAME: &str = "Organisation";

/// A partner organisation (a customer) or the provider. Partners see their
/// own organisation only; its billing details only when they may see its
/// invoices.
#[Object]
impl Organisation {
    /// Global object id.
    pub async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    /// The organisation's name (1 to 200 characters).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Partner or provider.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// Whether its members see each other's tickets.
    async fn ticket_visibility(&self) -> TicketVisibility {
        self.0.ticket_visibility.into()
    }

    /// Whether it is invoiced per order or per quarter.
    async fn billing_mode(&self) -> BillingMode {
        self.0.billing_mode.into()
    }

    /// Language of the emails to the organisation itself (its invoices).
    async fn locale(&self) -> Locale {
        self.0.locale.into()
    }

    /// Where invoices are sent. Null for viewers who may not see invoices.
    async fn billing_email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        Ok(self
            .billing_visible(ctx)?
            .then_some(())
            .and(self.0.billing_email.as_deref()))
    }

    /// Postal address printed on invoices. Null for viewers who may not see invoices.
    async fn billing_address(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        Ok(self
            .billing_visible(ctx)?
            .then_some(())
            .and(self.0.billing_address.as_deref()))
    }

    /// The agreed prices. Null for viewers who may not see invoices.
    async fn price_agreement(&self, ctx: &Context<'_>) -> AppResult<Option<PriceAgreement>> {
        Ok(self.billing_visible(ctx)?.then_some(PriceAgreement {
            standard_unit_price_cents: self.0.price_standard_cents,
            learning_unit_price_cents: self.0.price_learning_cents,
            vat_rate_basis_points: self.0.vat_rate_bp,
        }))
    }

    /// When the organisation was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Set when the organisation no longer orders.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// The organisation's users the viewer may see, by display name.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
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
        let args = PageArgs::parse(first, after, last, before)?;
        let users = ctx
            .loader::<UsersByOrganisationLoader>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        relay::paginate_loaded(users, args, |user| user.id, User::new)
    }
}

impl Organisation {
    /// Loads an organisation through the request's `OrganisationLoader`
    /// (batched, scoped); NOT_FOUND when the viewer may not see it.
    pub async fn load(ctx: &Context<'_>, id: i64) -> AppResult<Organisation> {
        ctx.loader::<super::loaders::OrganisationLoader>()?
            .load_one(id)
            .await?
            .map(Organisation)
            .ok_or(crate::error::AppError::NotFound("organisation"))
    }

    /// The policy's billing rule ([`crate::policy::Scope::may_read_billing`]).
    fn billing_visible(&self, ctx: &Context<'_>) -> AppResult<bool> {
        Ok(ctx.scope()?.may_read_billing(&self.0))
    }
}
