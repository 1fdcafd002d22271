//! `spawn_app()` and fixtures.

use std::sync::Arc;

use crate::databases::TestDatabase;
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use entity::enums::{
    BillingMode, Locale, OrganisationKind, Role, TicketKind, TicketStatus, TicketVisibility,
};
use entity::{orders, organisations, tickets, users};
use partnerdesk::attachments::database_store::DatabaseStore;
use partnerdesk::attachments::storage::{LocalDisk, Storage};
use partnerdesk::clock::ManualClock;
use partnerdesk::config::{AttachmentStore, Config, JwtConfig};
use partnerdesk::startup::Application;
use partnerdesk::state::AppState;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait as _, ConnectionTrait};
use serde_json::{Value, json};

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub address: String,
    /// Where `/metrics` is served, when `METRICS_BIND` is set.
    pub metrics_address: Option<String>,
    /// Fixtures made so far, for unique references.
    fixtures: std::sync::atomic::AtomicU64,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: ManualClock,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _data_dir: tempfile::TempDir,
    /// Last: the server is told to stop before its database goes.
    _database: TestDatabase,
}

pub const TEST_JWT_SECRET: &str = "test-secret-of-at-least-thirty-two-bytes!!";
pub const PASSWORD: &str = "correct horse battery staple";

pub fn test_config(database_url: String, data_dir: &std::path::Path) -> Config {
    let attachment_store = AttachmentStore::default_for(&database_url);
    Config {
        database_url: database_url.into(),
        reports_database_url: None,
        database_max_connections: 5,
        database_acquire_timeout: std::time::Duration::from_secs(5),
        log_sql: false,
        data_dir: data_dir.to_owned(),
        attachment_store,
        bind: "127.0.0.1:0".parse().expect("address"),
        public_url: "https://desk.example".to_owned(),
        trusted_proxies: Vec::new(),
        jwt: JwtConfig {
            secret: TEST_JWT_SECRET.to_owned().into(),
            issuer: "partnerdesk".to_owned(),
            audience: "partnerdesk-api".to_owned(),
            ttl: std::time::Duration::from_secs(8 * 3600),
        },
        introspection: true,
        graphql_max_aliases: partnerdesk::query_limits::DEFAULT_MAX_ALIASES,
        graphql_max_root_fields: partnerdesk::query_limits::DEFAULT_MAX_ROOT_FIELDS,
        seed_demo_data: false,
        production: false,
        graphql_get: true,
        cors_allowed_origins: Vec::new(),
        metrics_bind: None,
        shutdown_grace: std::time::Duration::from_secs(5),
        mail: partnerdesk::config::MailConfig::to_log(),
        staff_notify_email: None,
    }
}

/// Starts the app on a random port against a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(None).await
}

/// [`spawn_app`], keeping attachments in `storage` instead of the data
/// directory.
pub async fn spawn_app_with_storage(storage: Arc<dyn Storage>) -> TestApp {
    spawn_app_with(Some(storage)).await
}

/// [`spawn_app`] with settings changed by `configure`.
pub async fn spawn_app_configured(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_full(None, configure).await
}

async fn spawn_app_with(storage: Option<Arc<dyn Storage>>) -> TestApp {
    spawn_app_full(storage, |_| {}).await
}

async fn spawn_app_full(
    storage: Option<Arc<dyn Storage>>,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let database = TestDatabase::migrated(data_dir.path()).await;
    spawn_app_in(data_dir, database, storage, configure).await
}

/// Starts the app on `database` (already there, migrated or not), with
/// `reports` read from `reports_database_url` when given.
pub async fn spawn_app_on(database: TestDatabase, reports_database_url: Option<String>) -> TestApp {
    spawn_app_on_configured(database, |config| {
        config.reports_database_url = reports_database_url.map(Into::into);
    })
    .await
}

/// Starts the app on `database` with settings changed by `configure`.
pub async fn spawn_app_on_configured(
    database: TestDatabase,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("tempdir");
    spawn_app_in(data_dir, database, None, configure).await
}

/// A second instance of the server on `app`'s database, with a data
/// directory of its own and the same attachment store, as a second machine
/// behind a load balancer: it shares nothing with `app` but the database,
/// which stays `app`'s to drop.
pub async fn spawn_another_instance(app: &TestApp) -> TestApp {
    use secrecy::ExposeSecret as _;
    let url = app.state.config.database_url.expose_secret().to_owned();
    let store = app.state.config.attachment_store;
    spawn_app_on_configured(TestDatabase::external(url), |config| {
        config.attachment_store = store;
    })
    .await
}

