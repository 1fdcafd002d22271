//! Database connections: one pool per process, SQLite (embedded default) or
//! PostgreSQL, tuned for each, plus an optional second pool for reports
//! (`REPORTS_DATABASE_URL`, a read replica); migrations run through the
//! `migration` crate, on the primary only.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::MigratorTrait as _;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use secrecy::ExposeSecret as _;

use crate::config::{Config, ConfigError};

/// Counts every SQL statement the pool runs, for the tests that keep N+1
/// queries out.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

tokio::task_local! {
    /// The statements of the request the current task works for.
    static REQUEST_STATEMENTS: Arc<AtomicU64>;
}

/// Runs `work` and counts the statements it runs, its own and those of
/// the tasks it starts with [`spawn_counted`] (DataLoader batches), and
/// no other request's.
pub async fn count_statements<F: Future>(work: F) -> (F::Output, u64) {
    let counter = Arc::new(AtomicU64::new(0));
    let output = REQUEST_STATEMENTS.scope(counter.clone(), work).await;
    (output, counter.load(Ordering::Relaxed))
}

/// `tokio::spawn`, with the statements of the task counted for the
/// request that spawns it, and logged in its span.
pub fn spawn_counted<F>(task: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    use tracing::Instrument as _;
    let task = task.instrument(tracing::Span::current());
    match REQUEST_STATEMENTS.try_with(Arc::clone) {
        Ok(counter) => tokio::spawn(REQUEST_STATEMENTS.scope(counter, task)),
        Err(_) => tokio::spawn(task),
    }
}

/// Opens the pool and checks that the database answers.
pub async fn connect(
    config: &Config,
) -> Result<(DatabaseConnection, StatementCounter), ConfigError> {
    let counter = StatementCounter::default();
    let db = open(
        config.database_url.expose_secret(),
        "DATABASE_URL",
        config,
        &counter,
    )
    .await?;
    Ok((db, counter))
}

/// The pool `reports` read from: the `REPORTS_DATABASE_URL` database when
/// one is configured, `primary` otherwise. Its statements count on
/// `counter` too, so that a request's statement count covers both pools.
pub async fn connect_reports(
    config: &Config,
    primary: &DatabaseConnection,
    counter: &StatementCounter,
) -> Result<DatabaseConnection, ConfigError> {
    match &config.reports_database_url {
        Some(url) => open(url.expose_secret(), "REPORTS_DATABASE_URL", config, counter).await,
        None => Ok(primary.clone()),
    }
}

async fn open(
    url: &str,
    setting: &'static str,
    config: &Config,
    counter: &StatementCounter,
) -> Result<DatabaseConnection, ConfigError> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.database_max_connections)
        // One bound for the whole wait, connecting included: sqlx keeps
        // retrying a refused connection until it, so a request fails
        // within it while the database is down (SERVICE_UNAVAILABLE).
        .acquire_timeout(config.database_acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            // WAL lets readers run beside the single writer; the busy timeout
            // makes concurrent writers queue instead of failing at once.
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await.map_err(|e| {
        ConfigError::new(
            setting,
            format!("cannot connect to the database: {}", one_line(&e)),
        )
    })?;
    db.ping().await.map_err(|e| {
        ConfigError::new(
            setting,
            format!("the database does not answer: {}", one_line(&e)),
        )
    })?;
    let inner = counter.0.clone();
    let log_sql = config.log_sql;
    db.set_metric_callback(move |info| {
        inner.fetch_add(1, Ordering::Relaxed);
        // Outside a counted request (startup, background work) there is
        // nothing to add to.
        let _ = REQUEST_STATEMENTS.try_with(|request| request.fetch_add(1, Ordering::Relaxed));
        if log_sql {
            log_statement(info);
        }
    });
    Ok(db)
}

/// `LOG_SQL`: one statement, with its values written in (SeaORM's
/// `Display` of a statement, in the pool's dialect) so that it can be run
/// again as it stands, and how long it took as seen from the server. It is
/// logged in the span of the request it ran for ([`spawn_counted`] carries
/// the span into DataLoader batches).
fn log_statement(info: &sea_orm::metric::Info<'_>) {
    let elapsed_us = u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "partnerdesk::sql",
        sql = %info.statement,
        elapsed_us,
        failed = info.failed,
        "statement"
    );
}

fn one_line(err: &impl std::fmt::Display) -> String {
    err.to_string().replace('\n', " ")
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    migration::Migrator::up(db, None).await
}

/// Which SQL dialect the pool speaks.
pub fn backend(db: &DatabaseConnection) -> DbBackend {
    db.get_database_backend()
}
