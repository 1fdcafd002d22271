//! Typed configuration: every setting comes from a flag or an environment
//! variable (`--help` lists them), with defaults that need no setup at all.
//!
//! [`Settings`] is what clap parses; [`Config`] is the checked result the
//! app runs on. A bad setting stops the program with one line naming it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{ArgAction, Args, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::Email;

/// The shortest accepted HS256 secret, in bytes (RFC 7518 §3.2).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// A setting that can't be used, reported as `SETTING: why` on one line.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, message: impl Into<String>) -> Self {
        Self {
            setting,
            message: message.into(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Where attachment bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AttachmentStore {
    /// A table of the database: every instance serving the database sees
    /// every file (the default on PostgreSQL).
    Database,
    /// Files under `DATA_DIR/attachments/`: seen by this instance only
    /// (the default on SQLite).
    Disk,
}

impl AttachmentStore {
    /// The store used when none is chosen: the database on PostgreSQL,
    /// where several instances may share it, the disk next to an embedded
    /// SQLite file.
    pub fn default_for(database_url: &str) -> Self {
        if database_url.trim_start().starts_with("postgres") {
            Self::Database
        } else {
            Self::Disk
        }
    }
}

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database URL: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    /// Default: the embedded SQLite file `DATA_DIR/partnerdesk.db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        hide_env_values = true,
        value_parser = secret
    )]
    pub database_url: Option<SecretString>,

    /// Database URL for `reports` (optional): a read replica of the
    /// database (e.g. a PostgreSQL streaming replica), so that reporting
    /// does not load the primary. Every other read and every write uses
    /// DATABASE_URL. Default: reports read DATABASE_URL too.
    #[arg(
        long,
        env = "REPORTS_DATABASE_URL",
        global = true,
        hide_env_values = true,
        value_parser = secret
    )]
    pub reports_database_url: Option<SecretString>,

    /// Maximum number of pooled database connections.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub database_max_connections: u32,

    /// Seconds a request waits for a database connection (fractions
    /// allowed) before it fails with SERVICE_UNAVAILABLE (HTTP 503): while
    /// the database is down, requests fail within this time instead of
    /// hanging.
    #[arg(
        long,
        env = "DATABASE_ACQUIRE_TIMEOUT",
        default_value = "5",
        value_parser = seconds,
        global = true
    )]
    pub database_acquire_timeout: Duration,

    /// Directory for the embedded database, the generated development secret
    /// and uploaded files.
    #[arg(
        long,
        env = "PARTNERDESK_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Where attachment bytes are kept: `database` (shared by every
    /// instance on the database) or `disk` (DATA_DIR/attachments, this
    /// instance only). Default: `database` on PostgreSQL, `disk` on SQLite.
    #[arg(long, env = "ATTACHMENT_STORE", value_enum, global = true)]
    pub attachment_store: Option<AttachmentStore>,

    /// Address and port the server listens on.
    #[arg(
        long,
        env = "PARTNERDESK_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,

    /// Addresses of reverse proxies (load balancers) in front of the server,
    /// comma-separated. Only from these is `X-Forwarded-For` believed, to
    /// find the client's address for login throttling.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Public base URL of the service desk, used in links sent by email.
    #[arg(
        long,
        env = "PARTNERDESK_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub public_url: String,

    /// HS256 secret for access tokens, at least 32 bytes. When unset, a
    /// development secret is generated and kept under the data directory.
    #[arg(
        long,
        env = "JWT_SECRET",
        hide_env_values = true,
        global = true,
        value_parser = secret
    )]
    pub jwt_secret: Option<SecretString>,

    /// `iss` claim of issued tokens, checked on every request.
    #[arg(long, env = "JWT_ISSUER", default_value = "partnerdesk", global = true)]
    pub jwt_issuer: String,

    /// `aud` claim of issued tokens, checked on every request.
    #[arg(
        long,
        env = "JWT_AUDIENCE",
        default_value = "partnerdesk-api",
        global = true
    )]
    pub jwt_audience: String,

    /// Lifetime of an access token, in minutes.
    #[arg(long, env = "TOKEN_TTL_MINUTES", default_value_t = 480, global = true)]
    pub token_ttl_minutes: u32,

    /// Log format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Whether every SQL statement is logged, with its bound values written
    /// into it and its time, at INFO under the target `partnerdesk::sql`
    /// (for measuring and debugging, e.g. the load driver's SQL time).
    /// Default: false; refused in production, since the values include
    /// whatever the statements write.
    #[arg(long, env = "LOG_SQL", action = ArgAction::Set, global = true)]
    pub log_sql: Option<bool>,

    /// Whether GraphQL introspection and field suggestions are served.
    /// Default: true, false in production (where true is refused).
    #[arg(long, env = "GRAPHQL_INTROSPECTION", action = ArgAction::Set, global = true)]
    pub introspection: Option<bool>,

    /// Most aliased fields one GraphQL operation may hold (fragments
    /// inlined); more is refused before anything runs.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = crate::query_limits::DEFAULT_MAX_ALIASES, global = true)]
    pub graphql_max_aliases: usize,

    /// Most root fields one GraphQL operation may select (fragments
    /// inlined); more is refused before anything runs.
    #[arg(long, env = "GRAPHQL_MAX_ROOT_FIELDS", default_value_t = crate::query_limits::DEFAULT_MAX_ROOT_FIELDS, global = true)]
    pub graphql_max_root_fields: usize,

    /// Whether `GET /graphql` serves queries (mutations need POST anyway).
    /// Default: true, false in production.
    #[arg(long, env = "GRAPHQL_GET", action = ArgAction::Set, global = true)]
    pub graphql_get: Option<bool>,

    /// Whether `serve` seeds demo data into an empty database on start.
    /// Default: true, false in production (where true is refused).
    #[arg(long, env = "SEED_DEMO_DATA", action = ArgAction::Set, global = true)]
    pub seed_demo_data: Option<bool>,

    /// The environment the server runs in; `production` is the same as
    /// `--production`.
    #[arg(
        long,
        env = "PARTNERDESK_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub environment: Environment,

    /// Production mode: no introspection, field suggestions or IDE at `/`,
    /// no queries over GET unless GRAPHQL_GET=true, and no start without
    /// an explicit JWT_SECRET or with the demo seed on.
    #[arg(long, global = true)]
    pub production: bool,

    /// Web origins (`https://portal.example`) whose pages may call the API
    /// from a browser (CORS), comma-separated. Default: none, so only
    /// pages served by this server itself may.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Address on which `GET /metrics` (Prometheus) is served instead of
    /// the public address, e.g. `127.0.0.1:9090`. When unset, the public
    /// address serves `/metrics`, except in production, where metrics are
    /// then not served at all.
    #[arg(long, env = "METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,

    /// Seconds that requests in flight, closing subscriptions and
    /// background work get to finish after SIGTERM or Ctrl-C, before they
    /// are cut off.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value_t = 20, global = true)]
    pub shutdown_grace: u64,
    /// Mail server the outbox is delivered to:
    /// `smtp://USER:PASSWORD@HOST:PORT` (STARTTLS required; add `?tls=none`
    /// for a plain connection to a trusted relay on the same host), or
    /// `smtps://USER:PASSWORD@HOST:PORT` (TLS from the start). When unset,
    /// emails are written to the log (links removed) instead.
    #[arg(
        long,
        env = "SMTP_URL",
        global = true,
        hide_env_values = true,
        value_parser = secret
    )]
    pub smtp_url: Option<SecretString>,

    /// Sender of the emails, e.g. `Service Desk <desk@example.ch>`; required
    /// with SMTP_URL.
    #[arg(long, env = "MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// Delivery attempts of one email before it is given up (DEAD).
    #[arg(long, env = "MAIL_MAX_ATTEMPTS", default_value_t = 8, global = true)]
    pub mail_max_attempts: u32,

    /// Wait before the second attempt, in seconds; it doubles with each
    /// further attempt, up to six hours.
    #[arg(
        long,
        env = "MAIL_RETRY_BASE_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub mail_retry_base_seconds: u32,

    /// How often the outbox is looked at for due emails, in milliseconds.
    #[arg(
        long,
        env = "MAIL_POLL_MILLISECONDS",
        default_value_t = 2000,
        global = true
    )]
    pub mail_poll_milliseconds: u32,

    /// Whether this instance delivers the outbox (several instances may:
    /// each email is leased by one sender at a time).
    #[arg(long, env = "MAIL_WORKER", default_value_t = true, action = ArgAction::Set, global = true)]
    pub mail_worker: bool,

    /// The provider's desk address (`desk@example.ch`), told of every
    /// partner's new order, comment, delivery issue and feedback, in the
    /// provider organisation's language. When unset, only the staff who
    /// opted in (`setStaffNotifications`) are told.
    #[arg(long, env = "STAFF_NOTIFY_EMAIL", global = true)]
    pub staff_notify_email: Option<String>,
}

