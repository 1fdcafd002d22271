//! Data sets for measuring: `partnerdesk seed --scale small|medium|large`.
//!
//! [`plan`] decides the whole data set from the sizes of a [`Scale`], a
//! seed and the day the history ends (the day of the run, midnight UTC),
//! and [`rows`] turns each planned ticket into the rows the services would
//! have written. This module writes them in one transaction, with explicit
//! ids: on PostgreSQL through `COPY … FROM STDIN` ([`copy`]), on SQLite as
//! multi-row inserts of as many rows as its bound-parameter limit allows
//! (32,766). Then the `gem` and `invoice-<year>` counters and PostgreSQL's
//! id sequences are set, so that the application carries on where the data
//! ends (the next order is `GEM-<tickets + 1>`). The tickets' rows are made
//! (and, for COPY, encoded) on a blocking thread while the previous round
//! is written, so that the generator and the database work at once.
//!
//! Invariants:
//! - the same scale, seed and day give the same rows on either backend,
//!   but for the password hash (one random password per run, hashed once
//!   and shared by every generated user: argon2 per user would take hours);
//! - it writes only into a database without organisations, unless told to
//!   wipe it, and then in the same transaction: a database is generated
//!   fully or not at all;
//! - no email is queued: the history is in the past.

mod copy;
mod plan;
mod progress;
mod rows;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Utc};
use entity::enums::{InvoiceStatus, Role, TicketVisibility};
use entity::{counters, invoices, organisations, users};
use sea_orm::ActiveValue::Set;
use sea_orm::sqlx;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait as _, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel as _, Iterable as _, Statement, TransactionTrait as _,
};

pub use plan::{Counts, Sizes};
pub use progress::Progress;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The sizes `seed --scale` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// About the demo: four partners, sixty tickets.
    Small,
    /// 100 partners, 2,000 users, 100,000 tickets (5,000 in the largest
    /// partner), 300,000 comments.
    Medium,
    /// 500 partners, 10,000 users, 1,000,000 tickets (50,000 in the
    /// largest partner), 3,000,000 comments.
    Large,
}

