//! Root fields for organisations: reading and creating.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::organisations;

use super::service;
use super::types::{BillingMode, Organisation, TYPE_NAME, TicketVisibility};
use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::policy;
use crate::relay::{self, Page, PageArgs, SortKey, SortValue};
use crate::users::types::Locale;

#[derive(Default)]
pub struct OrganisationsQuery;

#[Object]
impl OrganisationsQuery {
    /// Organisations the viewer may see (partners: their own; staff: all), by name.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    async fn organisations(
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
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation's global id.")] id: ID,
    ) -> AppResult<Option<Organisation>> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        let found = ctx.scope()?.organisation(&ctx.state()?.db, row_id).await;
        Ok(policy::null_if_absent(found)?.map(Organisation))
    }
}

/// A partner organisation to create.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// The organisation's name: 1 to 200 characters on one line.
    pub name: String,
    /// Whether its members see each other's tickets; CREATOR_ONLY when omitted.
    pub ticket_visibility: Option<TicketVisibility>,
    /// PER_ORDER when omitted.
    pub billing_mode: Option<BillingMode>,
    /// Required for a partner: its invoices are emailed there.
    pub billing_email: Option<String>,
    /// Postal address printed on invoices: up to 500 characters, several
    /// lines allowed.
    pub billing_address: Option<String>,
    /// Unit price of a standard laptop, in CHF cents.
    pub standard_unit_price_cents: i64,
    /// Unit price of a laptop for learning, in CHF cents.
    pub learning_unit_price_cents: i64,
    /// VAT rate in basis points (810 = 8.1 %); 0 when omitted.
    pub vat_rate_basis_points: Option<i32>,
    /// Language of the emails to the organisation (its invoices); fr when omitted.
    pub locale: Option<Locale>,
}

/// The created organisation.
#[derive(SimpleObject)]
pub struct CreateOrganisationPayload {
    /// The new organisation.
    pub organisation: Organisation,
}

#[derive(Default)]
pub struct OrganisationsMutation;

#[Object]
impl OrganisationsMutation {
    /// Creates a partner organisation. ADMIN only.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation's name, billing and prices.")]
        input: CreateOrganisationInput,
    ) -> AppResult<CreateOrganisationPayload> {
        let organisation = service::create_organisation(
            ctx.state()?,
            ctx.scope()?,
            service::NewOrganisationInput {
                name: input.name,
                kind: entity::enums::OrganisationKind::Partner,
                ticket_visibility: input
                    .ticket_visibility
                    .map_or(entity::enums::TicketVisibility::CreatorOnly, Into::into),
                billing_mode: input
                    .billing_mode
                    .map_or(entity::enums::BillingMode::PerOrder, Into::into),
                billing_email: input.billing_email,
                billing_address: input.billing_address,
                standard_unit_price_cents: input.standard_unit_price_cents,
                learning_unit_price_cents: input.learning_unit_price_cents,
                vat_rate_basis_points: input.vat_rate_basis_points.unwrap_or(0),
                locale: input.locale.map_or(entity::enums::Locale::Fr, Into::into),
            },
        )
        .await?;
        Ok(CreateOrganisationPayload {
            organisation: Organisation(organisation),
        })
    }

    /// Changes an organisation's settings. ADMIN: every setting. STAFF: the
    /// billing mode only. A new `ticketVisibility` applies from the next
    /// request on.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation to change.")] id: ID,
        #[graphql(desc = "The settings to change; omitted ones stay as they are.")]
        input: UpdateOrganisationInput,
    ) -> AppResult<UpdateOrganisationPayload> {
        let scope = ctx.scope()?;
        let organisation_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        let organisation = service::update_organisation(
            ctx.state()?,
            scope,
            organisation_id,
            service::OrganisationChanges {
                name: input.name,
                ticket_visibility: input.ticket_visibility.map(Into::into),
                billing_mode: input.billing_mode.map(Into::into),
                billing_email: input.billing_email,
                billing_address: input.billing_address,
                standard_unit_price_cents: input.standard_unit_price_cents,
                learning_unit_price_cents: input.learning_unit_price_cents,
                vat_rate_basis_points: input.vat_rate_basis_points,
                locale: input.locale.map(Into::into),
            },
        )
        .await?;
        Ok(UpdateOrganisationPayload {
            organisation: Organisation(organisation),
        })
    }
}

/// Changes to an organisation's settings; omitted fields stay as they are.
#[derive(InputObject, Default)]
pub struct UpdateOrganisationInput {
    /// The organisation's name: 1 to 200 characters on one line.
    pub name: Option<String>,
    /// Whether its members see each other's tickets.
    pub ticket_visibility: Option<TicketVisibility>,
    /// STAFF may change this one; every other field is ADMIN's.
    pub billing_mode: Option<BillingMode>,
    /// An empty string removes it (refused for a partner, whose invoices
    /// are emailed there).
    pub billing_email: Option<String>,
    /// An empty string removes it.
    pub billing_address: Option<String>,
    /// Unit price of a standard laptop, in CHF cents.
    pub standard_unit_price_cents: Option<i64>,
    /// Unit price of a laptop for learning, in CHF cents.
    pub learning_unit_price_cents: Option<i64>,
    /// VAT rate in basis points (810 = 8.1 %).
    pub vat_rate_basis_points: Option<i32>,
    /// Language of the emails to the organisation (its invoices).
    pub locale: Option<Locale>,
}

/// The updated organisation.
#[derive(SimpleObject)]
pub struct UpdateOrganisationPayload {
    /// The organisation with its new settings.
    pub organisation: Organisation,
}