/// Where the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Everything a developer needs: the IDE, introspection, demo data.
    Development,
    /// Locked down: see `--production`.
    Production,
}

/// Token settings, checked.
#[derive(Clone)]
pub struct JwtConfig {
    pub secret: SecretString,
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field("secret", &"[redacted]")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// The checked configuration the app runs on. `Debug` prints no secret:
/// the database URL may hold a password.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: SecretString,
    /// Where `reports` read; `None`: the primary database.
    pub reports_database_url: Option<SecretString>,
    pub database_max_connections: u32,
    /// How long a request waits for a pooled connection.
    pub database_acquire_timeout: Duration,
    /// Every statement logged at `partnerdesk::sql` (never in production).
    pub log_sql: bool,
    pub data_dir: PathBuf,
    /// Where attachment bytes are kept.
    pub attachment_store: AttachmentStore,
    pub bind: SocketAddr,
    pub public_url: String,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub jwt: JwtConfig,
    /// Introspection and field suggestions.
    pub introspection: bool,
    /// The alias and root-field caps of GraphQL operations.
    pub graphql_max_aliases: usize,
    pub graphql_max_root_fields: usize,
    pub seed_demo_data: bool,
    /// Production mode: no IDE at `/` (the rest is in the fields above).
    pub production: bool,
    /// Whether `GET /graphql` (and every method but POST) serves queries.
    pub graphql_get: bool,
    /// The `Origin`s allowed to call the API from a browser; none: no CORS.
    pub cors_allowed_origins: Vec<axum::http::HeaderValue>,
    /// Where `/metrics` is served; `None`: on `bind`, outside production.
    pub metrics_bind: Option<SocketAddr>,
    /// How long requests in flight may take to finish at shutdown.
    pub shutdown_grace: Duration,
    /// Outbox delivery.
    pub mail: MailConfig,
    /// The desk address told of partners' actions (`STAFF_NOTIFY_EMAIL`).
    pub staff_notify_email: Option<Email>,
}

