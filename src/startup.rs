//! Building the application: connect, migrate, bind. Used by `serve` and by
//! the test harness, so that tests run the very server that ships.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;

use crate::attachments::storage::{LocalDisk, Storage};
use crate::auth::password::PasswordHasher;
use crate::auth::token::TokenKeys;
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::live::Broker;
use crate::query_limits::{QueryLimits, QueryLimitsExtension, ValidationCounter};
use crate::state::AppState;
use crate::{db, graphql, http};

/// A bound, migrated server, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations and binds the address;
    /// attachments are kept under the data directory's `attachments/`.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let storage = Arc::new(LocalDisk {
            root: config.data_dir.join("attachments"),
        });
        Self::build_with_storage(config, clock, storage).await
    }

    /// [`Application::build`] with attachments kept in `storage` (tests
    /// pass a store that fails on demand).
    pub async fn build_with_storage(
        config: Config,
        clock: Arc<dyn Clock>,
        storage: Arc<dyn Storage>,
    ) -> Result<Self, ConfigError> {
        let (db, statements) = db::connect(&config).await?;
        db::migrate(&db)
            .await
            .map_err(|e| ConfigError::new("DATABASE_URL", format!("migrations failed: {e}")))?;
        let reports_db = db::connect_reports(&config, &db, &statements).await?;
        let listener = TcpListener::bind(config.bind).await.map_err(|e| {
            ConfigError::new(
                "PARTNERDESK_BIND",
                format!("cannot listen on {}: {e}", config.bind),
            )
        })?;
        let live = Broker::start(&db, config.database_url.expose_secret())
            .await
            .map_err(|e| {
                ConfigError::new(
                    "DATABASE_URL",
                    format!("cannot listen for live events: {e}"),
                )
            })?;
        let validations = ValidationCounter::default();
        let limits = QueryLimitsExtension {
            limits: Arc::new(QueryLimits::from_config(&config)),
            validations: validations.clone(),
        };
        let schema = graphql::schema_builder_with(config.introspection, limits).finish();
        let state = AppState {
            db,
            reports_db,
            storage,
            tokens: TokenKeys::new(&config.jwt),
            config: Arc::new(config),
            hasher: PasswordHasher::for_this_machine(),
            clock,
            statements,
            validations,
            live,
        };
        let router = http::router(state.clone(), schema);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The address actually bound (the port may have been 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
