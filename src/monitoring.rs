//! Prometheus metrics: what `GET /metrics` reports, recorded with the
//! `metrics` facade and rendered by `metrics-exporter-prometheus`.
//!
//! Invariants:
//! - One recorder per process, installed by [`install`] (idempotent), so
//!   that any module may record with the `metrics` macros.
//! - Every label value is bounded: operation names are client-chosen, so
//!   only a GraphQL name of at most [`MAX_OPERATION_NAME`] characters is
//!   kept, and only the first [`MAX_OPERATION_NAMES`] distinct ones; any
//!   other is `other`. Outcomes are `ok` or one of the API's error codes.
//! - Figures that are a state rather than an event (pool connections,
//!   outbox backlog, open subscriptions) are read when scraped, never
//!   tracked by hand; the outbox costs one statement per scrape.
//! - Every family listed in [`FAMILIES`] is present in every scrape, at
//!   zero before its first event.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::auth::throttle::Limit;
use crate::state::AppState;

/// GraphQL requests, by operation and outcome.
pub const REQUESTS: &str = "partnerdesk_graphql_requests_total";
/// GraphQL request latency, by operation and outcome.
pub const REQUEST_DURATION: &str = "partnerdesk_graphql_request_duration_seconds";
/// SQL statements run for one GraphQL request, by operation.
pub const REQUEST_STATEMENTS: &str = "partnerdesk_graphql_request_sql_statements";
/// Pooled database connections in use, by pool.
pub const POOL_IN_USE: &str = "partnerdesk_db_pool_connections_in_use";
/// Pooled database connections open and idle, by pool.
pub const POOL_IDLE: &str = "partnerdesk_db_pool_connections_idle";
/// Emails waiting in the outbox.
pub const OUTBOX_PENDING: &str = "partnerdesk_outbox_pending_emails";
/// Age of the oldest email waiting in the outbox.
pub const OUTBOX_OLDEST_AGE: &str = "partnerdesk_outbox_oldest_pending_age_seconds";
/// Logins refused by throttling, by the limit that refused them.
pub const THROTTLE_REFUSALS: &str = "partnerdesk_login_throttle_refusals_total";
/// Subscriptions open on this instance.
pub const SUBSCRIPTIONS_OPEN: &str = "partnerdesk_subscriptions_open";

/// Every metric family a scrape shows.
pub const FAMILIES: [&str; 9] = [
    REQUESTS,
    REQUEST_DURATION,
    REQUEST_STATEMENTS,
    POOL_IN_USE,
    POOL_IDLE,
    OUTBOX_PENDING,
    OUTBOX_OLDEST_AGE,
    THROTTLE_REFUSALS,
    SUBSCRIPTIONS_OPEN,
];

/// The longest operation name kept as a label.
pub const MAX_OPERATION_NAME: usize = 64;
/// How many distinct operation names are kept as labels; later ones are
/// `other`.
pub const MAX_OPERATION_NAMES: usize = 200;

const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const STATEMENT_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0];

/// How often buffered histogram samples are folded in between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same
/// handle) and registers every family at zero.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_owned()), LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(REQUEST_STATEMENTS.to_owned()),
                    STATEMENT_BUCKETS,
                )
            });
        let recorder = match builder {
            Ok(builder) => builder.build_recorder(),
            // Only an empty bucket list fails, and ours are constants.
            Err(e) => {
                tracing::error!(error = %e, "metric buckets refused; histograms become summaries");
                PrometheusBuilder::new().build_recorder()
            }
        };
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::error!(error = %e, "another metrics recorder is installed: /metrics stays empty");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        REQUESTS,
        "GraphQL requests, by operation name and outcome (ok or the error code)"
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "GraphQL request latency, by operation name and outcome"
    );
    describe_histogram!(
        REQUEST_STATEMENTS,
        Unit::Count,
        "SQL statements run for one GraphQL request, by operation name"
    );
    describe_gauge!(
        POOL_IN_USE,
        "Database connections of the pool in use, by pool"
    );
    describe_gauge!(
        POOL_IDLE,
        "Database connections of the pool open and idle, by pool"
    );
    describe_gauge!(OUTBOX_PENDING, "Emails waiting in the outbox");
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        Unit::Seconds,
        "Age of the oldest email waiting in the outbox (0 when none waits)"
    );
    describe_counter!(
        THROTTLE_REFUSALS,
        "Login attempts refused by throttling, by the limit that refused them"
    );
    describe_gauge!(SUBSCRIPTIONS_OPEN, "Subscriptions open on this instance");
    for limit in Limit::ALL {
        counter!(THROTTLE_REFUSALS, "limit" => limit.label()).increment(0);
    }
}

/// Folds buffered histogram samples in every few seconds, so that an
/// unscraped instance does not buffer every sample; ends with `stop`.
pub async fn upkeep(stop: impl Future<Output = ()>) {
    let handle = install();
    let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = interval.tick() => handle.run_upkeep(),
        }
    }
}

/// The operation label of a request: its name when it has a GraphQL
/// name's shape and fits, among the first names seen; `anonymous` without
/// a name; `other` otherwise.
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<OperationNames> = OnceLock::new();
    SEEN.get_or_init(|| OperationNames::new(MAX_OPERATION_NAMES))
        .label(name)
}

/// The operation names kept as labels so far, at most `cap` of them.
#[derive(Debug)]
pub struct OperationNames {
    seen: Mutex<HashSet<String>>,
    cap: usize,
}

impl OperationNames {
    pub fn new(cap: usize) -> Self {
        Self {
            seen: Mutex::default(),
            cap,
        }
    }

