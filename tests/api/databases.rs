//! A database of its own for every test: a temporary SQLite file, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server, a new database on it that
//! is dropped when the test ends.
//!
//! On PostgreSQL a migrated database is a copy of a template,
//! `pd_template_<hash of migration/src>`, which holds every migration
//! already: copying it is faster than migrating. The first test process
//! that needs a template builds it, under an advisory lock so that test
//! processes running at once (both test binaries, several checkouts) build
//! it once, and under a temporary name renamed when complete, so that a
//! crash never leaves a half-migrated template behind. A change to any
//! migration changes the hash, hence the template.

use std::path::Path;
use std::time::Duration;

use migration::{Migrator, MigratorTrait as _};
use sea_orm::{ConnectOptions, ConnectionTrait as _, Database, DatabaseConnection};
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;

/// The advisory lock key under which templates are built.
const TEMPLATE_LOCK: i64 = 0x7064_5f74_6d70_6c74; // "pd_tmplt"

/// A database for one test. Dropping it drops a PostgreSQL database
/// (`WITH (FORCE)`: the app's pool may still hold connections); a SQLite
/// file goes with the test's temporary directory.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<Postgres>,
}

/// The server of `TEST_DATABASE_URL` and a database on it.
struct Postgres {
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// A database without any table (for the tests of migrating itself).
    pub async fn empty(dir: &Path) -> Self {
        match admin_url() {
            Some(admin_url) => Self::create(admin_url, "").await,
            None => Self::sqlite(dir),
        }
    }

    /// A database with every migration applied.
    pub async fn migrated(dir: &Path) -> Self {
        match admin_url() {
            Some(admin_url) => {
                let template = TEMPLATE
                    .get_or_init(|| build_template(admin_url.clone()))
                    .await;
                Self::create(admin_url, &format!("TEMPLATE {template}")).await
            }
            None => {
                let database = Self::sqlite(dir);
                let db = Database::connect(&database.url)
                    .await
                    .expect("open the SQLite file");
                Migrator::up(&db, None).await.expect("migrate");
                db.close().await.ok();
                database
            }
        }
    }

    /// A database made, and removed, by the test itself (the replica
    /// test's own cluster): dropping this drops nothing.
    pub fn external(url: String) -> Self {
        Self {
            url,
            postgres: None,
        }
    }

    fn sqlite(dir: &Path) -> Self {
        Self {
            url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
            postgres: None,
        }
    }

    async fn create(admin_url: String, options: &str) -> Self {
        let name = format!("pd_test_{}", uuid::Uuid::new_v4().simple());
        let admin = connect_one(&admin_url).await;
        // The template is briefly busy while its builder disconnects.
        retry_while_busy(&admin, &format!("CREATE DATABASE {name} {options}")).await;
        admin.close().await.ok();
        Self {
            url: database_url(&admin_url, &name),
            postgres: Some(Postgres { admin_url, name }),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(Postgres { admin_url, name }) = self.postgres.take() else {
            return;
        };
        // Drop may run inside the test's runtime, which must not block on
        // itself: a runtime of its own, on a thread of its own, does the
        // work.
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

/// The template's name, once per test process.
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

fn admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// `admin_url` with its database name replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .expect("TEST_DATABASE_URL has a database name");
    format!("{base}/{name}")
}

/// One connection, so that a session lock is taken and released on it.
async fn connect_one(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .expect("connect to TEST_DATABASE_URL")
}

/// Runs `sql`, retrying while a database it names still has a session
/// (a pool closes its connections asynchronously).
async fn retry_while_busy(db: &DatabaseConnection, sql: &str) {
    for attempt in 0.. {
        match db.execute_unprepared(sql).await {
            Ok(_) => return,
            Err(e) if attempt < 50 && e.to_string().contains("accessed by other users") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
}

/// A short hash of every file of `migration/src`: the template's identity.
fn migrations_hash() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migration/src");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migration/src")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.file_name().unwrap_or_default().as_encoded_bytes());
        hasher.update(std::fs::read(&file).expect("a migration file"));
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Builds `pd_template_<hash>` unless it exists; returns its name.
async fn build_template(admin_url: String) -> String {
    let name = format!("pd_template_{}", migrations_hash());
    let admin = connect_one(&admin_url).await;
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .await
        .expect("lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await
        .expect("look for the template")
        .is_some();
    if !exists {
        let building = format!("{name}_building");
        for sql in [
            format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
            format!("CREATE DATABASE {building}"),
        ] {
            admin.execute_unprepared(&sql).await.expect(&sql);
        }
        let db = Database::connect(database_url(&admin_url, &building))
            .await
            .expect("connect to the template");
        Migrator::up(&db, None).await.expect("migrate the template");
        db.close().await.ok();
        retry_while_busy(
            &admin,
            &format!("ALTER DATABASE {building} RENAME TO {name}"),
        )
        .await;
    }
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .await
        .expect("unlock");
    admin.close().await.ok();
    name
}