async fn spawn_app_in(
    data_dir: tempfile::TempDir,
    database: TestDatabase,
    storage: Option<Arc<dyn Storage>>,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = test_config(database.url.clone(), data_dir.path());
    configure(&mut config);
    let clock = ManualClock::new(test_start());
    let app = match storage {
        Some(storage) => {
            Application::build_with_storage(config, Arc::new(clock.clone()), storage).await
        }
        None => Application::build(config, Arc::new(clock.clone())).await,
    }
    .expect("build app");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    let metrics_address = app
        .metrics_addr()
        .map(|addr| format!("http://{}", addr.expect("metrics addr")));
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        address,
        metrics_address,
        fixtures: std::sync::atomic::AtomicU64::new(0),
        client: reqwest::Client::new(),
        state,
        clock,
        _shutdown: tx,
        _data_dir: data_dir,
        _database: database,
    }
}

/// A user created by a fixture, with its organisation.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user: users::Model,
    pub email: String,
}

impl TestApp {
    /// POSTs a GraphQL operation, with a bearer token if given.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.graphql_response(query, variables, token)
            .await
            .json()
            .await
            .expect("JSON body")
    }

    pub async fn graphql_response(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Logs in and returns the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let body = self
            .graphql(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({ "e": email, "p": password }),
                None,
            )
            .await;
        body["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {body}"))
            .to_owned()
    }

    pub async fn create_organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
        visibility: TicketVisibility,
    ) -> organisations::Model {
        let now = self.now();
        organisations::ActiveModel {
            name: Set(name.to_owned()),
            kind: Set(kind),
            ticket_visibility: Set(visibility),
            billing_mode: Set(BillingMode::PerOrder),
            billing_email: Set(Some(format!(
                "billing@{}.example",
                name.to_lowercase().replace(' ', "-")
            ))),
            billing_address: Set(Some("Somewhere 1, 3000 Bern".to_owned())),
            price_standard_cents: Set(25_000),
            price_learning_cents: Set(35_000),
            vat_rate_bp: Set(810),
            locale: Set(Locale::Fr),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .expect("insert organisation")
    }

    /// Creates an active user with [`PASSWORD`].
    pub async fn create_user(
        &self,
        organisation: &organisations::Model,
        role: Role,
        name: &str,
    ) -> TestUser {
        let now = self.now();
        let email = format!(
            "{}@{}.example",
            name.to_lowercase().replace(' ', "."),
            organisation.id
        );
        let hash = self.state.hasher.hash(PASSWORD).await.expect("hash");
        let user = users::ActiveModel {
            organisation_id: Set(organisation.id),
            email: Set(email.clone()),
            display_name: Set(name.to_owned()),
            password_hash: Set(Some(hash)),
            role: Set(role),
            locale: Set(Locale::Fr),
            is_active: Set(true),
            token_version: Set(0),
            last_login_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .expect("insert user");
        TestUser { user, email }
    }

    /// The token of the link in the latest email to `to` (a password
    /// reset or an invitation), checking that the link has the documented
    /// form `<public URL>/reset-password?token=…`.
    pub async fn emailed_token(&self, to: &str) -> String {
        let link = emailed_link(&self.state.db, &self.state.body_key, to).await;
        let token = link
            .strip_prefix("https://desk.example/reset-password?token=")
            .unwrap_or_else(|| panic!("the documented link: {link}"));
        token.to_owned()
    }

    /// The app's time: its [`ManualClock`], which tests move by hand.
    pub fn now(&self) -> DateTime<Utc> {
        use partnerdesk::clock::Clock as _;
        self.clock.now()
    }

    /// Inserts a LAPTOP_ORDER of `creator`'s organisation, created by
    /// `creator` now, directly in `status`, with its order (shipped when
    /// the status says so) and a reference of its own.
    pub async fn ticket_in(&self, creator: &TestUser, status: TicketStatus) -> tickets::Model {
        let n = self
            .fixtures
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        TicketFixture::laptop(
            &creator.user,
            &format!("GEM-{}", 9001 + n),
            status,
            self.now(),
        )
        .insert(&self.state.db)
        .await
        .expect("insert a ticket")
        .0
    }
}

/// The text an outbox email is sent with: its sealed body opened (an email
/// that carries a token), or its `body_text`.
pub fn sent_text(app: &TestApp, email: &entity::email_outbox::Model) -> String {
    match &email.body_sealed {
        Some(sealed) => app
            .state
            .body_key
            .open(sealed)
            .expect("a sealed body opens"),
        None => email.body_text.clone(),
    }
}

/// The `extensions.code` of the first error of a GraphQL response.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// A small world of tenants: the provider (an ADMIN and a STAFF), partner
/// Alpha (CREATOR_ONLY: a manager and a member) and partner Beta
/// (ORGANISATION: a member).
pub struct World {
    pub app: TestApp,
    pub provider: organisations::Model,
    pub alpha: organisations::Model,
    pub beta: organisations::Model,
    pub admin: TestUser,
    pub staff: TestUser,
    pub manager: TestUser,
    pub member: TestUser,
    pub beta_member: TestUser,
}

pub async fn world() -> World {
    world_on(spawn_app().await).await
}

/// The [`World`] on an app started by the caller.
pub async fn world_on(app: TestApp) -> World {
    let provider = app
        .create_organisation(
            "Provider",
            OrganisationKind::Provider,
            TicketVisibility::Organisation,
        )
        .await;
    let alpha = app
        .create_organisation(
            "Alpha",
            OrganisationKind::Partner,
            TicketVisibility::CreatorOnly,
        )
        .await;
    let beta = app
        .create_organisation(
            "Beta",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let admin = app.create_user(&provider, Role::Admin, "Ada Admin").await;
    let staff = app.create_user(&provider, Role::Staff, "Sam Staff").await;
    let manager = app
        .create_user(&alpha, Role::PartnerManager, "Mia Manager")
        .await;
    let member = app
        .create_user(&alpha, Role::PartnerMember, "Max Member")
        .await;
    let beta_member = app
        .create_user(&beta, Role::PartnerMember, "Bea Beta")
        .await;
    World {
        app,
        provider,
        alpha,
        beta,
        admin,
        staff,
        manager,
        member,
        beta_member,
    }
}

impl World {
    /// Logs `user` in.
    pub async fn token(&self, user: &TestUser) -> String {
        self.app.login(&user.email, PASSWORD).await
    }
}

/// A file sent with [`TestApp::graphql_multipart`]: the variable path it
/// fills (e.g. `variables.input.certificate`), its name and its bytes.
pub struct TestFile {
    pub variable: &'static str,
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// A well-formed PDF of `len` bytes (padded with spaces after `%%EOF`), or
/// of its natural size when `len` is smaller.
pub fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
      2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n\
      trailer <</Root 1 0 R>>\n%%EOF\n"
        .to_vec();
    bytes.resize(len.max(bytes.len()), b' ');
    bytes
}

/// The instant every test app starts at (its clock moves only when a test
/// moves it).
pub fn test_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
        .single()
        .expect("a valid instant")
}

/// A ticket written directly, as it would be stored, to start a test from a
/// state: no GEM number is taken and no event or email is written (the
/// services do that; these rows only stand in for their outcome).
#[derive(Debug, Clone)]
pub struct TicketFixture {
    pub organisation_id: i64,
    pub created_by_id: i64,
    pub reference: String,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub subject: String,
    pub description: Option<String>,
    pub internal_reference: Option<String>,
    pub related_ticket_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A LAPTOP_ORDER's order.
    pub order: Option<OrderFixture>,
}

/// The order of a [`TicketFixture`].
#[derive(Debug, Clone)]
pub struct OrderFixture {
    pub recipient_name: String,
    pub for_learning: bool,
    /// Device model, serial number and when it shipped.
    pub shipped: Option<(String, String, DateTime<Utc>)>,
}

impl TicketFixture {
    /// A LAPTOP_ORDER of `creator`'s organisation in `status`, created at
    /// `at`, for Amina Haddad; shipped a day later when `status` is past
    /// shipping.
    pub fn laptop(
        creator: &users::Model,
        reference: &str,
        status: TicketStatus,
        at: DateTime<Utc>,
    ) -> Self {
        let shipped = matches!(status, TicketStatus::ReadyForBilling | TicketStatus::Billed);
        Self {
            organisation_id: creator.organisation_id,
            created_by_id: creator.id,
            reference: reference.to_owned(),
            kind: TicketKind::LaptopOrder,
            status,
            subject: "Laptop for Amina Haddad".to_owned(),
            description: None,
            internal_reference: None,
            related_ticket_id: None,
            created_at: at,
            updated_at: at,
            order: Some(OrderFixture {
                recipient_name: "Amina Haddad".to_owned(),
                for_learning: false,
                shipped: shipped.then(|| {
                    (
                        "Lenovo ThinkPad T480".to_owned(),
                        format!("SN-{reference}"),
                        at + Duration::days(1),
                    )
                }),
            }),
        }
    }

    /// Writes the ticket and its order on `db`.
    pub async fn insert(
        self,
        db: &impl ConnectionTrait,
    ) -> Result<(tickets::Model, Option<orders::Model>), sea_orm::DbErr> {
        let ticket = tickets::ActiveModel {
            organisation_id: Set(self.organisation_id),
            reference: Set(self.reference),
            created_by_id: Set(self.created_by_id),
            kind: Set(self.kind),
            status: Set(self.status),
            subject: Set(self.subject),
            description: Set(self.description),
            internal_reference: Set(self.internal_reference),
            related_ticket_id: Set(self.related_ticket_id),
            version: Set(0),
            created_at: Set(self.created_at),
            updated_at: Set(self.updated_at),
            status_changed_at: Set(self.updated_at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let Some(order) = self.order else {
            return Ok((ticket, None));
        };
        let (device_model, serial_number, shipped_at) = match order.shipped {
            Some((model, serial, at)) => (Some(model), Some(serial), Some(at)),
            None => (None, None, None),
        };
        let order = orders::ActiveModel {
            organisation_id: Set(ticket.organisation_id),
            ticket_id: Set(ticket.id),
            recipient_name: Set(order.recipient_name),
            street: Set("Lorrainestrasse 12".to_owned()),
            postal_code: Set("3013".to_owned()),
            city: Set("Bern".to_owned()),
            country: Set("CH".to_owned()),
            phone: Set("+41791234567".to_owned()),
            for_learning: Set(order.for_learning),
            comment: Set(None),
            device_model: Set(device_model),
            serial_number: Set(serial_number),
            shipped_at: Set(shipped_at),
            tracking_number: Set(None),
            shipped_by_id: Set(None),
            created_at: Set(self.created_at),
            updated_at: Set(self.created_at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok((ticket, Some(order)))
    }
}

impl TestApp {
    /// POSTs an operation with files, following the GraphQL multipart
    /// request spec.
    pub async fn graphql_multipart(
        &self,
        query: &str,
        variables: Value,
        files: Vec<TestFile>,
        token: Option<&str>,
    ) -> Value {
        let mut map = serde_json::Map::new();
        for (i, file) in files.iter().enumerate() {
            map.insert(i.to_string(), json!([file.variable]));
        }
        let mut form = reqwest::multipart::Form::new()
            .text(
                "operations",
                json!({ "query": query, "variables": variables }).to_string(),
            )
            .text("map", Value::Object(map).to_string());
        for (i, file) in files.into_iter().enumerate() {
            form = form.part(
                i.to_string(),
                reqwest::multipart::Part::bytes(file.bytes).file_name(file.name),
            );
        }
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("HTTP {status}: {text}"))
    }
}

/// Attachment storage that fails writes while told to, to fail a request
/// at the point where it stores a file: at once, after some writes, or
/// midway through a write. It keeps blobs in memory, or passes them on to
/// a real store ([`FlakyStorage::over`]), so that what a failure leaves
/// behind is what that store would keep.
#[derive(Debug, Default)]
pub struct FlakyStorage {
    blobs: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
    inner: std::sync::OnceLock<Arc<dyn Storage>>,
    fault: std::sync::Mutex<WriteFault>,
    refused: std::sync::atomic::AtomicUsize,
}

/// How [`FlakyStorage`] fails its writes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    /// Every write succeeds.
    #[default]
    None,
    /// Every write fails, storing nothing.
    Refuse,
    /// The next `n` writes succeed, then every write fails.
    RefuseAfter(usize),
    /// Every write keeps the first half of the bytes under the key, then
    /// fails: a store that is cut off midway and is not atomic.
    CutMidway,
}

impl FlakyStorage {
    /// From now on, pass blobs on to `inner` instead of keeping them in
    /// memory (once, before the first write).
    pub fn over(&self, inner: Arc<dyn Storage>) {
        assert!(self.inner.set(inner).is_ok(), "one inner store");
    }

    /// From now on, refuse (`true`) or accept (`false`) writes.
    pub fn refuse_writes(&self, refuse: bool) {
        self.fail_writes(if refuse {
            WriteFault::Refuse
        } else {
            WriteFault::None
        });
    }

    /// From now on, fail writes as `fault` says.
    pub fn fail_writes(&self, fault: WriteFault) {
        if let Ok(mut current) = self.fault.lock() {
            *current = fault;
        }
    }

    /// How many writes failed so far.
    pub fn refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many blobs are kept in memory.
    pub fn len(&self) -> usize {
        self.blobs.lock().map(|b| b.len()).unwrap_or_default()
    }

    /// Whether this write fails, and how.
    fn fault_of_this_write(&self) -> std::io::Result<WriteFault> {
        let mut fault = self
            .fault
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        Ok(match *fault {
            WriteFault::RefuseAfter(0) => WriteFault::Refuse,
            WriteFault::RefuseAfter(n) => {
                *fault = WriteFault::RefuseAfter(n - 1);
                WriteFault::None
            }
            other => other,
        })
    }

    /// Stores `bytes` under the key of `sha256`, whatever they are.
    async fn keep(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<String> {
        if let Some(inner) = self.inner.get() {
            return inner.put(sha256, bytes).await;
        }
        let mut blobs = self
            .blobs
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        blobs.insert(sha256.to_owned(), bytes.to_vec());
        Ok(sha256.to_owned())
    }
}

#[async_trait::async_trait]
impl Storage for FlakyStorage {
    fn key_for(&self, sha256: &str) -> String {
        match self.inner.get() {
            Some(inner) => inner.key_for(sha256),
            None => sha256.to_owned(),
        }
    }

    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<String> {
        match self.fault_of_this_write()? {
            WriteFault::None => return self.keep(sha256, bytes).await,
            WriteFault::CutMidway => {
                self.keep(sha256, &bytes[..bytes.len() / 2]).await?;
            }
            WriteFault::Refuse | WriteFault::RefuseAfter(_) => {}
        }
        self.refused
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(std::io::Error::other("the test store fails this write"))
    }

    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        if let Some(inner) = self.inner.get() {
            return inner.get(key).await;
        }
        let blobs = self
            .blobs
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        blobs
            .get(key)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    async fn delete(&self, key: &str) -> std::io::Result<()> {
        if let Some(inner) = self.inner.get() {
            return inner.delete(key).await;
        }
        let mut blobs = self
            .blobs
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        blobs.remove(key);
        Ok(())
    }
}

/// [`spawn_app`] whose attachments go through a [`FlakyStorage`] in front
/// of the real `store` (in the app's data directory, or in its database).
pub async fn spawn_app_with_flaky_store(store: AttachmentStore) -> (TestApp, Arc<FlakyStorage>) {
    let flaky = Arc::new(FlakyStorage::default());
    let app = spawn_app_full(Some(flaky.clone()), |config| {
        config.attachment_store = store
    })
    .await;
    let inner: Arc<dyn Storage> = match store {
        AttachmentStore::Disk => Arc::new(LocalDisk {
            root: app.state.config.data_dir.join("attachments"),
        }),
        AttachmentStore::Database => Arc::new(DatabaseStore::new(
            app.state.db.clone(),
            Arc::new(app.clock.clone()),
        )),
    };
    flaky.over(inner);
    (app, flaky)
}

/// The reset link (`…/reset-password?token=…`) of the latest email to `to`
/// in the outbox of `db`
/// (its sealed body opened with `key`: reset and invitation links are
/// never stored in clear).
pub async fn emailed_link(
    db: &sea_orm::DatabaseConnection,
    key: &partnerdesk::mail::seal::BodyKey,
    to: &str,
) -> String {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
    let email = entity::email_outbox::Entity::find()
        .filter(entity::email_outbox::Column::ToAddress.eq(to))
        .order_by_desc(entity::email_outbox::Column::Id)
        .one(db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("an email to {to}"));
    let text = match &email.body_sealed {
        Some(sealed) => key.open(sealed).expect("a sealed body opens"),
        None => email.body_text.clone(),
    };
    text.split_whitespace()
        .find(|word| word.contains("/reset-password?token="))
        .unwrap_or_else(|| panic!("a reset link: {text}"))
        .to_owned()
}