    /// See [`operation_label`].
    pub fn label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".to_owned();
        };
        if !is_graphql_name(name) || name.len() > MAX_OPERATION_NAME {
            return "other".to_owned();
        }
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.contains(name) || seen.len() < self.cap {
            seen.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }
}

/// `/[_A-Za-z][_0-9A-Za-z]*/`, the GraphQL grammar's `Name`.
pub fn is_graphql_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Records one GraphQL request once it is answered.
pub fn record_request(operation: &str, outcome: &str, elapsed: Duration, statements: u64) {
    let labels = [
        ("operation", operation.to_owned()),
        ("outcome", outcome.to_owned()),
    ];
    counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(REQUEST_DURATION, &labels).record(elapsed.as_secs_f64());
    #[expect(
        clippy::cast_precision_loss,
        reason = "a request runs far fewer than 2^52 statements"
    )]
    let statements = statements as f64;
    metrics::histogram!(REQUEST_STATEMENTS, "operation" => operation.to_owned()).record(statements);
}

/// The outcome of a GraphQL response: `ok` without errors, else the code
/// of its first error.
pub fn outcome_of(errors: &[async_graphql::ServerError]) -> String {
    let Some(first) = errors.first() else {
        return "ok".to_owned();
    };
    let code = first
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"));
    let code = match code {
        Some(async_graphql::Value::String(code)) => code.as_str(),
        Some(async_graphql::Value::Enum(code)) => code.as_str(),
        _ => "",
    };
    outcome_code(code)
}

/// `code` as an outcome label. Codes are the server's own
/// (`AppError::code`, a fixed set), so any code of their shape is kept;
/// anything else, which no error should carry, is `ERROR`.
pub fn outcome_code(code: &str) -> String {
    let shaped = !code.is_empty()
        && code.len() <= 32
        && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    if shaped {
        code.to_owned()
    } else {
        "ERROR".to_owned()
    }
}

/// Records a login refused by throttling, by the limit that refused it.
pub fn record_throttle_refusal(limit: Limit) {
    counter!(THROTTLE_REFUSALS, "limit" => limit.label()).increment(1);
}

/// The router of `/metrics`, merged into the public router or served alone
/// on `METRICS_BIND`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// `GET /metrics`: reads the figures that are states, then renders.
async fn scrape(State(state): State<AppState>) -> Response {
    let handle = install();
    set_pool_gauges("primary", &state.db);
    if state.config.reports_database_url.is_some() {
        set_pool_gauges("reports", &state.reports_db);
    }
    match crate::policy::system::outbox_backlog(&state.db).await {
        Ok(backlog) => {
            #[expect(
                clippy::cast_precision_loss,
                reason = "an outbox holds far fewer than 2^52 emails"
            )]
            gauge!(OUTBOX_PENDING).set(backlog.pending as f64);
            let age = backlog
                .oldest
                .map(|oldest| (state.clock.now() - oldest).num_milliseconds().max(0))
                .unwrap_or(0);
            #[expect(
                clippy::cast_precision_loss,
                reason = "milliseconds of an age fit a float's mantissa"
            )]
            gauge!(OUTBOX_OLDEST_AGE).set(age as f64 / 1000.0);
        }
        // The other figures are still worth a scrape; the stale outbox
        // gauges are the last ones read.
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox backlog"),
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "an instance holds far fewer than 2^52 subscriptions"
    )]
    gauge!(SUBSCRIPTIONS_OPEN).set(state.live.subscribers() as f64);
    let mut response = (StatusCode::OK, handle.render()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn set_pool_gauges(pool: &'static str, db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    gauge!(POOL_IN_USE, "pool" => pool).set(f64::from(size - idle));
    gauge!(POOL_IDLE, "pool" => pool).set(f64::from(idle));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded_names() {
        let names = OperationNames::new(10);
        assert_eq!(names.label(None), "anonymous");
        assert_eq!(names.label(Some("MyTickets")), "MyTickets");
        assert_eq!(names.label(Some("_private2")), "_private2");
        assert_eq!(names.label(Some("my tickets")), "other");
        assert_eq!(names.label(Some("a\"b")), "other");
        assert_eq!(names.label(Some("1st")), "other");
        assert_eq!(names.label(Some("")), "other");
        assert_eq!(names.label(Some("caf\u{e9}")), "other");
        let long = "x".repeat(MAX_OPERATION_NAME + 1);
        assert_eq!(names.label(Some(&long)), "other");
        let fits = "y".repeat(MAX_OPERATION_NAME);
        assert_eq!(names.label(Some(&fits)), fits);
    }

    #[test]
    fn outcomes_are_error_codes_or_error() {
        assert_eq!(outcome_of(&[]), "ok");
        assert_eq!(outcome_code("NOT_FOUND"), "NOT_FOUND");
        assert_eq!(outcome_code("SERVICE_UNAVAILABLE"), "SERVICE_UNAVAILABLE");
        assert_eq!(outcome_code(""), "ERROR");
        assert_eq!(outcome_code("not found"), "ERROR");
        assert_eq!(outcome_code(&"X".repeat(33)), "ERROR");
    }

    #[test]
    fn distinct_operation_names_are_capped() {
        let names = OperationNames::new(3);
        let labels: Vec<String> = ["A", "B", "C", "D", "E"]
            .into_iter()
            .map(|name| names.label(Some(name)))
            .collect();
        assert_eq!(labels, ["A", "B", "C", "other", "other"]);
        assert_eq!(names.label(Some("B")), "B", "a name kept stays kept");
        assert_eq!(names.label(Some("F")), "other");
    }
}