/// Outbox delivery settings, checked.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// Where emails go; `None`: to the log.
    pub smtp: Option<SmtpUrl>,
    /// The sender (`MAIL_FROM`).
    pub from: lettre::message::Mailbox,
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub retry_base: Duration,
    pub poll_interval: Duration,
    /// How long a claimed email stays reserved for its sender: longer than
    /// any send (the SMTP client gives up after a minute), so that only a
    /// sender that died lets it expire.
    pub lease: Duration,
    /// Whether `serve` runs the outbox worker.
    pub worker: bool,
}

/// The default sender when `MAIL_FROM` is unset (emails then go to the log).
pub const DEFAULT_MAIL_FROM: &str = "Service Desk <desk@localhost>";

impl MailConfig {
    /// Log delivery, attempts and backoff at their defaults, no worker: what
    /// the tests start from.
    pub fn to_log() -> Self {
        Self {
            smtp: None,
            from: DEFAULT_MAIL_FROM
                .parse()
                .expect("the default sender is a valid mailbox"),
            max_attempts: 8,
            retry_base: Duration::from_secs(30),
            poll_interval: Duration::from_secs(2),
            lease: Duration::from_secs(300),
            worker: false,
        }
    }
}

/// A checked `SMTP_URL`, in the form the SMTP client reads (STARTTLS made
/// explicit). `Debug` hides it: it may hold a password.
#[derive(Clone)]
pub struct SmtpUrl(SecretString);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUrl([redacted])")
    }
}

