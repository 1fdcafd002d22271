//! The migrations against a database of each test's own (a throwaway
//! SQLite file; a throwaway PostgreSQL database when `TEST_DATABASE_URL`
//! names a server): they go up, down and up again, and the schema they
//! build enforces what the application relies on (auto-increment ids,
//! foreign keys, CHECKs in step with the entity enums, one live invoice
//! line per order, the `gem` counter).

use entity::enums::{
    BillingMode, CommentVisibility, EmailKind, EmailStatus, InvoiceStatus, Locale, NoteTemplate,
    OrganisationKind, ResetPurpose, Role, SubjectTemplate, TicketEventKind, TicketKind,
    TicketStatus, TicketVisibility,
};
use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{
    ActiveEnum, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Iterable, SqlErr,
    Statement,
};
use tempfile::TempDir;

const TABLES: [&str; 15] = [
    "organisations",
    "users",
    "password_reset_tokens",
    "counters",
    "tickets",
    "ticket_events",
    "orders",
    "comments",
    "attachments",
    "invoices",
    "invoice_lines",
    "feedback",
    "email_outbox",
    "login_attempts",
    "attachment_blobs",
];

/// A database of one test; a PostgreSQL one is dropped with it (a SQLite
/// file goes with its temporary directory).
struct TestDb {
    db: DatabaseConnection,
    /// The server's URL and the database's name.
    postgres: Option<(String, String)>,
    _dir: TempDir,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Not on the test's runtime, which must not block on itself.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                let result = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map(drop)
                    .map_err(|e| format!("{name}: {e}"));
                admin.close().await.ok();
                result
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop a test database: {e}"),
            Err(_) => eprintln!("could not drop a test database: the dropping thread panicked"),
        }
    }
}

/// An empty database of the test's own.
async fn empty() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("pd_migration_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            exec(&admin, &format!("CREATE DATABASE {name}"))
                .await
                .expect("create the test database");
            admin.close().await.ok();
            let (base, _) = admin_url
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL has a database name");
            let db = Database::connect(format!("{base}/{name}"))
                .await
                .expect("connect to the test database");
            TestDb {
                db,
                postgres: Some((admin_url, name)),
                _dir: dir,
            }
        }
        _ => {
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("db.sqlite").display()
            );
            let db = Database::connect(&url).await.expect("connect to SQLite");
            TestDb {
                db,
                postgres: None,
                _dir: dir,
            }
        }
    }
}

async fn migrated() -> TestDb {
    let test = empty().await;
    Migrator::up(&test.db, None).await.expect("migrations up");
    test
}

fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await.map(drop)
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

/// A CHECK failure; PostgreSQL reports a too long `varchar` before its CHECK.
fn is_check_violation(err: &DbErr) -> bool {
    let message = err.to_string().to_lowercase();
    message.contains("check constraint") || message.contains("value too long")
}

async fn app_tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = if is_postgres(db) {
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
           AND table_name <> 'seaql_migrations' ORDER BY table_name"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name"
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("list tables");
    rows.iter()
        .map(|r| r.try_get_by::<String, _>(0).expect("name"))
        .collect()
}

async fn one_string(db: &DatabaseConnection, sql: &str, value: &str) -> Option<String> {
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [value.into()],
    ))
    .await
    .expect("read the schema")
    .map(|row| row.try_get_by::<String, _>(0).expect("text"))
}

/// SQLite's `CREATE TABLE` statement of `table`.
async fn table_sql(db: &DatabaseConnection, table: &str) -> String {
    one_string(
        db,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
        table,
    )
    .await
    .unwrap_or_else(|| panic!("table {table} exists"))
}

