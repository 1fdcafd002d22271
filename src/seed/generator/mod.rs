//! Data sets for measuring: `partnerdesk seed --scale small|medium|large`.
//!
//! [`plan`] decides the whole data set from the sizes of a [`Scale`], a
//! seed and the day the history ends (the day of the run, midnight UTC),
//! and [`rows`] turns each planned ticket into the rows the services would
//! have written. This module writes them: one transaction, multi-row
//! inserts of as many rows as the backend's bound-parameter limit allows
//! (SQLite 32,766, PostgreSQL 65,535), with explicit ids, then the `gem`
//! and `invoice-<year>` counters and PostgreSQL's id sequences, so that the
//! application carries on where the data ends (the next order is
//! `GEM-<tickets + 1>`).
//!
//! Invariants:
//! - the same scale, seed and day give the same rows on either backend,
//!   but for the password hash (one random password per run, hashed once
//!   and shared by every generated user: argon2 per user would take hours);
//! - it writes only into a database without organisations, unless told to
//!   wipe it, and then in the same transaction: a database is generated
//!   fully or not at all;
//! - no email is queued: the history is in the past.

mod plan;
mod progress;
mod rows;

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Utc};
use entity::enums::{InvoiceStatus, Role, TicketVisibility};
use entity::{counters, invoices, organisations, users};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait as _, ConnectionTrait as _, DatabaseTransaction, DbBackend,
    EntityTrait, IntoActiveModel as _, Iterable as _, QueryFilter as _, Statement,
    TransactionTrait as _,
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

/// Tickets whose rows are made and written together.
const TICKETS_PER_ROUND: usize = 2_000;

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
    let plan = plan::plan(&options.scale.sizes(), options.seed, end);
    let counts = plan.counts();

    let password = super::random_password();
    let hash = state.hasher.hash(&password).await?;
    let certificate = store_certificate(state).await?;

    progress.start(counts.total() as u64);
    let txn = state.db.begin().await?;
    let writer = Writer {
        txn: &txn,
        max_params: match txn.get_database_backend() {
            DbBackend::Postgres => 65_535,
            _ => 32_766,
        },
        progress,
    };
    if options.wipe {
        wipe(&txn).await?;
    }
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
    let mut ids = rows::NextIds::default();
    for first in (0..plan.tickets.len()).step_by(TICKETS_PER_ROUND) {
        let mut batch = rows::Rows::default();
        for index in first..(first + TICKETS_PER_ROUND).min(plan.tickets.len()) {
            rows::ticket_rows(&plan, index, &certificate, &mut ids, &mut batch);
        }
        writer.insert(batch.tickets).await?;
        writer.insert(batch.orders).await?;
        writer.insert(batch.attachments).await?;
        writer.insert(batch.events).await?;
        writer.insert(batch.comments).await?;
        writer.insert(batch.invoice_lines).await?;
    }
    set_counters(&txn, &plan).await?;
    txn.commit().await?;
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

/// Multi-row inserts within the bound-parameter limit, counted.
struct Writer<'a> {
    txn: &'a DatabaseTransaction,
    max_params: usize,
    progress: &'a Progress,
}

impl Writer<'_> {
    /// Inserts `rows` (every column set) in as few statements as the
    /// limit allows.
    async fn insert<A>(&self, rows: Vec<A>) -> AppResult<()>
    where
        A: ActiveModelTrait + Send,
    {
        let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
        let per_statement = (self.max_params / columns).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
            let n = chunk.len() as u64;
            A::Entity::insert_many(chunk)
                .exec_without_returning(self.txn)
                .await?;
            self.progress.add(n);
        }
        Ok(())
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

/// Empties every table the application writes (not the migrations' own),
/// resets the counters and, on PostgreSQL, the id sequences.
async fn wipe(txn: &DatabaseTransaction) -> AppResult<()> {
    let backend = txn.get_database_backend();
    match backend {
        DbBackend::Postgres => {
            txn.execute_raw(Statement::from_string(
                backend,
                format!("TRUNCATE {} RESTART IDENTITY CASCADE", TABLES.join(", ")),
            ))
            .await?;
        }
        _ => {
            for table in TABLES {
                txn.execute_raw(Statement::from_string(
                    backend,
                    format!("DELETE FROM {table}"),
                ))
                .await?;
            }
            let names: Vec<String> = TABLES.iter().map(|t| format!("'{t}'")).collect();
            txn.execute_raw(Statement::from_string(
                backend,
                format!(
                    "DELETE FROM sqlite_sequence WHERE name IN ({})",
                    names.join(", ")
                ),
            ))
            .await?;
        }
    }
    Ok(())
}

/// The counters where the data ends, and PostgreSQL's id sequences after
/// the highest id, so that the application's next rows follow on.
async fn set_counters(txn: &DatabaseTransaction, plan: &plan::Plan) -> AppResult<()> {
    let backend = txn.get_database_backend();
    counters::Entity::update_many()
        .col_expr(
            counters::Column::Value,
            sea_orm::sea_query::Expr::value(plan.tickets.len() as i64),
        )
        .filter(counters::Column::Name.eq("gem"))
        .exec(txn)
        .await?;
    counters::Entity::delete_many()
        .filter(counters::Column::Name.ne("gem"))
        .exec(txn)
        .await?;
    let invoice_counters: Vec<counters::ActiveModel> = plan
        .invoice_counters
        .iter()
        .map(|(&year, &value)| counters::ActiveModel {
            name: Set(crate::invoices::billing::counter_name(year)),
            value: Set(value),
        })
        .collect();
    if !invoice_counters.is_empty() {
        counters::Entity::insert_many(invoice_counters)
            .exec_without_returning(txn)
            .await?;
    }
    if backend == DbBackend::Postgres {
        for table in TABLES {
            txn.execute_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                ),
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
