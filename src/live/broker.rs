//! The in-process broker of live events, and on PostgreSQL its bridge to
//! the other instances through `pg_notify` and `LISTEN`.
//!
//! A service publishes a [`LiveEvent`] after its transaction committed.
//! Local subscribers get it at once through a tokio broadcast channel. On
//! PostgreSQL the event also goes out with `pg_notify` on
//! [`CHANNEL`], tagged with this instance's id; every instance listens on
//! a dedicated connection and re-broadcasts what the *other* instances
//! published, so each event reaches each subscriber once. On SQLite there
//! is one process per database file: in-process delivery is the whole story.
//!
//! Invariants:
//! - an event carries ids and facts of the change, never tenant data to
//!   show: every subscriber re-reads under its own scope before delivery;
//! - publishing never blocks a request and never fails it: a notification
//!   that cannot be sent is logged and lost (live updates are a courtesy;
//!   the data itself is committed);
//! - a dropped listener connection is reconnected, with a growing pause;
//!   the events sent meanwhile by other instances are lost and a warning
//!   says so;
//! - at shutdown, [`Broker::close_subscriptions`] ends every subscription
//!   and every socket says goodbye; [`Broker::sockets_closed`] completes
//!   once the last one has (each socket holds a [`SocketGuard`]).

use std::sync::Arc;
use std::time::Duration;

use entity::enums::TicketStatus;
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{DatabaseConnection, DbBackend};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

/// The PostgreSQL notification channel of live events.
pub const CHANNEL: &str = "partnerdesk_live";

/// How many events a slow subscriber may fall behind before it misses some.
const BUFFER: usize = 1024;

/// Something that happened, as ids (see the module's invariants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LiveEvent {
    /// A ticket was opened (a laptop order, a delivery issue).
    TicketCreated {
        organisation_id: i64,
        ticket_id: i64,
    },
    /// A ticket moved to `to`.
    StatusChanged {
        organisation_id: i64,
        ticket_id: i64,
        to: TicketStatus,
    },
    /// A comment was written on a ticket (of either visibility).
    CommentAdded {
        organisation_id: i64,
        ticket_id: i64,
        comment_id: i64,
    },
    /// An invoice was issued; `ticket_id` for a per-order invoice.
    InvoiceIssued {
        organisation_id: i64,
        invoice_id: i64,
        ticket_id: Option<i64>,
    },
}

impl LiveEvent {
    /// The organisation whose data changed.
    pub fn organisation_id(&self) -> i64 {
        match self {
            Self::TicketCreated {
                organisation_id, ..
            }
            | Self::StatusChanged {
                organisation_id, ..
            }
            | Self::CommentAdded {
                organisation_id, ..
            }
            | Self::InvoiceIssued {
                organisation_id, ..
            } => *organisation_id,
        }
    }

    /// The ticket the event is about, if it is about one.
    pub fn ticket_id(&self) -> Option<i64> {
        match self {
            Self::TicketCreated { ticket_id, .. }
            | Self::StatusChanged { ticket_id, .. }
            | Self::CommentAdded { ticket_id, .. } => Some(*ticket_id),
            Self::InvoiceIssued { ticket_id, .. } => *ticket_id,
        }
    }
}

/// What the notification task is asked to do, in order.
enum Outgoing {
    Notify(LiveEvent),
    /// Answer once everything before has been sent.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// What goes over `pg_notify`: the event and who sent it.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: String,
    event: LiveEvent,
}

/// Publishes and subscribes live events. Cheap to clone; one per instance.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    local: broadcast::Sender<LiveEvent>,
    /// To the task that runs `pg_notify`, in publishing order.
    notify: Option<mpsc::UnboundedSender<Outgoing>>,
    /// True once the instance closes its subscriptions (shutdown).
    closing: watch::Sender<bool>,
    /// How many WebSocket connections are open.
    sockets: watch::Sender<usize>,
    /// Dropped with the broker: ends the listener task.
    _stop: watch::Sender<()>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("subscribers", &self.subscribers())
            .field("shared", &self.inner.notify.is_some())
            .finish()
    }
}

impl Broker {
    /// A broker for this process only (SQLite, and tools that serve nobody).
    pub fn in_process() -> Self {
        Self::with_notify(None).0
    }

    fn with_notify(notify: Option<mpsc::UnboundedSender<Outgoing>>) -> (Self, watch::Receiver<()>) {
        let (local, _) = broadcast::channel(BUFFER);
        let (closing, _) = watch::channel(false);
        let (sockets, _) = watch::channel(0);
        let (stop, stopped) = watch::channel(());
        let broker = Self {
            inner: Arc::new(Inner {
                local,
                notify,
                closing,
                sockets,
                _stop: stop,
            }),
        };
        (broker, stopped)
    }