impl Scale {
    pub fn sizes(self) -> Sizes {
        match self {
            Self::Small => Sizes {
                partners: 4,
                users: 20,
                tickets: 60,
                comments: 120,
                largest_partner_tickets: 24,
                history_days: 400,
            },
            Self::Medium => Sizes {
                partners: 100,
                users: 2_000,
                tickets: 100_000,
                comments: 300_000,
                largest_partner_tickets: 5_000,
                history_days: 730,
            },
            Self::Large => Sizes {
                partners: 500,
                users: 10_000,
                tickets: 1_000_000,
                comments: 3_000_000,
                largest_partner_tickets: 50_000,
                history_days: 730,
            },
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub scale: Scale,
    pub seed: u64,
    /// Delete every row of the database first.
    pub wipe: bool,
}

/// A generated login to print.
#[derive(Debug, Clone)]
pub struct GeneratedLogin {
    pub role: Role,
    pub email: String,
    pub organisation: String,
    /// The organisation's visibility, for partners.
    pub visibility: Option<TicketVisibility>,
    /// `largest` or `smallest` (by tickets) among the partners of its
    /// visibility, for partners.
    pub size: Option<&'static str>,
    pub tickets: usize,
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The password of every generated user.
    pub password: String,
    pub logins: Vec<GeneratedLogin>,
    pub counts: Counts,
    pub elapsed: Duration,
}

/// The tables the generator fills or a wipe empties, children first.
const TABLES: [&str; 13] = [
    "email_outbox",
    "login_attempts",
    "password_reset_tokens",
    "feedback",
    "invoice_lines",
    "invoices",
    "attachments",
    "comments",
    "ticket_events",
    "orders",
    "tickets",
    "users",
    "organisations",
];

/// The tables the generator fills, whose secondary indexes and foreign
/// keys wait for the end of the load on PostgreSQL.
const FILLED: [&str; 9] = [
    "organisations",
    "users",
    "invoices",
    "tickets",
    "orders",
    "attachments",
    "ticket_events",
    "comments",
    "invoice_lines",
];

/// Tickets whose rows are made and written together: each round ends
/// with the database catching up (a COPY's end, a statement's answer).
const TICKETS_PER_ROUND: usize = 2_000;
const TICKETS_PER_COPY_ROUND: usize = 10_000;

/// Rounds made ahead of the one being written.
const ROUNDS_AHEAD: usize = 2;

/// Generates the data set of `options` into `state`'s database. `None`
/// when the database has organisations already and `options.wipe` is off:
/// nothing was written.
pub async fn generate(
    state: &AppState,
    options: Options,
    progress: &Progress,
) -> AppResult<Option<Generated>> {
    let started = Instant::now();
    if !options.wipe && crate::policy::system::has_organisations(&state.db).await? {
        return Ok(None);
    }
    let end = history_end(state.clock.now());
    let plan = Arc::new(plan::plan(&options.scale.sizes(), options.seed, end));
    let counts = plan.counts();

    let password = super::random_password();
    let hash = state.hasher.hash(&password).await?;
    let certificate = store_certificate(state).await?;

    progress.start(counts.total() as u64);
    let mut writer = match state.db.get_database_backend() {
        DbBackend::Postgres => Writer::Copy {
            txn: state
                .db
                .get_postgres_connection_pool()
                .begin()
                .await
                .map_err(copy_error)?,
            progress,
        },
        _ => Writer::Insert {
            txn: state.db.begin().await?,
            max_params: 32_766,
            progress,
        },
    };
    if options.wipe {
        writer.wipe().await?;
    }
    let deferred = writer.defer_checks().await?;
    writer
        .insert(
            plan.organisations
                .iter()
                .cloned()
                .map(|o| o.into_active_model().reset_all())
                .collect(),
        )
        .await?;
    writer
        .insert(
            plan.users
                .iter()
                .cloned()
                .map(|u| {
                    users::Model {
                        password_hash: Some(hash.clone()),
                        ..u
                    }
                    .into_active_model()
                    .reset_all()
                })
                .collect(),
        )
        .await?;
    writer.insert(invoice_rows(&plan)).await?;
    write_tickets(&mut writer, &plan, certificate).await?;
    for statement in deferred {
        writer.execute(&statement).await?;
    }
    set_counters(&mut writer, &plan).await?;
    writer.commit().await?;
    progress.finish();

    tracing::info!(
        scale = options.scale.name(),
        seed = options.seed,
        rows = counts.total(),
        "data set generated"
    );
    Ok(Some(Generated {
        password,
        logins: logins(&plan),
        counts,
        elapsed: started.elapsed(),
    }))
}

/// The end of the generated history: midnight (UTC) of the run's day, so
/// that runs on the same day give the same data.
fn history_end(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// Stores the training certificate every learning order carries, once.
async fn store_certificate(state: &AppState) -> AppResult<rows::Certificate> {
    let file = crate::attachments::service::check_file(
        "training-certificate.pdf",
        super::demo::DEMO_CERTIFICATE.to_vec(),
        "certificate",
    )?;
    let storage_key = state
        .storage
        .put(&file.sha256, &file.bytes)
        .await
        .map_err(|e| AppError::internal(anyhow::Error::new(e).context("storing a certificate")))?;
    Ok(rows::Certificate {
        file_name: file.file_name,
        content_type: file.content_type.to_owned(),
        size_bytes: file.bytes.len() as i64,
        sha256: file.sha256,
        storage_key,
    })
}

/// The rows of one round of tickets, ready for the writer.
enum Round {
    /// For multi-row inserts.
    Rows(rows::Rows),
    /// For COPY, table by table in the order of their references.
    Copy(Vec<copy::CopyTable>),
}

/// Writes the tickets and what hangs off them, round by round: the rows
/// of the next rounds are made on a blocking thread while the writer
/// waits for the database.
async fn write_tickets(
    writer: &mut Writer<'_>,
    plan: &Arc<plan::Plan>,
    certificate: rows::Certificate,
) -> AppResult<()> {
    let for_copy = matches!(writer, Writer::Copy { .. });
    let per_round = if for_copy {
        TICKETS_PER_COPY_ROUND
    } else {
        TICKETS_PER_ROUND
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<AppResult<Round>>(ROUNDS_AHEAD);
    let plan = Arc::clone(plan);
    let maker = tokio::task::spawn_blocking(move || {
        let mut ids = rows::NextIds::default();
        for first in (0..plan.tickets.len()).step_by(per_round) {
            let mut batch = rows::Rows::default();
            for index in first..(first + per_round).min(plan.tickets.len()) {
                rows::ticket_rows(&plan, index, &certificate, &mut ids, &mut batch);
            }
            let round = if for_copy {
                encode_round(&batch).map(Round::Copy)
            } else {
                Ok(Round::Rows(batch))
            };
            // A closed channel: the writer failed and said why.
            if sender.blocking_send(round).is_err() {
                return;
            }
        }
    });
    while let Some(round) = receiver.recv().await {
        match round? {
            Round::Rows(batch) => {
                writer.insert(batch.tickets).await?;
                writer.insert(batch.orders).await?;
                writer.insert(batch.attachments).await?;
                writer.insert(batch.events).await?;
                writer.insert(batch.comments).await?;
                writer.insert(batch.invoice_lines).await?;
            }
            Round::Copy(tables) => {
                for table in tables {
                    writer.copy(table).await?;
                }
            }
        }
    }
    maker
        .await
        .map_err(|e| AppError::internal(anyhow::Error::new(e).context("making the rows")))
}

/// A round's tables for COPY, each after the tables it references.
fn encode_round(batch: &rows::Rows) -> AppResult<Vec<copy::CopyTable>> {
    Ok(vec![
        copy::encode(&batch.tickets)?,
        copy::encode(&batch.orders)?,
        copy::encode(&batch.attachments)?,
        copy::encode(&batch.events)?,
        copy::encode(&batch.comments)?,
        copy::encode(&batch.invoice_lines)?,
    ])
}

/// The one transaction every row goes into, and how rows get there.
enum Writer<'a> {
    /// Multi-row inserts within the bound-parameter limit (SQLite).
    Insert {
        txn: DatabaseTransaction,
        max_params: usize,
        progress: &'a Progress,
    },
    /// `COPY … FROM STDIN` on a connection of the pool (PostgreSQL).
    Copy {
        txn: sqlx::Transaction<'static, sqlx::Postgres>,
        progress: &'a Progress,
    },
}

/// A failure of the COPY connection, as an internal error.
fn copy_error(e: sqlx::Error) -> AppError {
    AppError::internal(anyhow::Error::new(e).context("writing the data set"))
}

impl Writer<'_> {
    /// Inserts `rows` (every column set), counted.
    async fn insert<A>(&mut self, rows: Vec<A>) -> AppResult<()>
    where
        A: ActiveModelTrait + Send,
    {
        match self {
            Self::Insert {
                txn,
                max_params,
                progress,
            } => {
                let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
                let per_statement = (*max_params / columns).max(1);
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
                    let n = chunk.len() as u64;
                    A::Entity::insert_many(chunk)
                        .exec_without_returning(&*txn)
                        .await?;
                    progress.add(n);
                }
                Ok(())
            }
            Self::Copy { .. } => self.copy(copy::encode(&rows)?).await,
        }
    }

    /// Writes an encoded table, counted (PostgreSQL only).
    async fn copy(&mut self, table: copy::CopyTable) -> AppResult<()> {
        let Self::Copy { txn, progress } = self else {
            return Err(AppError::internal(anyhow::anyhow!(
                "COPY on a database other than PostgreSQL"
            )));
        };
        if table.rows == 0 {
            return Ok(());
        }
        let mut copy = txn
            .copy_in_raw(&table.statement)
            .await
            .map_err(copy_error)?;
        if let Err(e) = copy.send(table.data).await {
            // Ends the COPY, so that the error is the server's and the
            // connection is usable (it is rolled back with the rest).
            let _ = copy.abort("generator failed").await;
            return Err(copy_error(e));
        }
        copy.finish().await.map_err(copy_error)?;
        progress.add(table.rows);
        Ok(())
    }

    /// Runs one statement of our own (no input in it).
    async fn execute(&mut self, sql: &str) -> AppResult<()> {
        match self {
            Self::Insert { txn, .. } => {
                let backend = txn.get_database_backend();
                txn.execute_raw(Statement::from_string(backend, sql))
                    .await?;
            }
            Self::Copy { txn, .. } => {
                // Statements of our own: table names and numbers, no input.
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut **txn)
                    .await
                    .map_err(copy_error)?;
            }
        }
        Ok(())
    }