/// The values listed by the CHECK named `ck_<table>_<column>`.
async fn allowed_values(db: &DatabaseConnection, table: &str, column: &str) -> Vec<String> {
    let name = format!("ck_{table}_{column}");
    let check = if is_postgres(db) {
        one_string(
            db,
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1",
            &name,
        )
        .await
        .unwrap_or_else(|| panic!("{table}.{column} has a named CHECK"))
    } else {
        let sql = table_sql(db, table).await;
        let head = format!("CONSTRAINT \"{name}\" CHECK (");
        let start = sql
            .find(&head)
            .unwrap_or_else(|| panic!("{table}.{column} has a named CHECK"))
            + head.len();
        let end = start + sql[start..].find(')').expect("end of CHECK");
        sql[start..end].to_owned()
    };
    let mut values: Vec<String> = check
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    values.sort();
    values
}

fn values_of<E: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
    let mut values: Vec<String> = E::iter().map(|v| v.to_value()).collect();
    values.sort();
    values
}

/// An organisation (1), a user (1), a LAPTOP_ORDER ticket (1) with its order
/// (1), and an issued invoice (1).
async fn seed_shipped_order(db: &DatabaseConnection) {
    for sql in [
        "INSERT INTO organisations (name, kind, created_at, updated_at) \
         VALUES ('Partner', 'PARTNER', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        "INSERT INTO users (organisation_id, email, display_name, role, created_at, updated_at) \
         VALUES (1, 'a@example.ch', 'A', 'PARTNER_MEMBER', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        "INSERT INTO tickets (organisation_id, reference, created_by_id, kind, subject, created_at, updated_at, status_changed_at) \
         VALUES (1, 'GEM-1', 1, 'LAPTOP_ORDER', 'Laptop', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        "INSERT INTO orders (organisation_id, ticket_id, recipient_name, street, postal_code, city, phone, created_at, updated_at) \
         VALUES (1, 1, 'R', 'Rue 1', '1000', 'Lausanne', '+41211234567', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        "INSERT INTO invoices (organisation_id, number, billing_mode, period_start, period_end, subtotal_cents, vat_rate_bp, vat_cents, total_cents, issued_at, created_at) \
         VALUES (1, '2026-000001', 'PER_ORDER', '2026-01-02', '2026-01-02', 10000, 0, 0, 10000, '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z')",
        "INSERT INTO invoices (organisation_id, number, billing_mode, period_start, period_end, subtotal_cents, vat_rate_bp, vat_cents, total_cents, issued_at, created_at) \
         VALUES (1, '2026-000002', 'PER_ORDER', '2026-01-03', '2026-01-03', 10000, 0, 0, 10000, '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z')",
    ] {
        exec(db, sql).await.expect(sql);
    }
}

fn invoice_line(invoice_id: i64) -> String {
    format!(
        "INSERT INTO invoice_lines (organisation_id, invoice_id, order_id, ticket_id, reference, \
         entered_at, shipped_at, device_model, delivery_address, for_learning, amount_cents, created_at) \
         VALUES (1, {invoice_id}, 1, 1, 'GEM-1', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', \
         'T480', 'R, Rue 1, 1000 Lausanne', FALSE, 10000, '2026-01-02T00:00:00Z')"
    )
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test = migrated().await;
    let db = test.db.clone();
    let mut expected: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    expected.sort();
    assert_eq!(app_tables(&db).await, expected);

    Migrator::down(&db, None).await.expect("migrations down");
    assert!(app_tables(&db).await.is_empty());

    Migrator::up(&db, None).await.expect("migrations up again");
    assert_eq!(app_tables(&db).await, expected);
}

#[tokio::test]
async fn ids_are_auto_increment_primary_keys() {
    let test = migrated().await;
    let db = &test.db;
    // The counters are keyed by name, the blobs by the hash of their bytes.
    for table in TABLES
        .iter()
        .filter(|t| !["counters", "attachment_blobs"].contains(*t))
    {
        if is_postgres(db) {
            let id = one_string(
                db,
                "SELECT data_type || ' ' || is_identity || ' ' || identity_generation \
                 FROM information_schema.columns WHERE table_name = $1 AND column_name = 'id'",
                table,
            )
            .await;
            assert_eq!(id.as_deref(), Some("bigint YES BY DEFAULT"), "{table}");
            let key = one_string(
                db,
                "SELECT string_agg(k.column_name::text, ',') \
                 FROM information_schema.table_constraints c \
                 JOIN information_schema.key_column_usage k \
                   ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name \
                 WHERE c.table_name = $1 AND c.constraint_type = 'PRIMARY KEY'",
                table,
            )
            .await;
            assert_eq!(key.as_deref(), Some("id"), "{table}");
        } else {
            let sql = table_sql(db, table).await;
            assert!(
                sql.contains(r#""id" integer NOT NULL PRIMARY KEY AUTOINCREMENT"#),
                "{table}: {sql}"
            );
        }
    }
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    let test = migrated().await;
    let db = test.db.clone();
    seed_shipped_order(&db).await;
    let err = exec(
        &db,
        "INSERT INTO users (organisation_id, email, display_name, role, created_at, updated_at) \
         VALUES (42, 'b@example.ch', 'B', 'STAFF', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .await
    .expect_err("user of a missing organisation");
    assert!(is_foreign_key_violation(&err), "{err}");

    let err = exec(&db, "DELETE FROM organisations WHERE id = 1")
        .await
        .expect_err("organisation with users");
    assert!(is_foreign_key_violation(&err), "{err}");
    exec(&db, "DELETE FROM invoices")
        .await
        .expect("no lines yet");
    exec(&db, "DELETE FROM tickets WHERE id = 1")
        .await
        .expect("the order goes with its ticket");
    let orders = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM orders",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get_by::<i64, _>(0)
        .expect("count");
    assert_eq!(orders, 0);
}

#[tokio::test]
async fn enum_checks_list_exactly_the_entity_values() {
    let test = migrated().await;
    let db = test.db.clone();
    let cases = [
        ("organisations", "kind", values_of::<OrganisationKind>()),
        (
            "organisations",
            "ticket_visibility",
            values_of::<TicketVisibility>(),
        ),
        ("organisations", "billing_mode", values_of::<BillingMode>()),
        ("organisations", "locale", values_of::<Locale>()),
        ("users", "role", values_of::<Role>()),
        ("users", "locale", values_of::<Locale>()),
        (
            "password_reset_tokens",
            "purpose",
            values_of::<ResetPurpose>(),
        ),
        ("tickets", "kind", values_of::<TicketKind>()),
        ("tickets", "status", values_of::<TicketStatus>()),
        ("ticket_events", "kind", values_of::<TicketEventKind>()),
        ("ticket_events", "from_status", values_of::<TicketStatus>()),
        ("ticket_events", "to_status", values_of::<TicketStatus>()),
        ("comments", "visibility", values_of::<CommentVisibility>()),
        ("invoices", "billing_mode", values_of::<BillingMode>()),
        ("invoices", "status", values_of::<InvoiceStatus>()),
        ("email_outbox", "kind", values_of::<EmailKind>()),
        ("email_outbox", "locale", values_of::<Locale>()),
        ("email_outbox", "status", values_of::<EmailStatus>()),
        (
            "tickets",
            "subject_template",
            values_of::<SubjectTemplate>(),
        ),
        (
            "ticket_events",
            "note_template",
            values_of::<NoteTemplate>(),
        ),
    ];
    for (table, column, values) in cases {
        assert_eq!(
            allowed_values(&db, table, column).await,
            values,
            "{table}.{column}"
        );
    }
}

#[tokio::test]
async fn checks_reject_bad_rows() {
    let test = migrated().await;
    let db = test.db.clone();
    seed_shipped_order(&db).await;
    for sql in [
        // not lower-cased
        "INSERT INTO users (organisation_id, email, display_name, role, created_at, updated_at) \
         VALUES (1, 'B@example.ch', 'B', 'STAFF', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        // unknown role
        "INSERT INTO users (organisation_id, email, display_name, role, created_at, updated_at) \
         VALUES (1, 'b@example.ch', 'B', 'ROOT', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        // longer than varchar(2), which SQLite alone would accept
        "UPDATE orders SET country = 'CHE'",
        "UPDATE organisations SET price_standard_cents = -1",
        "UPDATE organisations SET vat_rate_bp = 10001",
        "UPDATE invoices SET period_end = '2025-12-31' WHERE id = 1",
    ] {
        let err = exec(&db, sql).await.expect_err(sql);
        assert!(is_check_violation(&err), "{sql}: {err}");
    }
    let err = exec(
        &db,
        "INSERT INTO users (organisation_id, email, display_name, role, created_at, updated_at) \
         VALUES (1, 'a@example.ch', 'A bis', 'STAFF', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .await
    .expect_err("same email twice");
    assert!(is_unique_violation(&err), "{err}");
}

#[tokio::test]
async fn an_order_is_on_one_live_invoice_line_at_most() {
    let test = migrated().await;
    let db = test.db.clone();
    seed_shipped_order(&db).await;
    exec(&db, &invoice_line(1)).await.expect("first line");
    let err = exec(&db, &invoice_line(2))
        .await
        .expect_err("second live line of the same order");
    assert!(is_unique_violation(&err), "{err}");

    exec(
        &db,
        "UPDATE invoice_lines SET is_live = FALSE WHERE invoice_id = 1",
    )
    .await
    .expect("void the first invoice's lines");
    exec(&db, &invoice_line(2))
        .await
        .expect("the order is free again");
}

#[tokio::test]
async fn gem_counter_starts_at_one() {
    let test = migrated().await;
    let db = test.db.clone();
    for expected in [1_i64, 2] {
        let value = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "UPDATE counters SET value = value + 1 WHERE name = 'gem' RETURNING value",
            ))
            .await
            .expect("take a number")
            .expect("the gem row exists")
            .try_get_by::<i64, _>(0)
            .expect("value");
        assert_eq!(value, expected);
    }
}

#[tokio::test]
async fn entities_round_trip_through_the_schema() {
    use chrono::{NaiveDate, TimeZone, Utc};
    use entity::{invoice_lines, invoices, orders, organisations, tickets, users};
    use sea_orm_migration::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};

    let test = migrated().await;
    let db = test.db.clone();
    let at = Utc
        .with_ymd_and_hms(2026, 11, 26, 19, 15, 0)
        .single()
        .expect("valid time")
        + chrono::Duration::microseconds(123_456);
    let day = NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid date");

    let organisation = organisations::Model {
        id: 1,
        name: "Partner".into(),
        kind: OrganisationKind::Partner,
        ticket_visibility: TicketVisibility::Organisation,
        billing_mode: BillingMode::Quarterly,
        billing_email: Some("billing@example.ch".into()),
        billing_address: Some("Rue 1\n1000 Lausanne".into()),
        price_standard_cents: 15_000,
        price_learning_cents: 20_000,
        vat_rate_bp: 810,
        locale: Locale::It,
        created_at: at,
        updated_at: at,
        archived_at: None,
    };
    let user = users::Model {
        id: 1,
        organisation_id: 1,
        email: "a@example.ch".into(),
        display_name: "A".into(),
        password_hash: None,
        role: Role::PartnerManager,
        locale: Locale::De,
        is_active: true,
        token_version: 0,
        staff_notifications: true,
        last_login_at: Some(at),
        created_at: at,
        updated_at: at,
    };
    let ticket = tickets::Model {
        id: 1,
        organisation_id: 1,
        reference: "GEM-1".into(),
        created_by_id: 1,
        kind: TicketKind::LaptopOrder,
        status: TicketStatus::ReadyForBilling,
        subject: "Laptop for R".into(),
        subject_template: Some(SubjectTemplate::LaptopOrder),
        subject_param: Some("R".into()),
        description: None,
        internal_reference: Some("case-7".into()),
        related_ticket_id: None,
        version: 3,
        created_at: at,
        updated_at: at,
        status_changed_at: at,
    };
    let order = orders::Model {
        id: 1,
        organisation_id: 1,
        ticket_id: 1,
        recipient_name: "R".into(),
        street: "Rue 1".into(),
        postal_code: "1000".into(),
        city: "Lausanne".into(),
        country: "CH".into(),
        phone: "+41211234567".into(),
        for_learning: true,
        comment: None,
        device_model: Some("T480".into()),
        serial_number: None,
        shipped_at: Some(at),
        tracking_number: None,
        shipped_by_id: Some(1),
        created_at: at,
        updated_at: at,
    };
    let invoice = invoices::Model {
        id: 1,
        organisation_id: 1,
        number: "2026-000001".into(),
        billing_mode: BillingMode::Quarterly,
        period_start: NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date"),
        period_end: day,
        status: InvoiceStatus::Issued,
        currency: "CHF".into(),
        subtotal_cents: 20_000,
        vat_rate_bp: 810,
        vat_cents: 1_620,
        total_cents: 21_620,
        billing_email: None,
        billing_address: None,
        issued_at: at,
        paid_at: None,
        voided_at: None,
        void_reason: None,
        created_at: at,
    };
    let line = invoice_lines::Model {
        id: 1,
        organisation_id: 1,
        invoice_id: 1,
        order_id: 1,
        ticket_id: 1,
        reference: "GEM-1".into(),
        internal_reference: Some("case-7".into()),
        entered_at: at,
        shipped_at: at,
        device_model: "T480".into(),
        delivery_address: "R, Rue 1, 1000 Lausanne".into(),
        for_learning: true,
        amount_cents: 20_000,
        is_live: true,
        created_at: at,
    };

    organisation
        .clone()
        .into_active_model()
        .insert(&db)
        .await
        .expect("organisation");
    user.clone()
        .into_active_model()
        .insert(&db)
        .await
        .expect("user");
    ticket
        .clone()
        .into_active_model()
        .insert(&db)
        .await
        .expect("ticket");
    order
        .clone()
        .into_active_model()
        .insert(&db)
        .await
        .expect("order");
    invoice
        .clone()
        .into_active_model()
        .insert(&db)
        .await
        .expect("invoice");
    line.clone()
        .into_active_model()
        .insert(&db)
        .await
        .expect("line");

    assert_eq!(
        organisations::Entity::find_by_id(1)
            .one(&db)
            .await
            .expect("read"),
        Some(organisation)
    );
    assert_eq!(
        users::Entity::find_by_id(1).one(&db).await.expect("read"),
        Some(user)
    );
    assert_eq!(
        tickets::Entity::find_by_id(1).one(&db).await.expect("read"),
        Some(ticket)
    );
    assert_eq!(
        orders::Entity::find_by_id(1).one(&db).await.expect("read"),
        Some(order)
    );
    assert_eq!(
        invoices::Entity::find_by_id(1)
            .one(&db)
            .await
            .expect("read"),
        Some(invoice)
    );
    assert_eq!(
        invoice_lines::Entity::find_by_id(1)
            .one(&db)
            .await
            .expect("read"),
        Some(line)
    );
}

/// `tickets.status_changed_at` is filled from each ticket's history when
/// the column arrives: the latest event that moved the ticket to another
/// status, or its creation.
#[tokio::test]
async fn status_changed_at_is_backfilled_from_the_history() {
    let test = empty().await;
    let db = &test.db;
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261203_124000_add_tickets_status_changed_at")
        .expect("the migration is listed");
    Migrator::up(db, Some(u32::try_from(before).expect("a count")))
        .await
        .expect("migrations before it");
    for sql in [
        "INSERT INTO organisations (name, kind, created_at, updated_at) \
         VALUES ('Partner', 'PARTNER', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        "INSERT INTO users (organisation_id, email, display_name, role, created_at, updated_at) \
         VALUES (1, 'a@example.ch', 'A', 'PARTNER_MEMBER', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        // Moved twice, then commented on and invoiced (no status change).
        "INSERT INTO tickets (organisation_id, reference, created_by_id, kind, status, subject, created_at, updated_at) \
         VALUES (1, 'GEM-1', 1, 'LAPTOP_ORDER', 'READY_TO_SHIP', 'Laptop', '2026-01-01T00:00:00Z', '2026-01-09T00:00:00Z')",
        // No history at all.
        "INSERT INTO tickets (organisation_id, reference, created_by_id, kind, subject, created_at, updated_at) \
         VALUES (1, 'GEM-2', 1, 'OTHER', 'Question', '2026-01-02T00:00:00Z', '2026-01-05T00:00:00Z')",
        "INSERT INTO ticket_events (organisation_id, ticket_id, kind, from_status, to_status, created_at) \
         VALUES (1, 1, 'CREATED', NULL, 'REVIEW', '2026-01-01T00:00:00Z'), \
                (1, 1, 'STATUS_CHANGED', 'REVIEW', 'QUEUED', '2026-01-03T00:00:00Z'), \
                (1, 1, 'STATUS_CHANGED', 'QUEUED', 'READY_TO_SHIP', '2026-01-04T00:00:00Z'), \
                (1, 1, 'COMMENTED', NULL, NULL, '2026-01-08T00:00:00Z'), \
                (1, 1, 'INVOICED', 'READY_TO_SHIP', 'READY_TO_SHIP', '2026-01-09T00:00:00Z')",
    ] {
        exec(db, sql).await.expect(sql);
    }
    Migrator::up(db, None)
        .await
        .expect("the rest of the migrations");

    use entity::tickets;
    use sea_orm_migration::sea_orm::EntityTrait as _;
    let day = |d: u32| {
        use chrono::TimeZone as _;
        chrono::Utc
            .with_ymd_and_hms(2026, 1, d, 0, 0, 0)
            .single()
            .expect("a date")
    };
    let changed = |id: i64| async move {
        tickets::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("read")
            .expect("the ticket")
            .status_changed_at
    };
    assert_eq!(changed(1).await, day(4), "the latest status change");
    assert_eq!(changed(2).await, day(2), "no history: the creation");

    // Every ticket has one from now on: a row without it is refused.
    let refused = exec(
        db,
        "INSERT INTO tickets (organisation_id, reference, created_by_id, kind, subject, created_at, updated_at, status_changed_at) \
         VALUES (1, 'GEM-3', 1, 'OTHER', 'Q', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', NULL)",
    )
    .await;
    assert!(refused.is_err(), "a NULL status_changed_at was accepted");
}

/// The texts the server wrote before templates existed get their template
/// and parameter back when the columns arrive, in whichever language they
/// were worded; a text a person typed stays as it is.
#[tokio::test]
async fn server_texts_get_their_templates_back() {
    let test = empty().await;
    let db = &test.db;
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261203_160000_add_server_text_templates")
        .expect("the migration is listed");
    Migrator::up(db, Some(u32::try_from(before).expect("a count")))
        .await
        .expect("migrations before it");
    let t = "'2026-01-01T00:00:00Z'";
    for sql in [
        "INSERT INTO organisations (name, kind, created_at, updated_at) \
         VALUES ('Partner', 'PARTNER', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
            .to_owned(),
        "INSERT INTO users (organisation_id, email, display_name, role, created_at, updated_at) \
         VALUES (1, 'a@example.ch', 'A', 'PARTNER_MEMBER', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
            .to_owned(),
        format!(
            "INSERT INTO tickets (organisation_id, reference, created_by_id, kind, subject, related_ticket_id, created_at, updated_at, status_changed_at) \
             VALUES (1, 'GEM-1', 1, 'LAPTOP_ORDER', 'Laptop für Zoé Müller', NULL, {t}, {t}, {t}), \
                    (1, 'GEM-2', 1, 'LAPTOP_ORDER', 'Un portable, vite', NULL, {t}, {t}, {t}), \
                    (1, 'GEM-3', 1, 'DELIVERY_ISSUE', 'Problème de livraison sur GEM-1', 1, {t}, {t}, {t})"
        ),
        format!(
            "INSERT INTO orders (organisation_id, ticket_id, recipient_name, street, postal_code, city, phone, created_at, updated_at) \
             VALUES (1, 1, 'Zoé Müller', 'Rue 1', '1000', 'Lausanne', '+41211234567', {t}, {t}), \
                    (1, 2, 'Zoé Müller', 'Rue 1', '1000', 'Lausanne', '+41211234567', {t}, {t})"
        ),
        format!(
            "INSERT INTO ticket_events (organisation_id, ticket_id, kind, from_status, to_status, note, created_at) \
             VALUES (1, 1, 'SHIPPED', 'READY_TO_SHIP', 'READY_FOR_BILLING', 'Numéro de suivi 99.00.1', {t}), \
                    (1, 1, 'INVOICED', NULL, NULL, 'Invoice 2026-000001', {t}), \
                    (1, 1, 'STATUS_CHANGED', 'READY_FOR_BILLING', 'BILLED', 'Invoice 2026-000001 paid', {t}), \
                    (1, 1, 'STATUS_CHANGED', 'REVIEW', 'QUEUED', 'Invoice me later', {t})"
        ),
    ] {
        exec(db, &sql).await.expect(&sql);
    }
    Migrator::up(db, None)
        .await
        .expect("the rest of the migrations");

    use entity::{ticket_events, tickets};
    use sea_orm_migration::sea_orm::{EntityTrait as _, QueryOrder as _};
    let subjects: Vec<_> = tickets::Entity::find()
        .order_by_asc(tickets::Column::Id)
        .all(db)
        .await
        .expect("read")
        .into_iter()
        .map(|t| (t.subject_template, t.subject_param))
        .collect();
    assert_eq!(
        subjects,
        vec![
            (
                Some(SubjectTemplate::LaptopOrder),
                Some("Zoé Müller".to_owned())
            ),
            (None, None),
            (
                Some(SubjectTemplate::DeliveryIssue),
                Some("GEM-1".to_owned())
            ),
        ]
    );
    let notes: Vec<_> = ticket_events::Entity::find()
        .order_by_asc(ticket_events::Column::Id)
        .all(db)
        .await
        .expect("read")
        .into_iter()
        .map(|e| (e.note_template, e.note_param))
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                Some(NoteTemplate::TrackingNumber),
                Some("99.00.1".to_owned())
            ),
            (
                Some(NoteTemplate::InvoiceIssued),
                Some("2026-000001".to_owned())
            ),
            (
                Some(NoteTemplate::InvoicePaid),
                Some("2026-000001".to_owned())
            ),
            (None, None),
        ]
    );
}

