//! Migrations apply on an empty database and roll back, on the database
//! under test (SQLite, or PostgreSQL with `TEST_DATABASE_URL`).

use migration::{Migrator, MigratorTrait as _};
use sea_orm::{ConnectionTrait as _, Database};

use crate::helpers::fresh_database_url;

const TABLES: [&str; 14] = [
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
];

async fn table_exists(db: &sea_orm::DatabaseConnection, table: &str) -> bool {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            format!("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
        }
        _ => format!("SELECT 1 FROM information_schema.tables WHERE table_name = '{table}'"),
    };
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .expect("query")
    .is_some()
}

#[tokio::test]
async fn migrations_apply_roll_back_and_apply_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::connect(fresh_database_url(dir.path()).await)
        .await
        .expect("connect");
    Migrator::up(&db, None).await.expect("up");
    for table in TABLES {
        assert!(table_exists(&db, table).await, "{table} exists after up");
    }
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("pending")
            .is_empty()
    );

    Migrator::down(&db, None).await.expect("down");
    for table in TABLES {
        assert!(
            !table_exists(&db, table).await,
            "{table} is gone after down"
        );
    }

    Migrator::up(&db, None).await.expect("up again");
    for table in TABLES {
        assert!(
            table_exists(&db, table).await,
            "{table} exists after up again"
        );
    }
}
