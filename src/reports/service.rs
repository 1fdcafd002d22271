//! The report statements: each figure is one SQL aggregate over the rows of
//! a [`crate::policy::Scoped`] select, so a report counts exactly what the
//! viewer may see, and runs one statement whatever the size of the data.
//!
//! Invariants:
//! - every statement reads from the scope's rows only
//!   ([`crate::policy::ScopedRows::aggregate`]); nothing here names a table;
//! - calendar buckets are UTC instants computed in [`super::calendar`] and
//!   passed as parameters; SQL groups by them with one `CASE`;
//! - lead times are whole seconds (each instant truncated to its second),
//!   and their median and 90th percentile follow PostgreSQL's
//!   `percentile_cont` exactly on both databases: on SQLite the same
//!   interpolation is written out over `ROW_NUMBER()` and `COUNT(*)`
//!   windows, with the same floating-point operations in the same order.

use std::collections::BTreeMap;

use entity::enums::{InvoiceStatus, TicketStatus};
use entity::{feedback, invoices, orders, tickets};
use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait as _, Func, SimpleExpr};
use sea_orm::{
    ActiveEnum as _, ColumnTrait as _, DatabaseConnection, DbBackend, FromQueryResult, Order,
};

use super::calendar::{Bucket, DayRange, Period};
use crate::error::{AppError, AppResult};
use crate::policy::{Aggregate, Scope, ScopedRows};

/// How many tickets are in each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCount {
    pub status: TicketStatus,
    pub count: i64,
}

/// The ticket counts of one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationCounts {
    pub organisation_id: i64,
    /// Every status, in workflow order, zeros included.
    pub by_status: Vec<StatusCount>,
}

/// What happened in one bucket of a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketCount {
    pub bucket: Bucket,
    pub count: i64,
}

/// Lead time from creation to shipping over some shipped orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadTime {
    pub orders: i64,
    /// `None` when no order shipped.
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

/// Shipped devices of one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCount {
    /// `None` for orders shipped without a recorded model.
    pub model: Option<String>,
    pub learning: i64,
    pub standard: i64,
}

/// The invoices issued in one quarter, by what became of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingTotals {
    pub bucket: Bucket,
    /// Invoices issued and not voided.
    pub invoices: i64,
    pub invoiced_cents: i64,
    pub paid_cents: i64,
    pub outstanding_cents: i64,
}

/// Every status, in workflow order.
pub const STATUSES: [TicketStatus; 6] = [
    TicketStatus::Review,
    TicketStatus::Queued,
    TicketStatus::ReadyToShip,
    TicketStatus::ReadyForBilling,
    TicketStatus::Billed,
    TicketStatus::Cancelled,
];

fn col(name: &str) -> SimpleExpr {
    Expr::col(Alias::new(name))
}

fn count_rows() -> SimpleExpr {
    Expr::cust("COUNT(*)")
}

/// `CAST(SUM(expr) AS BIGINT)`: PostgreSQL sums a BIGINT into a NUMERIC.
fn sum(expr: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(expr), "BIGINT").into()
}

async fn run<T: FromQueryResult>(
    db: &DatabaseConnection,
    aggregate: Aggregate,
) -> AppResult<Vec<T>> {
    Ok(T::find_by_statement(aggregate.statement(db))
        .all(db)
        .await?)
}

fn status_of(value: String) -> AppResult<TicketStatus> {
    TicketStatus::try_from_value(&value).map_err(AppError::internal)
}

fn with_zeros(counts: &BTreeMap<String, i64>) -> Vec<StatusCount> {
    STATUSES
        .iter()
        .map(|status| StatusCount {
            status: *status,
            count: counts.get(&status.to_value()).copied().unwrap_or(0),
        })
        .collect()
}

#[derive(FromQueryResult)]
struct StatusRow {
    status: String,
    count: i64,
}