impl SmtpUrl {
    /// Accepts `smtp://` (STARTTLS unless `tls=none`) and `smtps://`.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::new("SMTP_URL", why.to_owned());
        let mut url = url::Url::parse(raw.trim())
            .map_err(|_| bad("is not a URL (smtp://HOST:PORT or smtps://HOST:PORT)"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("names no host"));
        }
        let tls: Vec<String> = url
            .query_pairs()
            .filter(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned())
            .collect();
        match (url.scheme(), tls.as_slice()) {
            ("smtps", []) => {}
            ("smtp", []) => {
                url.query_pairs_mut().append_pair("tls", "required");
            }
            ("smtp", [mode]) if mode == "required" || mode == "opportunistic" => {}
            ("smtp", [mode]) if mode == "none" => {
                let others: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "tls")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                if others.is_empty() {
                    url.set_query(None);
                } else {
                    url.query_pairs_mut().clear().extend_pairs(others);
                }
            }
            ("smtp" | "smtps", _) => {
                return Err(bad("tls= must be required, opportunistic or none"));
            }
            _ => return Err(bad("must start with smtp:// or smtps://")),
        }
        // The client's own parser has the last word (e.g. on the port).
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.as_str())
            .map_err(|e| bad(&format!("cannot be used: {e}")))?;
        Ok(Self(SecretString::from(url.to_string())))
    }

    /// The URL, for the SMTP client.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl Settings {
    /// Checks every setting and fills in the development defaults: the
    /// embedded database file and, with a warning, a generated secret.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        // The mode first: what it refuses is refused whatever else is wrong.
        let production = self.production || self.environment == Environment::Production;
        let introspection = development_only(
            "GRAPHQL_INTROSPECTION",
            self.introspection,
            production,
            "introspection would publish the schema",
        )?;
        let seed_demo_data = development_only(
            "SEED_DEMO_DATA",
            self.seed_demo_data,
            production,
            "demo logins would open the database",
        )?;
        let log_sql = match self.log_sql {
            Some(true) if production => {
                return Err(ConfigError::new(
                    "LOG_SQL",
                    "must not be true in production: the log would hold the values of every statement",
                ));
            }
            value => value.unwrap_or(false),
        };
        let cors_allowed_origins = self
            .cors_allowed_origins
            .iter()
            .filter(|origin| !origin.trim().is_empty())
            .map(|origin| check_origin(origin))
            .collect::<Result<Vec<_>, _>>()?;
        let database_url = match &self.database_url {
            Some(url) => check_database_url(url.expose_secret())?,
            None => {
                ensure_dir(&self.data_dir)?;
                let path = self.data_dir.join("partnerdesk.db");
                SecretString::from(format!("sqlite://{}?mode=rwc", path.display()))
            }
        };
        let reports_database_url = match &self.reports_database_url {
            Some(url) => Some(
                check_database_url(url.expose_secret())
                    .map_err(|e| ConfigError::new("REPORTS_DATABASE_URL", e.message))?,
            ),
            None => None,
        };
        if self.database_max_connections == 0 {
            return Err(ConfigError::new(
                "DATABASE_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }
        if self.graphql_max_aliases == 0 {
            return Err(ConfigError::new(
                "GRAPHQL_MAX_ALIASES",
                "must be at least 1",
            ));
        }
        if self.graphql_max_root_fields == 0 {
            return Err(ConfigError::new(
                "GRAPHQL_MAX_ROOT_FIELDS",
                "must be at least 1",
            ));
        }
        if self.token_ttl_minutes == 0 {
            return Err(ConfigError::new("TOKEN_TTL_MINUTES", "must be at least 1"));
        }
        let mail = self.mail_config()?;
        let secret = match &self.jwt_secret {
            Some(secret) => check_jwt_secret(secret.expose_secret())?,
            None if production => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "must be set in production (a generated development secret is not used there)",
                ));
            }
            None => development_secret(&self.data_dir)?,
        };
        let staff_notify_email = self
            .staff_notify_email
            .as_deref()
            .filter(|address| !address.trim().is_empty())
            .map(|address| {
                Email::parse(address).map_err(|e| {
                    ConfigError::new(
                        "STAFF_NOTIFY_EMAIL",
                        format!("is not an email address like `desk@example.ch`: {e}"),
                    )
                })
            })
            .transpose()?;
        let attachment_store = self
            .attachment_store
            .unwrap_or_else(|| AttachmentStore::default_for(database_url.expose_secret()));
        Ok(Config {
            database_url,
            reports_database_url,
            database_max_connections: self.database_max_connections,
            database_acquire_timeout: self.database_acquire_timeout,
            log_sql,
            data_dir: self.data_dir.clone(),
            attachment_store,
            bind: self.bind,
            public_url: self.public_url.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            jwt: JwtConfig {
                secret,
                issuer: self.jwt_issuer.clone(),
                audience: self.jwt_audience.clone(),
                ttl: Duration::from_secs(u64::from(self.token_ttl_minutes) * 60),
            },
            introspection,
            graphql_max_aliases: self.graphql_max_aliases,
            graphql_max_root_fields: self.graphql_max_root_fields,
            seed_demo_data,
            production,
            graphql_get: self.graphql_get.unwrap_or(!production),
            cors_allowed_origins,
            metrics_bind: self.metrics_bind,
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
            mail,
            staff_notify_email,
        })
    }

    fn mail_config(&self) -> Result<MailConfig, ConfigError> {
        let smtp = match &self.smtp_url {
            Some(url) => Some(SmtpUrl::parse(url.expose_secret())?),
            None => None,
        };
        let from = match (&self.mail_from, &smtp) {
            (Some(from), _) => from.trim().parse().map_err(|e| {
                ConfigError::new(
                    "MAIL_FROM",
                    format!("is not an address like `Desk <desk@example.ch>`: {e}"),
                )
            })?,
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "MAIL_FROM",
                    "must be set when SMTP_URL is",
                ));
            }
            (None, None) => MailConfig::to_log().from,
        };
        if self.mail_max_attempts == 0 {
            return Err(ConfigError::new("MAIL_MAX_ATTEMPTS", "must be at least 1"));
        }
        if self.mail_poll_milliseconds == 0 {
            return Err(ConfigError::new(
                "MAIL_POLL_MILLISECONDS",
                "must be at least 1",
            ));
        }
        Ok(MailConfig {
            smtp,
            from,
            max_attempts: self.mail_max_attempts,
            retry_base: Duration::from_secs(u64::from(self.mail_retry_base_seconds)),
            poll_interval: Duration::from_millis(u64::from(self.mail_poll_milliseconds)),
            worker: self.mail_worker,
            ..MailConfig::to_log()
        })
    }
}