    /// The broker of an instance on `db`: in-process on SQLite; on
    /// PostgreSQL also shared with the other instances, listening on its
    /// own connection to `database_url` (established before this returns,
    /// so that nothing published after start is missed).
    pub async fn start(
        db: &DatabaseConnection,
        database_url: &str,
    ) -> Result<Self, sea_orm::sqlx::Error> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self::in_process());
        }
        let instance = uuid::Uuid::new_v4().to_string();
        let listener = listen(database_url).await?;
        let (notify_tx, notify_rx) = mpsc::unbounded_channel();
        let (broker, stopped) = Self::with_notify(Some(notify_tx));
        let pool = db.get_postgres_connection_pool().clone();
        tokio::spawn(send_notifications(pool, instance.clone(), notify_rx));
        tokio::spawn(receive_notifications(
            listener,
            database_url.to_owned(),
            instance,
            broker.inner.local.clone(),
            stopped,
        ));
        Ok(broker)
    }

    /// Publishes `event` to every subscriber of every instance. Call it
    /// after the change committed.
    pub fn publish(&self, event: LiveEvent) {
        if let Some(notify) = &self.inner.notify
            && notify.send(Outgoing::Notify(event.clone())).is_err()
        {
            tracing::warn!("live events: the notification task has stopped");
        }
        // No receiver is no error: nobody is subscribed.
        let _ = self.inner.local.send(event);
    }

    /// Completes once every event published so far has gone out to the
    /// other instances (a command that publishes, then exits).
    pub async fn flushed(&self) {
        let Some(notify) = &self.inner.notify else {
            return;
        };
        let (done, sent) = tokio::sync::oneshot::channel();
        if notify.send(Outgoing::Flush(done)).is_ok() {
            let _ = sent.await;
        }
    }

    /// A new subscription to every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.inner.local.subscribe()
    }

    /// How many subscriptions are open on this instance.
    pub fn subscribers(&self) -> usize {
        self.inner.local.receiver_count()
    }

    /// Ends every subscription (shutdown): each completes normally, then
    /// its socket closes with "going away".
    pub fn close_subscriptions(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Counts a WebSocket connection as open until the guard is dropped.
    pub fn socket_opened(&self) -> SocketGuard {
        self.inner.sockets.send_modify(|open| *open += 1);
        SocketGuard {
            sockets: self.inner.sockets.clone(),
        }
    }

    /// Completes once no WebSocket connection is open (after
    /// [`Broker::close_subscriptions`], once each has said goodbye).
    pub async fn sockets_closed(&self) {
        let mut sockets = self.inner.sockets.subscribe();
        // The sender lives in `self`: `wait_for` cannot fail here.
        let _ = sockets.wait_for(|open| *open == 0).await;
    }

    /// Becomes true when the instance closes its subscriptions.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }
}

/// An open WebSocket connection, counted by the broker until dropped.
#[derive(Debug)]
pub struct SocketGuard {
    sockets: watch::Sender<usize>,
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.sockets
            .send_modify(|open| *open = open.saturating_sub(1));
    }
}

async fn listen(database_url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Runs `pg_notify` for each published event, in order, on the pool (a
/// statement outside any request: it is not counted as the request's).
async fn send_notifications(
    pool: PgPool,
    instance: String,
    mut events: mpsc::UnboundedReceiver<Outgoing>,
) {
    while let Some(outgoing) = events.recv().await {
        let event = match outgoing {
            Outgoing::Notify(event) => event,
            Outgoing::Flush(done) => {
                let _ = done.send(());
                continue;
            }
        };
        let envelope = Envelope {
            from: instance.clone(),
            event,
        };
        let payload = match serde_json::to_string(&envelope) {
            Ok(payload) => payload,
            Err(e) => {
                tracing::error!(error = %e, "live events: cannot encode an event");
                continue;
            }
        };
        let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "live events: pg_notify failed; other instances miss an event");
        }
    }
}

/// Re-broadcasts the events of the other instances; reconnects when the
/// listening connection fails; ends when the broker is dropped.
async fn receive_notifications(
    mut listener: PgListener,
    database_url: String,
    instance: String,
    local: broadcast::Sender<LiveEvent>,
    mut stopped: watch::Receiver<()>,
) {
    let mut pause = Duration::from_millis(100);
    loop {
        let received = tokio::select! {
            received = listener.try_recv() => received,
            _ = stopped.changed() => return,
        };
        match received {
            Ok(Some(notification)) => {
                pause = Duration::from_millis(100);
                match serde_json::from_str::<Envelope>(notification.payload()) {
                    Ok(envelope) if envelope.from == instance => {}
                    Ok(envelope) => {
                        let _ = local.send(envelope.event);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live events: an unreadable notification");
                    }
                }
            }
            Ok(None) => {
                tracing::warn!(
                    "live events: the listening connection dropped; reconnecting (events of other instances in between are lost)"
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "live events: listening failed; reconnecting");
                loop {
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {},
                        _ = stopped.changed() => return,
                    }
                    pause = (pause * 2).min(Duration::from_secs(10));
                    match listen(&database_url).await {
                        Ok(fresh) => {
                            listener = fresh;
                            tracing::info!("live events: listening again");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "live events: cannot listen yet");
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_travels_as_json_and_back() {
        let event = LiveEvent::StatusChanged {
            organisation_id: 3,
            ticket_id: 7,
            to: TicketStatus::ReadyToShip,
        };
        let text = serde_json::to_string(&Envelope {
            from: "a".to_owned(),
            event: event.clone(),
        })
        .expect("encode");
        assert!(text.contains("\"READY_TO_SHIP\""), "{text}");
        let back: Envelope = serde_json::from_str(&text).expect("decode");
        assert_eq!(back.event, event);
    }

    #[tokio::test]
    async fn a_local_subscriber_receives_what_is_published() {
        let broker = Broker::in_process();
        let mut events = broker.subscribe();
        assert_eq!(broker.subscribers(), 1);
        let event = LiveEvent::TicketCreated {
            organisation_id: 1,
            ticket_id: 2,
        };
        broker.publish(event.clone());
        assert_eq!(events.recv().await.expect("an event"), event);
    }

    #[tokio::test]
    async fn sockets_closed_waits_for_the_last_socket() {
        let broker = Broker::in_process();
        broker.sockets_closed().await;
        let first = broker.socket_opened();
        let second = broker.socket_opened();
        let waiting = tokio::spawn({
            let broker = broker.clone();
            async move { broker.sockets_closed().await }
        });
        drop(first);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "one socket is still open");
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("done once both are closed")
            .expect("join");
    }
}