/// Visible tickets by status; every status, zeros included.
pub async fn tickets_by_status(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<StatusCount>> {
    let aggregate = scope
        .tickets()
        .rows([(
            Expr::col((tickets::Entity, tickets::Column::Status)),
            "status",
        )])
        .aggregate()
        .expr_as(col("status"), "status")
        .expr_as(count_rows(), "count")
        .group_by(col("status"));
    let rows: Vec<StatusRow> = run(db, aggregate).await?;
    for row in &rows {
        status_of(row.status.clone())?;
    }
    let counts = rows.into_iter().map(|r| (r.status, r.count)).collect();
    Ok(with_zeros(&counts))
}

#[derive(FromQueryResult)]
struct OrganisationStatusRow {
    organisation_id: i64,
    status: String,
    count: i64,
}

/// Visible tickets by organisation and status, organisations in id order:
/// every organisation of the scope that has a ticket (a partner's scope
/// holds its own organisation only).
pub async fn tickets_by_organisation(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<OrganisationCounts>> {
    let aggregate = scope
        .tickets()
        .rows([
            (
                Expr::col((tickets::Entity, tickets::Column::OrganisationId)),
                "organisation_id",
            ),
            (
                Expr::col((tickets::Entity, tickets::Column::Status)),
                "status",
            ),
        ])
        .aggregate()
        .expr_as(col("organisation_id"), "organisation_id")
        .expr_as(col("status"), "status")
        .expr_as(count_rows(), "count")
        .group_by(col("organisation_id"))
        .group_by(col("status"));
    let rows: Vec<OrganisationStatusRow> = run(db, aggregate).await?;
    let mut by_organisation: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
    for row in rows {
        status_of(row.status.clone())?;
        by_organisation
            .entry(row.organisation_id)
            .or_default()
            .insert(row.status, row.count);
    }
    Ok(by_organisation
        .into_iter()
        .map(|(organisation_id, counts)| OrganisationCounts {
            organisation_id,
            by_status: with_zeros(&counts),
        })
        .collect())
}

/// `CASE WHEN at < end₀ THEN 0 WHEN at < end₁ THEN 1 … END`, and the rows
/// kept: those from the first bucket's start to the last one's end.
fn bucketed(rows: ScopedRows, at: &str, buckets: &[Bucket]) -> Aggregate {
    let mut case = CaseStatement::new();
    for (i, bucket) in buckets.iter().enumerate() {
        case = case.case(Expr::col(Alias::new(at)).lt(bucket.end), i as i64);
    }
    let mut aggregate = rows.aggregate().expr_as(case, "bucket");
    if let (Some(first), Some(last)) = (buckets.first(), buckets.last()) {
        aggregate = aggregate
            .filter(Expr::col(Alias::new(at)).gte(first.start))
            .filter(Expr::col(Alias::new(at)).lt(last.end));
    }
    aggregate.group_by(col("bucket"))
}

#[derive(FromQueryResult)]
struct BucketRow {
    bucket: i64,
    count: i64,
}

fn per_bucket(buckets: Vec<Bucket>, rows: Vec<BucketRow>) -> Vec<BucketCount> {
    let counts: BTreeMap<i64, i64> = rows.into_iter().map(|r| (r.bucket, r.count)).collect();
    buckets
        .into_iter()
        .enumerate()
        .map(|(i, bucket)| BucketCount {
            bucket,
            count: counts.get(&(i as i64)).copied().unwrap_or(0),
        })
        .collect()
}

/// Visible orders shipped in each `period` of `range`, empty periods
/// included.
pub async fn shipments(
    db: &DatabaseConnection,
    scope: &Scope,
    range: DayRange,
    period: Period,
) -> AppResult<Vec<BucketCount>> {
    let buckets = range.buckets(period);
    let rows = scope
        .orders()
        .filter(orders::Column::ShippedAt.is_not_null())
        .rows([(Expr::col((orders::Entity, orders::Column::ShippedAt)), "at")]);
    let aggregate = bucketed(rows, "at", &buckets).expr_as(count_rows(), "count");
    Ok(per_bucket(buckets, run(db, aggregate).await?))
}

/// Feedback the viewer may read, sent in each month of `range`, empty
/// months included.
pub async fn feedback_by_month(
    db: &DatabaseConnection,
    scope: &Scope,
    range: DayRange,
) -> AppResult<Vec<BucketCount>> {
    let buckets = range.buckets(Period::Month);
    let rows = scope.feedback().rows([(
        Expr::col((feedback::Entity, feedback::Column::CreatedAt)),
        "at",
    )]);
    let aggregate = bucketed(rows, "at", &buckets).expr_as(count_rows(), "count");
    Ok(per_bucket(buckets, run(db, aggregate).await?))
}

/// Seconds from an order's creation to its shipping, each instant
/// truncated to its second (SQLite's `strftime('%s')` keeps no fraction).
fn lead_seconds(backend: DbBackend) -> SimpleExpr {
    let epoch = |column: orders::Column| -> SimpleExpr {
        let at = Expr::col((orders::Entity, column));
        match backend {
            DbBackend::Postgres => Func::cast_as(
                Func::cust("FLOOR").arg(Func::cust("date_part").arg("epoch").arg(at)),
                "BIGINT",
            )
            .into(),
            _ => Func::cast_as(Func::cust("strftime").arg("%s").arg(at), "INTEGER").into(),
        }
    };
    epoch(orders::Column::ShippedAt).sub(epoch(orders::Column::CreatedAt))
}

/// `percentile_cont(p)` over the column `secs`, for SQLite, over rows
/// ranked by `rn` (0-based, ordered by `secs`) in groups of `n`: PostgreSQL's
/// `lo + (p·(n−1) − ⌊p·(n−1)⌋) · (hi − lo)`, with `lo` and `hi` the values at
/// ranks ⌊p·(n−1)⌋ and ⌈p·(n−1)⌉.
fn sqlite_percentile(p: &str) -> String {
    let lo_rank = format!(r#"CAST({p} * ("n" - 1) AS INTEGER)"#);
    let hi_rank = format!(r#"{lo_rank} + ({p} * ("n" - 1) > {lo_rank})"#);
    let lo = format!(r#"MAX(CASE WHEN "rn" = {lo_rank} THEN "secs" END)"#);
    let hi = format!(r#"MAX(CASE WHEN "rn" = {hi_rank} THEN "secs" END)"#);
    let position = format!(r#"{p} * (MAX("n") - 1)"#);
    format!("CAST({lo} AS REAL) + (({position} - CAST({position} AS INTEGER)) * ({hi} - {lo}))")
}

/// The median and 90th percentile of the lead times of the rows, grouped by
/// `organisation_id` when `per_organisation`.
fn lead_time_aggregate(backend: DbBackend, rows: ScopedRows, per_organisation: bool) -> Aggregate {
    let aggregate = match backend {
        DbBackend::Postgres => rows
            .aggregate()
            .expr_as(count_rows(), "orders")
            .expr_as(
                Expr::cust(r#"percentile_cont(0.5) WITHIN GROUP (ORDER BY "secs")"#),
                "median",
            )
            .expr_as(
                Expr::cust(r#"percentile_cont(0.9) WITHIN GROUP (ORDER BY "secs")"#),
                "p90",
            ),
        _ => {
            let partition = if per_organisation {
                r#"PARTITION BY "organisation_id" "#
            } else {
                ""
            };
            let ranked = rows
                .aggregate()
                .expr_as(col("organisation_id"), "organisation_id")
                .expr_as(col("secs"), "secs")
                .expr_as(
                    Expr::cust(format!(
                        r#"ROW_NUMBER() OVER ({partition}ORDER BY "secs") - 1"#
                    )),
                    "rn",
                )
                .expr_as(Expr::cust(format!("COUNT(*) OVER ({partition})")), "n");
            ranked
                .nest()
                .aggregate()
                .expr_as(count_rows(), "orders")
                .expr_as(Expr::cust(sqlite_percentile("0.5")), "median")
                .expr_as(Expr::cust(sqlite_percentile("0.9")), "p90")
        }
    };
    if per_organisation {
        aggregate
            .expr_as(col("organisation_id"), "organisation_id")
            .group_by(col("organisation_id"))
            .order_by(col("organisation_id"), Order::Asc)
    } else {
        aggregate
    }
}

fn shipped_lead_times(db: &DatabaseConnection, scope: &Scope) -> ScopedRows {
    scope
        .orders()
        .filter(orders::Column::ShippedAt.is_not_null())
        .rows([
            (
                Expr::col((orders::Entity, orders::Column::OrganisationId)),
                "organisation_id",
            ),
            (lead_seconds(db.get_database_backend()), "secs"),
        ])
}

#[derive(FromQueryResult)]
struct LeadTimeRow {
    orders: i64,
    median: Option<f64>,
    p90: Option<f64>,
}

impl From<LeadTimeRow> for LeadTime {
    fn from(row: LeadTimeRow) -> Self {
        Self {
            orders: row.orders,
            median_seconds: row.median,
            p90_seconds: row.p90,
        }
    }
}

/// Lead time over every visible shipped order.
pub async fn lead_time(db: &DatabaseConnection, scope: &Scope) -> AppResult<LeadTime> {
    let aggregate = lead_time_aggregate(
        db.get_database_backend(),
        shipped_lead_times(db, scope),
        false,
    );
    let rows: Vec<LeadTimeRow> = run(db, aggregate).await?;
    Ok(rows.into_iter().next().map_or(
        LeadTime {
            orders: 0,
            median_seconds: None,
            p90_seconds: None,
        },
        LeadTime::from,
    ))
}

#[derive(FromQueryResult)]
struct OrganisationLeadTimeRow {
    organisation_id: i64,
    orders: i64,
    median: Option<f64>,
    p90: Option<f64>,
}

/// Lead time per organisation with a visible shipped order, in id order.
pub async fn lead_time_by_organisation(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<(i64, LeadTime)>> {
    let aggregate = lead_time_aggregate(
        db.get_database_backend(),
        shipped_lead_times(db, scope),
        true,
    );
    let rows: Vec<OrganisationLeadTimeRow> = run(db, aggregate).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.organisation_id,
                LeadTime {
                    orders: row.orders,
                    median_seconds: row.median,
                    p90_seconds: row.p90,
                },
            )
        })
        .collect())
}

#[derive(FromQueryResult)]
struct DeviceRow {
    model: Option<String>,
    learning: i64,
    standard: i64,
}

/// Visible shipped orders by device model, learning and standard apart;
/// models in alphabetical order.
pub async fn devices_shipped(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<DeviceCount>> {
    let learning = || sea_orm::sea_query::ExprTrait::eq(Expr::col(Alias::new("learning")), true);
    let aggregate = scope
        .orders()
        .filter(orders::Column::ShippedAt.is_not_null())
        .rows([
            (
                Expr::col((orders::Entity, orders::Column::DeviceModel)),
                "model",
            ),
            (
                Expr::col((orders::Entity, orders::Column::ForLearning)),
                "learning",
            ),
        ])
        .aggregate()
        .expr_as(col("model"), "model")
        .expr_as(sum(Expr::case(learning(), 1).finally(0).into()), "learning")
        .expr_as(sum(Expr::case(learning(), 0).finally(1).into()), "standard")
        .group_by(col("model"))
        .order_by(col("model"), Order::Asc);
    let rows: Vec<DeviceRow> = run(db, aggregate).await?;
    Ok(rows
        .into_iter()
        .map(|row| DeviceCount {
            model: row.model,
            learning: row.learning,
            standard: row.standard,
        })
        .collect())
}

#[derive(FromQueryResult)]
struct BillingRow {
    bucket: i64,
    invoices: i64,
    invoiced: i64,
    paid: i64,
    outstanding: i64,
}

/// The invoices the viewer may see, issued in each quarter of `range` and
/// not voided: their total, the part paid, the part outstanding. Empty
/// quarters included.
pub async fn billing_by_quarter(
    db: &DatabaseConnection,
    scope: &Scope,
    range: DayRange,
) -> AppResult<Vec<BillingTotals>> {
    let buckets = range.buckets(Period::Quarter);
    let rows = scope
        .invoices()
        .filter(invoices::Column::Status.ne(InvoiceStatus::Void))
        .rows([
            (
                Expr::col((invoices::Entity, invoices::Column::IssuedAt)),
                "at",
            ),
            (
                Expr::col((invoices::Entity, invoices::Column::Status)),
                "status",
            ),
            (
                Expr::col((invoices::Entity, invoices::Column::TotalCents)),
                "total",
            ),
        ]);
    let when = |status: InvoiceStatus| {
        Expr::case(
            sea_orm::sea_query::ExprTrait::eq(Expr::col(Alias::new("status")), status.to_value()),
            Expr::col(Alias::new("total")),
        )
        .finally(0)
        .into()
    };
    let aggregate = bucketed(rows, "at", &buckets)
        .expr_as(count_rows(), "invoices")
        .expr_as(sum(col("total")), "invoiced")
        .expr_as(sum(when(InvoiceStatus::Paid)), "paid")
        .expr_as(sum(when(InvoiceStatus::Issued)), "outstanding");
    let rows: Vec<BillingRow> = run(db, aggregate).await?;
    let by_bucket: BTreeMap<i64, BillingRow> = rows.into_iter().map(|r| (r.bucket, r)).collect();
    Ok(buckets
        .into_iter()
        .enumerate()
        .map(|(i, bucket)| {
            let row = by_bucket.get(&(i as i64));
            BillingTotals {
                bucket,
                invoices: row.map_or(0, |r| r.invoices),
                invoiced_cents: row.map_or(0, |r| r.invoiced),
                paid_cents: row.map_or(0, |r| r.paid),
                outstanding_cents: row.map_or(0, |r| r.outstanding),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait as _, Database};

    /// PostgreSQL's `percentile_cont` (orderedsetaggs.c), transcribed.
    fn percentile_cont(sorted: &[i64], p: f64) -> Option<f64> {
        let n = sorted.len();
        let position = p * ((n.checked_sub(1)?) as f64);
        let (first, second) = (position.floor(), position.ceil());
        let low = sorted[first as usize] as f64;
        if second == first {
            return Some(low);
        }
        let high = sorted[second as usize] as f64;
        Some(low + ((position - first) * (high - low)))
    }

    #[derive(FromQueryResult)]
    struct Percentiles {
        median: Option<f64>,
        p90: Option<f64>,
    }

    #[tokio::test]
    async fn the_sqlite_percentiles_are_postgresql_s_percentile_cont_to_the_bit() {
        let db = Database::connect("sqlite::memory:").await.expect("sqlite");
        db.execute_unprepared("CREATE TABLE lead (secs INTEGER NOT NULL)")
            .await
            .expect("table");
        let mut seed: u64 = 20_261_203;
        let mut next = move |below: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % below
        };
        for case in 0..300 {
            db.execute_unprepared("DELETE FROM lead")
                .await
                .expect("clear");
            let n = 1 + next(40) as usize;
            let mut values: Vec<i64> = (0..n).map(|_| next(2_600_000) as i64).collect();
            let rows: Vec<String> = values.iter().map(|v| format!("({v})")).collect();
            db.execute_unprepared(&format!("INSERT INTO lead VALUES {}", rows.join(",")))
                .await
                .expect("insert");
            values.sort_unstable();
            let sql = format!(
                r#"SELECT {} AS median, {} AS p90 FROM (SELECT "secs", ROW_NUMBER() OVER (ORDER BY "secs") - 1 AS "rn", COUNT(*) OVER () AS "n" FROM lead)"#,
                sqlite_percentile("0.5"),
                sqlite_percentile("0.9")
            );
            let got = Percentiles::find_by_statement(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                sql,
            ))
            .one(&db)
            .await
            .expect("query")
            .expect("a row");
            assert_eq!(
                (got.median, got.p90),
                (percentile_cont(&values, 0.5), percentile_cont(&values, 0.9)),
                "case {case}: {values:?}"
            );
        }
    }
}