/// A switch that is on by default in development and off in production,
/// where switching it on is refused.
fn development_only(
    setting: &'static str,
    value: Option<bool>,
    production: bool,
    why: &str,
) -> Result<bool, ConfigError> {
    match value {
        Some(true) if production => Err(ConfigError::new(
            setting,
            format!("must not be true in production: {why}"),
        )),
        Some(value) => Ok(value),
        None => Ok(!production),
    }
}

/// A web origin as browsers send it in `Origin`: `http` or `https`, a host
/// and an optional port, nothing after (`https://portal.example:8443`).
/// Scheme and host are lower-cased, as browsers send them.
pub fn check_origin(origin: &str) -> Result<axum::http::HeaderValue, ConfigError> {
    let invalid = |why: &str| {
        ConfigError::new(
            "CORS_ALLOWED_ORIGINS",
            format!("`{origin}` is not an origin: {why}"),
        )
    };
    let origin_lower = origin.trim().to_ascii_lowercase();
    let rest = origin_lower
        .strip_prefix("https://")
        .or_else(|| origin_lower.strip_prefix("http://"))
        .ok_or_else(|| invalid("it must start with https:// or http://"))?;
    let shape = || {
        invalid(
            "a scheme, a host and an optional port, with no path, such as https://portal.example",
        )
    };
    let (host_ok, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']').ok_or_else(shape)?;
            let port = match after {
                "" => None,
                after => Some(after.strip_prefix(':').ok_or_else(shape)?),
            };
            (address.parse::<std::net::Ipv6Addr>().is_ok(), port)
        }
        None => {
            let (host, port) = match rest.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            };
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
            (host_ok, port)
        }
    };
    if !host_ok {
        return Err(shape());
    }
    if port.is_some_and(|port| port.parse::<u16>().is_err()) {
        return Err(invalid("its port is not a number from 0 to 65535"));
    }
    axum::http::HeaderValue::from_str(&origin_lower)
        .map_err(|_| invalid("it is not a valid header value"))
}