    /// On PostgreSQL, drops the foreign keys and the secondary indexes of
    /// the tables the generator fills (not the primary keys, nor the
    /// indexes of unique constraints) and returns the statements that make
    /// them again, read from the catalogue (`pg_get_indexdef`,
    /// `pg_get_constraintdef`), so that they come back exactly as the
    /// migrations made them: indexes first, then the keys, which are
    /// checked over the whole tables at once. Inside the transaction: a
    /// failed load leaves them as they were. Building an index over the
    /// loaded rows and checking a key with one join is several times faster
    /// than maintaining them row by row; on SQLite, nothing to do.
    async fn defer_checks(&mut self) -> AppResult<Vec<String>> {
        let Self::Copy { txn, .. } = self else {
            return Ok(Vec::new());
        };
        let tables: Vec<String> = FILLED.iter().map(|t| format!("'{t}'")).collect();
        let tables = format!("ARRAY[{}]::regclass[]", tables.join(", "));
        let keys: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname), \
                    format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, \
                           pg_get_constraintdef(c.oid)) \
             FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY({tables}) \
             ORDER BY c.conrelid::regclass::text, c.conname"
        )))
        .fetch_all(&mut **txn)
        .await
        .map_err(copy_error)?;
        let indexes: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) \
             FROM pg_index i WHERE i.indrelid = ANY({tables}) AND NOT i.indisprimary \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                             WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) \
             ORDER BY i.indexrelid::regclass::text"
        )))
        .fetch_all(&mut **txn)
        .await
        .map_err(copy_error)?;
        // Room for the sorts of the index builds, for this transaction only.
        let mut restore = vec!["SET LOCAL maintenance_work_mem = '256MB'".to_owned()];
        for (drop, _) in keys.iter().chain(&indexes) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(drop.as_str()))
                .execute(&mut **txn)
                .await
                .map_err(copy_error)?;
        }
        restore.extend(indexes.into_iter().map(|(_, make)| make));
        restore.extend(keys.into_iter().map(|(_, make)| make));
        Ok(restore)
    }

    /// Empties every table the application writes (not the migrations'
    /// own), resets the counters and, on PostgreSQL, the id sequences.
    async fn wipe(&mut self) -> AppResult<()> {
        match self {
            Self::Copy { .. } => {
                self.execute(&format!(
                    "TRUNCATE {} RESTART IDENTITY CASCADE",
                    TABLES.join(", ")
                ))
                .await
            }
            Self::Insert { .. } => {
                for table in TABLES {
                    self.execute(&format!("DELETE FROM {table}")).await?;
                }
                let names: Vec<String> = TABLES.iter().map(|t| format!("'{t}'")).collect();
                self.execute(&format!(
                    "DELETE FROM sqlite_sequence WHERE name IN ({})",
                    names.join(", ")
                ))
                .await
            }
        }
    }

    async fn commit(self) -> AppResult<()> {
        match self {
            Self::Insert { txn, .. } => Ok(txn.commit().await?),
            Self::Copy { txn, .. } => txn.commit().await.map_err(copy_error),
        }
    }
}

