//! Building the application: connect, migrate, bind. Used by `serve` and by
//! the test harness, so that tests run the very server that ships.

use std::future::{Future, IntoFuture as _};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::attachments::database_store::DatabaseStore;
use crate::attachments::storage::{LocalDisk, Storage};
use crate::auth::password::PasswordHasher;
use crate::auth::token::TokenKeys;
use crate::clock::Clock;
use crate::config::{AttachmentStore, Config, ConfigError};
use crate::live::Broker;
use crate::mail::seal::BodyKey;
use crate::query_limits::{QueryLimits, QueryLimitsExtension, ValidationCounter};
use crate::state::AppState;
use crate::{db, graphql, http, mail};

/// A bound, migrated server, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// `METRICS_BIND`'s listener and its router, when it is set.
    metrics: Option<(TcpListener, Router)>,
    state: AppState,
    /// Background work started with the server and stopped with it.
    workers: Vec<Worker>,
}

/// A background task started by [`Application::run_until`]; told to stop
/// at shutdown, and waited for within the grace period.
type Worker = Box<dyn FnOnce(watch::Receiver<bool>) -> JoinHandle<()> + Send>;

impl Application {
    /// Connects to the database, applies migrations and binds the address;
    /// attachments are kept where `ATTACHMENT_STORE` says: in the database,
    /// or under the data directory's `attachments/`.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Self::build_inner(config, clock, None).await
    }

    /// [`Application::build`] with attachments kept in `storage` (tests
    /// pass a store that fails on demand).
    pub async fn build_with_storage(
        config: Config,
        clock: Arc<dyn Clock>,
        storage: Arc<dyn Storage>,
    ) -> Result<Self, ConfigError> {
        Self::build_inner(config, clock, Some(storage)).await
    }

    async fn build_inner(
        config: Config,
        clock: Arc<dyn Clock>,
        storage: Option<Arc<dyn Storage>>,
    ) -> Result<Self, ConfigError> {
        let (db, statements) = db::connect(&config).await?;
        db::migrate(&db)
            .await
            .map_err(|e| ConfigError::new("DATABASE_URL", format!("migrations failed: {e}")))?;
        let storage = storage.unwrap_or_else(|| match config.attachment_store {
            AttachmentStore::Database => Arc::new(DatabaseStore::new(db.clone(), clock.clone())),
            AttachmentStore::Disk => Arc::new(LocalDisk {
                root: config.data_dir.join("attachments"),
            }),
        });
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
            body_key: BodyKey::derive(&config.jwt.secret),
            config: Arc::new(config),
            hasher: PasswordHasher::for_this_machine(),
            clock,
            statements,
            validations,
            live,
        };
        crate::monitoring::install();
        let metrics = match state.config.metrics_bind {
            Some(address) => {
                let listener = TcpListener::bind(address).await.map_err(|e| {
                    ConfigError::new("METRICS_BIND", format!("cannot listen on {address}: {e}"))
                })?;
                Some((listener, crate::monitoring::router(state.clone())))
            }
            None => None,
        };
        let router = http::router(state.clone(), schema);
        Ok(Self {
            listener,
            router,
            metrics,
            state,
            workers: Vec::new(),
        })
    }

    /// The address actually bound (the port may have been 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The address `/metrics` is served on when `METRICS_BIND` is set.
    pub fn metrics_addr(&self) -> Option<std::io::Result<SocketAddr>> {
        self.metrics
            .as_ref()
            .map(|(listener, _)| listener.local_addr())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Starts `worker` with the server. Its receiver turns `true` at
    /// shutdown: it should then finish what it is doing (a send in
    /// progress) and return; it gets the grace period for it.
    pub fn spawn_worker<F>(&mut self, worker: F)
    where
        F: FnOnce(watch::Receiver<bool>) -> JoinHandle<()> + Send + 'static,
    {
        self.workers.push(Box::new(worker));
    }

    /// Serves until `shutdown` completes. Then no new connection is
    /// accepted, every subscription completes and its socket closes with
    /// "going away" (1001), and the requests in flight and the workers get
    /// `SHUTDOWN_GRACE` to finish; what is still running after that is cut
    /// off. The outbox worker (when `MAIL_WORKER` is on) is one of the
    /// workers.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let grace = self.state.config.shutdown_grace;
        let live = self.state.live.clone();
        let (stop, stopping) = watch::channel(false);
        let stopped = |mut stopping: watch::Receiver<bool>| async move {
            // An error means the sender is gone: stopping all the same.
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        let public = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stopped(stopping.clone()));
        let mut tasks = tokio::task::JoinSet::new();
        if let Some((listener, router)) = self.metrics {
            let metrics = axum::serve(listener, router)
                .with_graceful_shutdown(stopped(stopping.clone()))
                .into_future();
            tasks.spawn(async move {
                if let Err(e) = metrics.await {
                    tracing::error!(error = %e, "the metrics server failed");
                }
            });
        }
        tasks.spawn(crate::monitoring::upkeep(stopped(stopping.clone())));
        let mut workers: Vec<JoinHandle<()>> = self
            .workers
            .into_iter()
            .map(|worker| worker(stopping.clone()))
            .collect();
        // The outbox worker (MAIL_WORKER): at shutdown it finishes the send
        // in progress, then returns.
        if self.state.config.mail.worker {
            workers.push(mail::Worker::spawn(
                self.state.clone(),
                stopped(stopping.clone()),
            ));
        }

        let mut public = tokio::spawn(public.into_future());
        tokio::select! {
            served = &mut public => {
                // The server ended on its own (an accept loop never does):
                // stop the rest.
                let _ = stop.send(true);
                return served.unwrap_or_else(|e| Err(std::io::Error::other(e)));
            }
            () = shutdown => {}
        }
        tracing::info!(
            grace_seconds = grace.as_secs(),
            "shutting down: no new connections; finishing requests in flight"
        );
        let _ = stop.send(true);
        live.close_subscriptions();
        let finished = tokio::time::timeout(grace, async {
            let served = public.await;
            // Upgraded connections are no longer the HTTP server's.
            live.sockets_closed().await;
            for worker in workers {
                if let Err(e) = worker.await {
                    tracing::error!(error = %e, "a background worker failed");
                }
            }
            while tasks.join_next().await.is_some() {}
            served
        })
        .await;
        match finished {
            Ok(served) => {
                tracing::info!("shut down");
                served.unwrap_or_else(|e| Err(std::io::Error::other(e)))
            }
            Err(_) => {
                tracing::warn!(
                    grace_seconds = grace.as_secs(),
                    "shutdown grace period over: cutting off what still runs"
                );
                Ok(())
            }
        }
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
}