/// Accepts the URL schemes of the two supported databases; the connection
/// itself reports anything else that is wrong with the URL.
pub fn check_database_url(url: &str) -> Result<SecretString, ConfigError> {
    let url = url.trim();
    let supported = ["sqlite:", "postgres://", "postgresql://"];
    if !supported.iter().any(|scheme| url.starts_with(scheme)) {
        return Err(ConfigError::new(
            "DATABASE_URL",
            "must start with sqlite:, postgres:// or postgresql://",
        ));
    }
    Ok(SecretString::from(url))
}

/// A positive number of seconds, fractions allowed, at most a day.
fn seconds(value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|_| "must be a number of seconds, such as 5 or 0.5".to_owned())?;
    if !(0.001..=86_400.0).contains(&secs) {
        return Err("must be between 0.001 and 86400 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Reads a secret setting straight into a type whose `Debug` hides it.
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}

/// Rejects secrets too short for HS256.
pub fn check_jwt_secret(secret: &str) -> Result<SecretString, ConfigError> {
    if secret.len() < MIN_JWT_SECRET_BYTES {
        return Err(ConfigError::new(
            "JWT_SECRET",
            format!(
                "must be at least {MIN_JWT_SECRET_BYTES} bytes long (got {})",
                secret.len()
            ),
        ));
    }
    Ok(SecretString::from(secret.to_owned()))
}

fn ensure_dir(dir: &Path) -> Result<(), ConfigError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        ConfigError::new(
            "PARTNERDESK_DATA_DIR",
            format!("cannot create {}: {e}", dir.display()),
        )
    })
}

