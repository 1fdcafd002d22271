//! `Query.reports` and the [`Reports`] object. Resolvers check their
//! arguments, then run one statement each on the reporting pool.

use async_graphql::{Context, Object};
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use super::calendar::DayRange;
use super::service;
use super::types::{
    DeviceModelCount, LeadTime, OrganisationLeadTime, OrganisationTicketCounts, PeriodCount,
    QuarterBilling, ReportPeriod, TicketStatusCount,
};
use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::policy::Scope;

#[derive(Default)]
pub struct ReportsQuery;

#[Object]
impl ReportsQuery {
    /// Reports over what the viewer may see: staff over everything,
    /// partner managers over their organisation, partner members over the
    /// tickets they may see. Each field is one report.
    async fn reports(&self, ctx: &Context<'_>) -> AppResult<Reports> {
        ctx.scope()?;
        Ok(Reports)
    }
}

/// The reports object (described on its `#[Object]` block).
#[derive(Debug, Clone, Copy)]
pub struct Reports;

/// The reporting pool and the viewer's scope.
fn source<'a>(ctx: &'a Context<'_>) -> AppResult<(&'a DatabaseConnection, &'a Scope)> {
    Ok((&ctx.state()?.reports_db, ctx.scope()?))
}

/// Figures over what the viewer may see. Dates are days of the
/// Europe/Zurich calendar; a date range (`from`, `to`, both included)
/// spans at most 1,096 days.
#[Object]
impl Reports {
    /// Tickets by status: every status, zeros included.
    async fn tickets_by_status(&self, ctx: &Context<'_>) -> AppResult<Vec<TicketStatusCount>> {
        let (db, scope) = source(ctx)?;
        let counts = service::tickets_by_status(db, scope).await?;
        Ok(counts.into_iter().map(Into::into).collect())
    }

    /// Tickets by organisation and status, for each organisation with a
    /// ticket the viewer may see (a partner: its own organisation).
    async fn tickets_by_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> AppResult<Vec<OrganisationTicketCounts>> {
        let (db, scope) = source(ctx)?;
        let counts = service::tickets_by_organisation(db, scope).await?;
        Ok(counts.into_iter().map(Into::into).collect())
    }

    /// Orders shipped in each period from `from` to `to`, periods with no
    /// shipment included.
    async fn shipments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day counted.")] from: NaiveDate,
        #[graphql(desc = "The last day counted (at most 1,096 days after `from`, inclusive).")]
        to: NaiveDate,
        #[graphql(desc = "The periods the range is cut into.")] period: ReportPeriod,
    ) -> AppResult<Vec<PeriodCount>> {
        let range = DayRange::parse(from, to)?;
        let (db, scope) = source(ctx)?;
        let counts = service::shipments(db, scope, range, period.into()).await?;
        Ok(counts.into_iter().map(Into::into).collect())
    }

    /// Time from an order's creation to its shipping, over every shipped
    /// order the viewer may see.
    async fn lead_time(&self, ctx: &Context<'_>) -> AppResult<LeadTime> {
        let (db, scope) = source(ctx)?;
        Ok(service::lead_time(db, scope).await?.into())
    }

    /// The lead time of each organisation with a shipped order the viewer
    /// may see (a partner: its own organisation).
    async fn lead_time_by_organisation(
        &self,
        ctx: &Context<'_>,
    ) -> AppResult<Vec<OrganisationLeadTime>> {
        let (db, scope) = source(ctx)?;
        let rows = service::lead_time_by_organisation(db, scope).await?;
        Ok(rows
            .into_iter()
            .map(|(organisation_id, lead)| OrganisationLeadTime {
                organisation_id,
                lead_time: lead.into(),
            })
            .collect())
    }

    /// Shipped devices by model, learning and standard apart, models in
    /// alphabetical order.
    async fn devices_shipped(&self, ctx: &Context<'_>) -> AppResult<Vec<DeviceModelCount>> {
        let (db, scope) = source(ctx)?;
        let counts = service::devices_shipped(db, scope).await?;
        Ok(counts.into_iter().map(Into::into).collect())
    }

    /// Invoiced, paid and outstanding totals of the invoices the viewer may
    /// see, by quarter of issue from `from` to `to`, empty quarters
    /// included. Partner members see no invoice, so all zeros.
    async fn billing_by_quarter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day counted.")] from: NaiveDate,
        #[graphql(desc = "The last day counted (at most 1,096 days after `from`, inclusive).")]
        to: NaiveDate,
    ) -> AppResult<Vec<QuarterBilling>> {
        let range = DayRange::parse(from, to)?;
        let (db, scope) = source(ctx)?;
        let totals = service::billing_by_quarter(db, scope, range).await?;
        Ok(totals.into_iter().map(Into::into).collect())
    }

    /// Feedback messages the viewer may read, by month sent from `from` to
    /// `to`, empty months included.
    async fn feedback_by_month(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day counted.")] from: NaiveDate,
        #[graphql(desc = "The last day counted (at most 1,096 days after `from`, inclusive).")]
        to: NaiveDate,
    ) -> AppResult<Vec<PeriodCount>> {
        let range = DayRange::parse(from, to)?;
        let (db, scope) = source(ctx)?;
        let counts = service::feedback_by_month(db, scope, range).await?;
        Ok(counts.into_iter().map(Into::into).collect())
    }
}