/// The invoices, numbered and totalled by the plan.
fn invoice_rows(plan: &plan::Plan) -> Vec<invoices::ActiveModel> {
    plan.invoices
        .iter()
        .enumerate()
        .map(|(i, invoice)| {
            let org = &plan.organisations[invoice.org as usize];
            invoices::ActiveModel {
                id: Set(i as i64 + 1),
                organisation_id: Set(org.id),
                number: Set(invoice.number.clone()),
                billing_mode: Set(invoice.mode),
                period_start: Set(invoice.period_start),
                period_end: Set(invoice.period_end),
                status: Set(if invoice.paid.is_some() {
                    InvoiceStatus::Paid
                } else {
                    InvoiceStatus::Issued
                }),
                currency: Set(crate::invoices::billing::CURRENCY.to_owned()),
                subtotal_cents: Set(invoice.subtotal.get()),
                vat_rate_bp: Set(org.vat_rate_bp),
                vat_cents: Set(invoice.vat.get()),
                total_cents: Set(invoice.total.get()),
                billing_email: Set(org.billing_email.clone()),
                billing_address: Set(org.billing_address.clone()),
                issued_at: Set(invoice.issued),
                paid_at: Set(invoice.paid.map(|(at, _)| at)),
                voided_at: Set(None),
                void_reason: Set(None),
                created_at: Set(invoice.issued),
            }
        })
        .collect()
}