/// Reads, or creates once, the development secret under the data directory,
/// so that tokens survive a restart of a development server.
fn development_secret(data_dir: &Path) -> Result<SecretString, ConfigError> {
    use base64::Engine as _;
    use rand::RngCore as _;

    ensure_dir(data_dir)?;
    let path = data_dir.join("jwt-secret");
    let unreadable = |e: std::io::Error| {
        ConfigError::new("JWT_SECRET", format!("cannot use {}: {e}", path.display()))
    };
    let secret = match std::fs::read_to_string(&path) {
        Ok(existing) => existing.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 48];
            rand::rng().fill_bytes(&mut bytes);
            let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            write_private(&path, &fresh).map_err(unreadable)?;
            fresh
        }
        Err(e) => return Err(unreadable(e)),
    };
    tracing::warn!(
        path = %path.display(),
        "JWT_SECRET is not set: using a development secret kept in the data directory; set JWT_SECRET in production"
    );
    check_jwt_secret(&secret)
        .map_err(|e| ConfigError::new("JWT_SECRET", format!("{}: {}", path.display(), e.message)))
        .map(|s| SecretString::from(s.expose_secret().to_owned()))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_jwt_secret_is_rejected_naming_the_setting() {
        let err = check_jwt_secret("too-short").expect_err("short secret");
        assert_eq!(err.setting, "JWT_SECRET");
        assert!(err.to_string().starts_with("JWT_SECRET: "));
    }

    #[test]
    fn unknown_database_scheme_is_rejected_naming_the_setting() {
        let err = check_database_url("mysql://localhost/db").expect_err("mysql");
        assert_eq!(err.setting, "DATABASE_URL");
        assert!(check_database_url("postgres://u@localhost/db").is_ok());
        assert!(check_database_url("sqlite://x.db?mode=rwc").is_ok());
    }

    #[test]
    fn a_bad_reports_database_url_is_rejected_naming_its_setting() {
        let parse =
            |url: &str| resolve_with(&["--reports-database-url", url, SECRET[0], SECRET[1]]);
        let err = parse("mysql://replica/db").expect_err("mysql");
        assert_eq!(err.setting, "REPORTS_DATABASE_URL");
        let config = parse("postgres://desk:pw@replica:5432/desk").expect("a replica");
        assert_eq!(
            config
                .reports_database_url
                .as_ref()
                .map(|url| url.expose_secret().to_owned()),
            Some("postgres://desk:pw@replica:5432/desk".to_owned())
        );
        assert!(!format!("{config:?}").contains("desk:pw"));
    }

    #[test]
    fn attachments_default_to_the_database_on_postgres_and_to_disk_on_sqlite() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        use clap::Parser as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().display().to_string();
        let resolve = |extra: &[&str]| {
            let mut args = vec![
                "partnerdesk",
                "--jwt-secret",
                "jwt-secret-of-at-least-thirty-two-bytes",
                "--data-dir",
                &data_dir,
            ];
            args.extend_from_slice(extra);
            Cli::try_parse_from(args)
                .expect("settings")
                .settings
                .resolve()
                .expect("config")
                .attachment_store
        };
        let postgres = "postgres://desk@db.example:5432/desk";
        assert_eq!(resolve(&[]), AttachmentStore::Disk);
        assert_eq!(
            resolve(&["--database-url", postgres]),
            AttachmentStore::Database
        );
        assert_eq!(
            resolve(&["--database-url", postgres, "--attachment-store", "disk"]),
            AttachmentStore::Disk
        );
        assert_eq!(
            resolve(&["--attachment-store", "database"]),
            AttachmentStore::Database
        );
        assert!(
            Cli::try_parse_from(["partnerdesk", "--attachment-store", "s3"]).is_err(),
            "an unknown store is refused"
        );
    }

    #[test]
    fn debug_output_shows_no_password_or_secret() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        use clap::Parser as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let cli = Cli::try_parse_from([
            "partnerdesk",
            "--database-url",
            "postgres://desk:pw-Xy7q@db.example:5432/desk",
            "--jwt-secret",
            "jwt-secret-of-at-least-thirty-two-bytes",
            "--data-dir",
            &dir.path().display().to_string(),
        ])
        .expect("settings");
        let config = cli.settings.resolve().expect("config");
        assert_eq!(
            config.database_url.expose_secret(),
            "postgres://desk:pw-Xy7q@db.example:5432/desk"
        );
        for printed in [format!("{config:?}"), format!("{:?}", cli.settings)] {
            assert!(!printed.contains("pw-Xy7q"), "{printed}");
            assert!(!printed.contains("jwt-secret-of"), "{printed}");
        }
    }

    #[test]
    fn the_acquire_timeout_is_seconds_defaulting_to_five() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        use clap::Parser as _;
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("partnerdesk").chain(args.iter().copied()))
                .map(|cli| cli.settings.database_acquire_timeout)
        };
        assert_eq!(parse(&[]).ok(), Some(Duration::from_secs(5)));
        assert_eq!(
            parse(&["--database-acquire-timeout", "0.5"]).ok(),
            Some(Duration::from_millis(500))
        );
        for bad in ["0", "-1", "soon", "NaN", "1e9"] {
            let arg = format!("--database-acquire-timeout={bad}");
            let err = parse(&[&arg]).expect_err(bad);
            assert!(
                err.to_string().contains("--database-acquire-timeout"),
                "{err}"
            );
        }
    }

    #[test]
    fn development_secret_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = development_secret(dir.path()).expect("first");
        let second = development_secret(dir.path()).expect("second");
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= MIN_JWT_SECRET_BYTES);
    }

    fn resolve_with(args: &[&str]) -> Result<Config, ConfigError> {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        use clap::Parser as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().display().to_string();
        let mut argv = vec!["partnerdesk", "--data-dir", &data_dir];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .expect("settings")
            .settings
            .resolve()
    }

    const SECRET: [&str; 2] = ["--jwt-secret", "jwt-secret-of-at-least-thirty-two-bytes"];

    #[test]
    fn development_opens_everything_and_production_locks_it_down() {
        let development = resolve_with(&SECRET).expect("development");
        assert!(!development.production);
        assert!(development.introspection && development.seed_demo_data);
        assert!(development.graphql_get);
        assert!(development.cors_allowed_origins.is_empty());
        assert!(
            !development.log_sql,
            "statements are logged only when asked"
        );
        for production in [
            [SECRET[0], SECRET[1], "--production"],
            [SECRET[0], SECRET[1], "--environment=production"],
        ] {
            let config = resolve_with(&production).expect("production");
            assert!(config.production);
            assert!(!config.introspection && !config.seed_demo_data);
            assert!(!config.graphql_get);
        }
        let get = resolve_with(&[
            SECRET[0],
            SECRET[1],
            "--production",
            "--graphql-get",
            "true",
        ])
        .expect("GET allowed");
        assert!(get.graphql_get);
    }

    #[test]
    fn production_refuses_what_would_open_it_naming_the_setting() {
        let err = resolve_with(&["--production"]).expect_err("no secret");
        assert_eq!(err.setting, "JWT_SECRET");
        for (flag, setting) in [
            ("--seed-demo-data", "SEED_DEMO_DATA"),
            ("--introspection", "GRAPHQL_INTROSPECTION"),
            ("--log-sql", "LOG_SQL"),
        ] {
            let err = resolve_with(&[SECRET[0], SECRET[1], "--production", flag, "true"])
                .expect_err(setting);
            assert_eq!(err.setting, setting);
            let off = resolve_with(&[SECRET[0], SECRET[1], "--production", flag, "false"]);
            assert!(off.is_ok(), "{setting}=false is fine in production");
        }
    }

    #[test]
    fn the_desk_address_is_parsed_once_naming_its_setting() {
        let unset = resolve_with(&SECRET).expect("no desk address");
        assert_eq!(unset.staff_notify_email, None);
        let set = resolve_with(&[
            SECRET[0],
            SECRET[1],
            "--staff-notify-email",
            " Desk@Provider.Example ",
        ])
        .expect("a desk address");
        assert_eq!(
            set.staff_notify_email.as_ref().map(Email::as_str),
            Some("desk@provider.example")
        );
        for bad in ["desk", "desk@", "two words@provider.example"] {
            let err =
                resolve_with(&[SECRET[0], SECRET[1], "--staff-notify-email", bad]).expect_err(bad);
            assert_eq!(err.setting, "STAFF_NOTIFY_EMAIL", "{bad}");
        }
    }

    #[test]
    fn cors_origins_are_parsed_as_browsers_send_them() {
        for (given, parsed) in [
            ("https://portal.example", "https://portal.example"),
            ("HTTPS://Portal.Example:8443", "https://portal.example:8443"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://[::1]:3000", "http://[::1]:3000"),
        ] {
            assert_eq!(check_origin(given).expect(given), parsed);
        }
        for bad in [
            "*",
            "null",
            "portal.example",
            "ftp://portal.example",
            "https://portal.example/",
            "https://portal.example/app",
            "https://portal.example:99999",
            "https://",
            "http://[::1",
        ] {
            let err = check_origin(bad).expect_err(bad);
            assert_eq!(err.setting, "CORS_ALLOWED_ORIGINS", "{bad}");
            assert!(err.message.contains(bad), "{err}");
        }
        let config = resolve_with(&[
            SECRET[0],
            SECRET[1],
            "--cors-allowed-origins",
            "https://a.example,https://b.example",
        ])
        .expect("two origins");
        assert_eq!(config.cors_allowed_origins.len(), 2);
    }
}
