//! The GraphQL objects of reports: plain figures, with the organisation
//! of a per-organisation figure loaded through the viewer's loader.

use async_graphql::{ComplexObject, Context, Enum, SimpleObject};
use chrono::NaiveDate;

use super::calendar::{Bucket, Period};
use super::service;
use crate::error::AppResult;
use crate::organisations::types::Organisation;
use crate::tickets::types::TicketStatus;

/// A calendar period of the Europe/Zurich calendar.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReportPeriod {
    /// Monday to Sunday (ISO 8601 weeks).
    Week,
    /// A calendar month.
    Month,
    /// A calendar quarter (January–March, April–June, July–September,
    /// October–December).
    Quarter,
}

impl From<ReportPeriod> for Period {
    fn from(period: ReportPeriod) -> Self {
        match period {
            ReportPeriod::Week => Self::Week,
            ReportPeriod::Month => Self::Month,
            ReportPeriod::Quarter => Self::Quarter,
        }
    }
}

/// How many tickets are in one status.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct TicketStatusCount {
    /// The status.
    pub status: TicketStatus,
    /// Tickets in that status.
    pub count: i64,
}

impl From<service::StatusCount> for TicketStatusCount {
    fn from(count: service::StatusCount) -> Self {
        Self {
            status: count.status.into(),
            count: count.count,
        }
    }
}

/// The ticket counts of one organisation.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct OrganisationTicketCounts {
    #[graphql(skip)]
    pub organisation_id: i64,
    /// Tickets of the organisation, whatever their status.
    pub total: i64,
    /// Every status, in workflow order, zeros included.
    pub by_status: Vec<TicketStatusCount>,
}

#[ComplexObject]
impl OrganisationTicketCounts {
    /// The organisation counted.
    async fn organisation(&self, ctx: &Context<'_>) -> AppResult<Organisation> {
        Organisation::load(ctx, self.organisation_id).await
    }
}

impl From<service::OrganisationCounts> for OrganisationTicketCounts {
    fn from(counts: service::OrganisationCounts) -> Self {
        Self {
            organisation_id: counts.organisation_id,
            total: counts.by_status.iter().map(|c| c.count).sum(),
            by_status: counts.by_status.into_iter().map(Into::into).collect(),
        }
    }
}

/// A count over one period of a date range.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct PeriodCount {
    /// The first day counted: the period's first day, or the range's
    /// first day if the range starts within the period.
    pub first_day: NaiveDate,
    /// The last day counted: the period's last day, or the range's last
    /// day if the range ends within the period.
    pub last_day: NaiveDate,
    /// How many, from `firstDay` to `lastDay` included (Europe/Zurich days).
    pub count: i64,
}

impl From<service::BucketCount> for PeriodCount {
    fn from(count: service::BucketCount) -> Self {
        Self {
            first_day: count.bucket.first_day,
            last_day: count.bucket.last_day,
            count: count.count,
        }
    }
}

/// Time from an order's creation to its shipping, over shipped orders.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct LeadTime {
    /// Shipped orders measured.
    pub orders: i64,
    /// The median, in hours (a continuous percentile, interpolated between
    /// the two middle orders); null when no order shipped.
    pub median_hours: Option<f64>,
    /// The 90th percentile, in hours (interpolated likewise); null when no
    /// order shipped.
    pub p90_hours: Option<f64>,
}

impl From<service::LeadTime> for LeadTime {
    fn from(lead: service::LeadTime) -> Self {
        let hours = |seconds: Option<f64>| seconds.map(|s| s / 3600.0);
        Self {
            orders: lead.orders,
            median_hours: hours(lead.median_seconds),
            p90_hours: hours(lead.p90_seconds),
        }
    }
}

/// The lead time of one organisation's orders.
#[derive(SimpleObject, Debug, Clone, Copy)]
#[graphql(complex)]
pub struct OrganisationLeadTime {
    #[graphql(skip)]
    pub organisation_id: i64,
    /// The lead time of its shipped orders.
    pub lead_time: LeadTime,
}

#[ComplexObject]
impl OrganisationLeadTime {
    /// The organisation measured.
    async fn organisation(&self, ctx: &Context<'_>) -> AppResult<Organisation> {
        Organisation::load(ctx, self.organisation_id).await
    }
}

/// Shipped devices of one model.
#[derive(SimpleObject, Debug, Clone)]
pub struct DeviceModelCount {
    /// The device model as recorded when shipping; null for orders shipped
    /// without one.
    pub model: Option<String>,
    /// Devices for learning (apprentices and students, with Windows).
    pub learning: i64,
    /// Standard devices.
    pub standard: i64,
    /// Learning and standard together.
    pub total: i64,
}

impl From<service::DeviceCount> for DeviceModelCount {
    fn from(count: service::DeviceCount) -> Self {
        Self {
            total: count.learning + count.standard,
            model: count.model,
            learning: count.learning,
            standard: count.standard,
        }
    }
}

/// The invoices issued in one quarter (and not voided), by what became of
/// them. Amounts are CHF cents, VAT included.
#[derive(SimpleObject, Debug, Clone)]
pub struct QuarterBilling {
    /// The quarter, e.g. `2026-Q3`.
    pub quarter: String,
    /// The first day counted: the quarter's, or the range's first day.
    pub first_day: NaiveDate,
    /// The last day counted: the quarter's, or the range's last day.
    pub last_day: NaiveDate,
    /// Invoices issued in those days and not voided.
    pub invoices: i64,
    /// Their total.
    pub invoiced_cents: i64,
    /// The total of those of them now paid.
    pub paid_cents: i64,
    /// The total of those of them still awaiting payment.
    pub outstanding_cents: i64,
}

impl From<service::BillingTotals> for QuarterBilling {
    fn from(totals: service::BillingTotals) -> Self {
        Self {
            quarter: quarter_name(&totals.bucket),
            first_day: totals.bucket.first_day,
            last_day: totals.bucket.last_day,
            invoices: totals.invoices,
            invoiced_cents: totals.invoiced_cents,
            paid_cents: totals.paid_cents,
            outstanding_cents: totals.outstanding_cents,
        }
    }
}

fn quarter_name(bucket: &Bucket) -> String {
    use chrono::Datelike as _;
    format!(
        "{}-Q{}",
        bucket.first_day.year(),
        bucket.first_day.month0() / 3 + 1
    )
}