/// The columns of index `name`, in order, as the database lists them.
async fn index_columns(db: &DatabaseConnection, name: &str) -> Vec<String> {
    let sql = if is_postgres(db) {
        "SELECT a.attname FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON TRUE \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
         WHERE c.relname = $1 ORDER BY k.n"
    } else {
        "SELECT name FROM pragma_index_info(?) ORDER BY seqno"
    };
    db.query_all_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [name.into()],
    ))
    .await
    .expect("index columns")
    .iter()
    .map(|r| r.try_get_by::<String, _>(0).expect("column"))
    .collect()
}

/// The reports over one organisation read these indexes alone (an
/// index-only scan on PostgreSQL): every column a report reads of a
/// shipped order or an invoice is in them, after the organisation.
#[tokio::test]
async fn the_reports_have_their_covering_indexes() {
    let test = migrated().await;
    assert_eq!(
        index_columns(&test.db, "ix_orders_organisation_id_shipped_at_reports").await,
        [
            "organisation_id",
            "shipped_at",
            "created_at",
            "device_model",
            "for_learning"
        ]
    );
    assert_eq!(
        index_columns(&test.db, "ix_invoices_organisation_id_issued_at_reports").await,
        ["organisation_id", "issued_at", "status", "total_cents"]
    );
}