/// The counters where the data ends, and PostgreSQL's id sequences after
/// the highest id, so that the application's next rows follow on.
async fn set_counters(writer: &mut Writer<'_>, plan: &plan::Plan) -> AppResult<()> {
    writer
        .execute(&format!(
            "UPDATE counters SET value = {} WHERE name = 'gem'",
            plan.tickets.len()
        ))
        .await?;
    writer
        .execute("DELETE FROM counters WHERE name <> 'gem'")
        .await?;
    let invoice_counters: Vec<counters::ActiveModel> = plan
        .invoice_counters
        .iter()
        .map(|(&year, &value)| counters::ActiveModel {
            name: Set(crate::invoices::billing::counter_name(year)),
            value: Set(value),
        })
        .collect();
    writer.insert(invoice_counters).await?;
    if matches!(writer, Writer::Copy { .. }) {
        for table in TABLES {
            writer
                .execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                ))
                .await?;
        }
    }
    Ok(())
}

/// One login of each role: the first administrator and staff member, and
/// a manager and a member of the largest and the smallest partner (by
/// tickets) of each visibility.
fn logins(plan: &plan::Plan) -> Vec<GeneratedLogin> {
    let login = |user: &users::Model, size: Option<&'static str>| {
        let index = (user.organisation_id - 1) as usize;
        let org: &organisations::Model = &plan.organisations[index];
        GeneratedLogin {
            role: user.role,
            email: user.email.clone(),
            organisation: org.name.clone(),
            visibility: size.map(|_| org.ticket_visibility),
            size,
            tickets: plan.org_tickets[index],
        }
    };
    let mut logins = Vec::new();
    for role in [Role::Admin, Role::Staff] {
        if let Some(user) = plan.users.iter().find(|u| u.role == role) {
            logins.push(login(user, None));
        }
    }
    for visibility in [
        TicketVisibility::Organisation,
        TicketVisibility::CreatorOnly,
    ] {
        let partners: Vec<usize> = (1..plan.organisations.len())
            .filter(|&i| plan.organisations[i].ticket_visibility == visibility)
            .collect();
        let largest = partners
            .iter()
            .copied()
            .max_by_key(|&i| (plan.org_tickets[i], std::cmp::Reverse(i)));
        let smallest = partners
            .iter()
            .copied()
            .min_by_key(|&i| (plan.org_tickets[i], i));
        for (org, size) in [(largest, "largest"), (smallest, "smallest")] {
            let Some(org) = org else {
                continue;
            };
            for role in [Role::PartnerManager, Role::PartnerMember] {
                if let Some(user) = plan.org_users[org]
                    .clone()
                    .map(|u| &plan.users[u])
                    .find(|u| u.role == role)
                {
                    logins.push(login(user, Some(size)));
                }
            }
        }
    }
    logins
}
