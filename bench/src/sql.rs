//! The portal list's own SQL, run directly on the database: how much of a
//! request's time is the database's, and how much the server's.
//!
//! The statements are not written down here: they change with the server.
//! They are read at run time from the server's log: a server started with
//! `LOG_SQL=true LOG_FORMAT=json` logs every statement it runs, with its
//! bound values written in, under the target `partnerdesk::sql` and in the
//! span of its request. The driver sends one portal request, takes the
//! statements logged in that request's span (by its `x-request-id`), and
//! then, in turns, times the request through the server and the same
//! statements, in the same order, on one connection of its own
//! (`--database-url`, the server's database).

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement};
use serde_json::Value;

use crate::client::Target;

/// The target under which the server logs its statements.
const SQL_TARGET: &str = "partnerdesk::sql";

/// What one comparison came to (medians over the turns).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SqlRatio {
    pub target: String,
    pub scenario: &'static str,
    /// Statements the request ran.
    pub statements: usize,
    /// One request through the server, as the client sees it (one client).
    pub server_ms: f64,
    /// The same statements run directly, one after the other.
    pub sql_ms: f64,
    /// `server_ms / sql_ms`.
    pub ratio: f64,
    pub turns: usize,
}

/// The statements of one request of `body`, as the server logged them in
/// `log` (the server's JSON log, `LOG_SQL=true`).
pub async fn capture(
    target: &Target,
    body: &Value,
    token: Option<&str>,
    log: &Path,
) -> anyhow::Result<Vec<String>> {
    let start = std::fs::metadata(log)
        .with_context(|| format!("--sql-log {}", log.display()))?
        .len();
    let id = target.post_for_request_id(body, token).await?;
    // The server writes each line before it answers; give the file a
    // moment all the same.
    for _ in 0..20 {
        let statements = logged(log, start, &id)?;
        if !statements.is_empty() {
            return Ok(statements);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!(
        "{}: no statement of request {id} in {}: start the server with LOG_SQL=true and LOG_FORMAT=json, its log written to that file",
        target.name,
        log.display()
    )
}

/// The `sql` of every statement line of request `id` after byte `start`.
fn logged(log: &Path, start: u64, id: &str) -> anyhow::Result<Vec<String>> {
    let mut file = std::fs::File::open(log).with_context(|| format!("{}", log.display()))?;
    file.seek(SeekFrom::Start(start))?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .with_context(|| format!("reading {}", log.display()))?;
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == SQL_TARGET && in_request(line, id))
        .filter_map(|line| line["sql"].as_str().map(str::to_owned))
        .collect())
}

/// Whether a JSON log line was written in the span of request `id`.
fn in_request(line: &Value, id: &str) -> bool {
    let of = |span: &Value| span["request_id"] == id;
    of(&line["span"])
        || line["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(of))
}

/// Connects to the server's database.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = sea_orm::ConnectOptions::new(url);
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .context("--database-url: cannot connect")
}

/// `turns` times: one request through the server, then its statements
/// directly; the medians and their ratio.
pub async fn compare(
    target: &Target,
    scenario: &'static str,
    body: &Value,
    token: Option<&str>,
    db: &DatabaseConnection,
    statements: &[String],
    turns: usize,
) -> anyhow::Result<SqlRatio> {
    let backend = db.get_database_backend();
    let mut server = Vec::with_capacity(turns);
    let mut sql = Vec::with_capacity(turns);
    // One untimed turn: connections and plan caches warm on both sides.
    for turn in 0..=turns {
        let started = Instant::now();
        target.post(body, token).await?;
        let through_server = started.elapsed();
        let started = Instant::now();
        for statement in statements {
            db.query_all_raw(Statement::from_string(backend, statement.clone()))
                .await
                .with_context(|| format!("running a logged statement: {statement}"))?;
        }
        let direct = started.elapsed();
        if turn > 0 {
            server.push(through_server);
            sql.push(direct);
        }
    }
    let server_ms = median_ms(&mut server);
    let sql_ms = median_ms(&mut sql);
    Ok(SqlRatio {
        target: target.name.clone(),
        scenario,
        statements: statements.len(),
        server_ms,
        sql_ms,
        ratio: if sql_ms > 0.0 {
            server_ms / sql_ms
        } else {
            f64::NAN
        },
        turns,
    })
}

fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort_unstable();
    times
        .get(times.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// The Markdown table of the comparisons.
pub fn table(ratios: &[SqlRatio]) -> String {
    let mut out = String::from(
        "\nThe portal list through the server and its own SQL run directly on the database \
         (one client, medians of alternating turns):\n\n\
         | target | scenario | statements | server ms | SQL ms | server / SQL |\n\
         |---|---|---|---|---|---|\n",
    );
    for r in ratios {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.1} |\n",
            r.target, r.scenario, r.statements, r.server_ms, r.sql_ms, r.ratio
        ));
    }
    out
}
