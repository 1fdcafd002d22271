//! Live updates: `Subscription.ticketEvents` over graphql-transport-ws at
//! `/graphql/ws`, checked from a real WebSocket client: what a subscriber
//! receives, what it never receives (another organisation's tickets, an
//! INTERNAL comment for a partner), how a connection is refused and how a
//! subscription ends, and, on PostgreSQL, events that cross instances.
//!
//! "Receives nothing" is shown by order: after the events it must not see,
//! one it must see is published, and it must be the first to arrive (one
//! broadcast channel delivers in publishing order).

use std::sync::Arc;
use std::time::Duration;

use entity::enums::TicketStatus;
use futures_util::{SinkExt as _, StreamExt as _};
use partnerdesk::auth::token::TokenKeys;
use partnerdesk::config::JwtConfig;
use partnerdesk::relay::to_global_id;
use partnerdesk::startup::Application;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{TEST_JWT_SECRET, TestApp, World, error_code, test_config, world};

/// How long a message may take to arrive.
const WAIT: Duration = Duration::from_secs(10);

const EVENTS: &str = "subscription($ticket: ID, $organisation: ID) {
  ticketEvents(ticketId: $ticket, organisationId: $organisation) {
    kind status
    ticket { id reference status }
    comment { body visibility }
    invoice { number }
  }
}";

/// A graphql-transport-ws client.
pub(crate) struct LiveClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Opens `/graphql/ws` of the server at `address` (an `http://` URL).
async fn open_socket(address: &str) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
    let url = format!("{}/graphql/ws", address.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket upgrade");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    socket
}

impl LiveClient {
    /// Connects and sends `connection_init` with `payload`; expects the ack.
    async fn connect(address: &str, payload: Value) -> Self {
        let mut client = Self {
            socket: open_socket(address).await,
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client.next().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub(crate) async fn with_token(address: &str, token: &str) -> Self {
        Self::connect(address, json!({ "token": token })).await
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send");
    }

    /// Starts operation `id`.
    pub(crate) async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// Ends operation `id` from the client's side.
    pub(crate) async fn complete(&mut self, id: &str) {
        self.send(json!({ "id": id, "type": "complete" })).await;
    }

    /// The next protocol message; fails after [`WAIT`].
    pub(crate) async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a message in time")
                .expect("the socket is open")
                .expect("a frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next frame but pings and pongs; `None` once the socket ends.
    /// Fails after [`WAIT`].
    pub(crate) async fn next_frame(&mut self) -> Option<Message> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame in time");
            match frame {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(message)) => return Some(message),
            }
        }
    }

    /// The next event of `id`'s subscription.
    async fn next_event(&mut self, id: &str) -> Value {
        let message = self.next().await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id);
        assert!(message["payload"]["errors"].is_null(), "{message}");
        message["payload"]["data"]["ticketEvents"].clone()
    }

    /// Nothing arrives for `quiet`.
    async fn expect_silence(&mut self, quiet: Duration) {
        if let Ok(message) = tokio::time::timeout(quiet, self.socket.next()).await {
            panic!("expected nothing, got {message:?}");
        }
    }
}

/// Waits until `app` has `n` open subscriptions (the protocol has no
/// "subscribed" message: this is when an event would reach them).
pub(crate) async fn subscribed(app: &TestApp, n: usize) {
    tokio::time::timeout(WAIT, async {
        while app.state.live.subscribers() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "{} subscriptions open, waited for {n}",
            app.state.live.subscribers()
        )
    });
}

fn ticket_id(ticket: &entity::tickets::Model) -> String {
    to_global_id("Ticket", ticket.id).0
}

async fn transition(w: &World, token: &str, ticket: &entity::tickets::Model, to: &str) {
    let body = w
        .app
        .graphql(
            "mutation($input: TransitionTicketInput!) { transitionTicket(input: $input) { ticket { status } } }",
            json!({ "input": { "ticketId": ticket_id(ticket), "to": to } }),
            Some(token),
        )
        .await;
    assert_eq!(
        body["data"]["transitionTicket"]["ticket"]["status"], to,
        "{body}"
    );
}

async fn comment(
    w: &World,
    token: &str,
    ticket: &entity::tickets::Model,
    body: &str,
    visibility: &str,
) {
    let answer = w
        .app
        .graphql(
            "mutation($id: ID!, $body: String!, $v: CommentVisibility!) { addComment(ticketId: $id, body: $body, visibility: $v) { comment { id } } }",
            json!({ "id": ticket_id(ticket), "body": body, "v": visibility }),
            Some(token),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
}

#[tokio::test]
async fn a_subscriber_receives_the_status_changes_and_comments_of_its_ticket() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let mut live = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    live.subscribe("1", EVENTS, json!({ "ticket": ticket_id(&ticket) }))
        .await;
    subscribed(&w.app, 1).await;

    transition(&w, &staff, &ticket, "QUEUED").await;
    comment(&w, &staff, &ticket, "We are on it.", "PUBLIC").await;

    let moved = live.next_event("1").await;
    assert_eq!(moved["kind"], "STATUS_CHANGED");
    assert_eq!(moved["status"], "QUEUED");
    assert_eq!(moved["ticket"]["reference"], ticket.reference.as_str());
    assert_eq!(moved["ticket"]["status"], "QUEUED");
    let commented = live.next_event("1").await;
    assert_eq!(commented["kind"], "COMMENT_ADDED");
    assert_eq!(commented["comment"]["body"], "We are on it.");
    assert_eq!(commented["ticket"]["id"], ticket_id(&ticket).as_str());

    // Stopping the operation completes it and frees the subscription.
    live.send(json!({ "id": "1", "type": "complete" })).await;
    let complete = live.next().await;
    assert_eq!(complete["type"], "complete", "{complete}");
    tokio::time::timeout(WAIT, async {
        while w.app.state.live.subscribers() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the subscription is released");
}

#[tokio::test]
async fn a_staff_subscriber_sees_orders_and_the_invoice_of_a_shipment() {
    let w = world().await;
    let staff = w.token(&w.staff).await;
    let mut live = LiveClient::with_token(&w.app.address, &staff).await;
    live.subscribe(
        "all",
        EVENTS,
        json!({ "organisation": to_global_id("Organisation", w.beta.id).0 }),
    )
    .await;
    subscribed(&w.app, 1).await;

    let ready = w
        .app
        .ticket_in(&w.beta_member, TicketStatus::ReadyToShip)
        .await;
    let shipped = w
        .app
        .graphql(
            "mutation($input: ShipOrderInput!) { shipOrder(input: $input) { ticket { status } } }",
            json!({ "input": { "ticketId": ticket_id(&ready), "deviceModel": "T14", "serialNumber": "S-1", "shippedAt": w.app.now() } }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        shipped["data"]["shipOrder"]["ticket"]["status"], "READY_FOR_BILLING",
        "{shipped}"
    );
    let moved = live.next_event("all").await;
    assert_eq!(moved["kind"], "STATUS_CHANGED");
    assert_eq!(moved["status"], "READY_FOR_BILLING");
    let invoiced = live.next_event("all").await;
    assert_eq!(invoiced["kind"], "INVOICE_ISSUED", "{invoiced}");
    assert!(invoiced["invoice"]["number"].is_string(), "{invoiced}");
    assert_eq!(invoiced["ticket"]["reference"], ready.reference.as_str());

    // An order of another organisation is outside the subscription's
    // narrowing; the next one of Beta arrives first.
    let ordered = w
        .app
        .graphql(
            "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { reference } } }",
            json!({ "input": order_input(w.alpha.id) }),
            Some(&staff),
        )
        .await;
    assert!(ordered["errors"].is_null(), "{ordered}");
    let ordered = w
        .app
        .graphql(
            "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { reference } } }",
            json!({ "input": order_input(w.beta.id) }),
            Some(&staff),
        )
        .await;
    let created = live.next_event("all").await;
    assert_eq!(created["kind"], "TICKET_CREATED");
    assert_eq!(
        created["ticket"]["reference"],
        ordered["data"]["orderLaptop"]["ticket"]["reference"]
    );
}

fn order_input(organisation_id: i64) -> Value {
    json!({
        "organisationId": to_global_id("Organisation", organisation_id).0,
        "recipientName": "Amina Haddad",
        "street": "Lorrainestrasse 12",
        "postalCode": "3013",
        "city": "Bern",
        "phone": "079 123 45 67",
        "forLearning": false,
    })
}

#[tokio::test]
async fn a_subscriber_of_another_organisation_receives_nothing() {
    let w = world().await;
    let alpha_ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let beta_ticket = w.app.ticket_in(&w.beta_member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let beta = w.token(&w.beta_member).await;
    let mut live = LiveClient::with_token(&w.app.address, &beta).await;
    live.subscribe("beta", EVENTS, json!({})).await;
    subscribed(&w.app, 1).await;

    transition(&w, &staff, &alpha_ticket, "QUEUED").await;
    comment(&w, &staff, &alpha_ticket, "For Alpha only.", "PUBLIC").await;
    transition(&w, &staff, &beta_ticket, "QUEUED").await;

    let first = live.next_event("beta").await;
    assert_eq!(
        first["ticket"]["reference"],
        beta_ticket.reference.as_str(),
        "{first}"
    );
    assert_eq!(first["status"], "QUEUED");

    // Asking for another organisation's ticket or organisation by id is
    // NOT_FOUND, as for an id that does not exist; the operation completes.
    live.subscribe(
        "other",
        EVENTS,
        json!({ "ticket": ticket_id(&alpha_ticket) }),
    )
    .await;
    let refused = live.next().await;
    assert_eq!(refused["id"], "other");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    assert_eq!(live.next().await["type"], "complete");
    live.subscribe(
        "org",
        EVENTS,
        json!({ "organisation": to_global_id("Organisation", w.alpha.id).0 }),
    )
    .await;
    let refused = live.next().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
}

#[tokio::test]
async fn a_partner_receives_no_internal_comment_but_the_next_public_one() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let mut member = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    member
        .subscribe("1", EVENTS, json!({ "ticket": ticket_id(&ticket) }))
        .await;
    let mut watcher = LiveClient::with_token(&w.app.address, &staff).await;
    watcher
        .subscribe("1", EVENTS, json!({ "ticket": ticket_id(&ticket) }))
        .await;
    subscribed(&w.app, 2).await;

    comment(
        &w,
        &staff,
        &ticket,
        "Internal: check the stock.",
        "INTERNAL",
    )
    .await;
    comment(
        &w,
        &staff,
        &ticket,
        "Your laptop is being prepared.",
        "PUBLIC",
    )
    .await;

    let first = member.next_event("1").await;
    assert_eq!(
        first["comment"]["body"], "Your laptop is being prepared.",
        "{first}"
    );
    assert_eq!(first["comment"]["visibility"], "PUBLIC");
    // Staff see both, in order: the internal note did go out.
    assert_eq!(
        watcher.next_event("1").await["comment"]["visibility"],
        "INTERNAL"
    );
    assert_eq!(
        watcher.next_event("1").await["comment"]["visibility"],
        "PUBLIC"
    );
    member.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_member_of_a_creator_only_organisation_hears_only_of_its_own_tickets() {
    let w = world().await;
    let managers = w.app.ticket_in(&w.manager, TicketStatus::Review).await;
    let own = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let mut member = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    member.subscribe("1", EVENTS, json!({})).await;
    subscribed(&w.app, 1).await;

    transition(&w, &staff, &managers, "QUEUED").await;
    transition(&w, &staff, &own, "QUEUED").await;
    let first = member.next_event("1").await;
    assert_eq!(
        first["ticket"]["reference"],
        own.reference.as_str(),
        "{first}"
    );
}

/// A token for `user` that expires `seconds` after the app's clock.
fn short_token(app: &TestApp, user: &entity::users::Model, seconds: u64) -> String {
    let keys = TokenKeys::new(&JwtConfig {
        secret: TEST_JWT_SECRET.to_owned().into(),
        issuer: "partnerdesk".to_owned(),
        audience: "partnerdesk-api".to_owned(),
        ttl: Duration::from_secs(seconds),
    });
    keys.issue(&user.clone().into(), app.now())
        .expect("token")
        .0
}

/// The operation `id` ends with one error of `code`, then `complete`.
async fn ends_with(live: &mut LiveClient, id: &str, code: &str) {
    let message = live.next().await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], id);
    assert_eq!(error_code(&message["payload"]), Some(code), "{message}");
    let complete = live.next().await;
    assert_eq!(complete["type"], "complete", "{complete}");
    assert_eq!(complete["id"], id);
}

#[tokio::test]
async fn an_expired_token_ends_the_subscription_at_its_expiry() {
    let w = world().await;
    let token = short_token(&w.app, &w.member.user, 2);
    let mut live = LiveClient::with_token(&w.app.address, &token).await;
    live.subscribe("1", EVENTS, json!({})).await;
    subscribed(&w.app, 1).await;
    // No event is needed: the timer at the token's expiry ends it.
    ends_with(&mut live, "1", "UNAUTHENTICATED").await;
    assert_eq!(w.app.state.live.subscribers(), 0);
}

#[tokio::test]
async fn a_token_that_expired_meanwhile_ends_the_subscription_at_the_next_event() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let mut live = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    live.subscribe("1", EVENTS, json!({})).await;
    subscribed(&w.app, 1).await;
    // The app's clock passes the token's expiry (8 hours) at once; the
    // timer, on the runtime's clock, would wait.
    w.app.clock.advance(chrono::Duration::hours(9));
    let staff = w.token(&w.staff).await;
    transition(&w, &staff, &ticket, "QUEUED").await;
    ends_with(&mut live, "1", "UNAUTHENTICATED").await;
}

/// Runs `sql` with `?` placeholders (rewritten to `$n` on PostgreSQL) on
/// the app's database, behind the app's back.
async fn execute(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    let backend = app.state.db.get_database_backend();
    let mut text = String::new();
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' && backend == DbBackend::Postgres {
            n += 1;
            text.push_str(&format!("${n}"));
        } else {
            text.push(c);
        }
    }
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(backend, text, values))
        .await
        .expect("statement");
}

#[tokio::test]
async fn a_revoked_token_or_a_deactivated_user_ends_the_subscription() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let mut member = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    member.subscribe("1", EVENTS, json!({})).await;
    let mut manager = LiveClient::with_token(&w.app.address, &w.token(&w.manager).await).await;
    manager.subscribe("1", EVENTS, json!({})).await;
    subscribed(&w.app, 2).await;

    // Revoking bumps the token version; deactivating clears is_active.
    execute(
        &w.app,
        "UPDATE users SET token_version = token_version + 1 WHERE id = ?",
        vec![w.member.user.id.into()],
    )
    .await;
    execute(
        &w.app,
        "UPDATE users SET is_active = ? WHERE id = ?",
        vec![false.into(), w.manager.user.id.into()],
    )
    .await;
    transition(&w, &staff, &ticket, "QUEUED").await;
    ends_with(&mut member, "1", "UNAUTHENTICATED").await;
    ends_with(&mut manager, "1", "UNAUTHENTICATED").await;
    // The connection's token no longer opens a subscription either.
    member.subscribe("2", EVENTS, json!({})).await;
    let refused = member.next().await;
    assert_eq!(
        error_code(&refused["payload"]),
        Some("UNAUTHENTICATED"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_change_of_role_ends_the_subscription_with_forbidden() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let mut live = LiveClient::with_token(&w.app.address, &w.token(&w.manager).await).await;
    live.subscribe("1", EVENTS, json!({})).await;
    subscribed(&w.app, 1).await;
    // A manager demoted to member of a CREATOR_ONLY organisation would no
    // longer see the member's ticket: the subscription must not go on
    // with the rights it started with.
    execute(
        &w.app,
        "UPDATE users SET role = ? WHERE id = ?",
        vec!["PARTNER_MEMBER".into(), w.manager.user.id.into()],
    )
    .await;
    transition(&w, &staff, &ticket, "QUEUED").await;
    ends_with(&mut live, "1", "FORBIDDEN").await;
}

/// The close frame the server ends the connection with.
async fn close_code(socket: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> Option<CloseCode> {
    loop {
        match tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("an answer in time")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(Message::Text(text))) => panic!("expected a close, got {text}"),
            Some(Ok(_)) => {}
            Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) | None => return None,
            Some(Err(e)) => panic!("socket error: {e}"),
        }
    }
}

#[tokio::test]
async fn a_bad_token_in_connection_init_is_refused_with_4403() {
    let w = world().await;
    let expired = short_token(&w.app, &w.member.user, 1);
    w.app.clock.advance(chrono::Duration::seconds(5));
    for payload in [
        json!({ "token": "not-a-token" }),
        json!({ "Authorization": "Bearer not-a-token" }),
        json!({ "Authorization": "Basic abc" }),
        json!({ "token": expired }),
        json!({}),
        Value::Null,
    ] {
        let mut socket = open_socket(&w.app.address).await;
        socket
            .send(Message::text(
                json!({ "type": "connection_init", "payload": payload }).to_string(),
            ))
            .await
            .expect("send");
        assert_eq!(
            close_code(&mut socket).await,
            Some(CloseCode::Library(4403)),
            "{payload}"
        );
    }
    // The headers pane's form is accepted too.
    let token = w.token(&w.member).await;
    let mut live = LiveClient::connect(
        &w.app.address,
        json!({ "Authorization": format!("Bearer {token}") }),
    )
    .await;
    live.subscribe("1", EVENTS, json!({})).await;
    subscribed(&w.app, 1).await;
}

#[tokio::test]
async fn the_socket_serves_subscriptions_only_and_checks_its_arguments() {
    let w = world().await;
    let mut live = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    live.subscribe("q", "{ viewer { id } }", json!({})).await;
    let refused = live.next().await;
    assert_eq!(
        error_code(&refused["payload"]),
        Some("VALIDATION"),
        "{refused}"
    );
    assert!(
        refused["payload"]["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("POST /graphql")),
        "{refused}"
    );
    assert_eq!(live.next().await["type"], "complete");
    live.subscribe(
        "bad",
        EVENTS,
        json!({ "ticket": to_global_id("User", w.member.user.id).0 }),
    )
    .await;
    let refused = live.next().await;
    assert_eq!(
        error_code(&refused["payload"]),
        Some("VALIDATION"),
        "{refused}"
    );
    assert!(refused.to_string().contains("ticketId"), "{refused}");
    assert_eq!(w.app.state.live.subscribers(), 0);

    // Over HTTP a subscription is not served.
    let body = w
        .app
        .graphql(EVENTS, json!({}), Some(&w.token(&w.member).await))
        .await;
    assert!(!body["errors"].is_null(), "{body}");

    // A client that does not speak graphql-transport-ws is turned away.
    let url = format!(
        "{}/graphql/ws",
        w.app.address.replacen("http://", "ws://", 1)
    );
    let failed = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(failed.is_err(), "upgraded without the subprotocol");
}

#[tokio::test]
async fn the_socket_applies_the_document_limits_before_validation() {
    let w = world().await;
    let mut live = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    // `subscription { ...F25 }`, each fragment spreading the one below
    // twice: 2^25 paths once inlined.
    let mut bomb = String::from(
        "subscription { ...F25 } fragment F0 on Subscription { ticketEvents { __typename } }",
    );
    for i in 1..=25 {
        let below = i - 1;
        bomb.push_str(&format!(
            " fragment F{i} on Subscription {{ ...F{below} ...F{below} }}"
        ));
    }
    let validations = w.app.state.validations.get();
    let started = std::time::Instant::now();
    live.subscribe("bomb", &bomb, json!({})).await;
    let refused = live.next().await;
    assert_eq!(
        error_code(&refused["payload"]),
        Some("VALIDATION"),
        "{refused}"
    );
    assert_eq!(live.next().await["type"], "complete");
    assert!(started.elapsed() < Duration::from_secs(1), "refused late");
    assert_eq!(
        w.app.state.validations.get(),
        validations,
        "the library validated the bomb"
    );
    assert_eq!(w.app.state.live.subscribers(), 0);
}

/// A second instance of the app of `w`, on the same database.
async fn second_instance(
    w: &World,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    Arc<tempfile::TempDir>,
) {
    use secrecy::ExposeSecret as _;
    let data_dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let config = test_config(
        w.app.state.config.database_url.expose_secret().to_owned(),
        data_dir.path(),
    );
    let app = Application::build(config, Arc::new(w.app.clock.clone()))
        .await
        .expect("build the second instance");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    (address, tx, data_dir)
}

fn on_postgres(app: &TestApp) -> bool {
    if app.state.db.get_database_backend() == DbBackend::Postgres {
        return true;
    }
    eprintln!(
        "cross-instance test skipped: SQLite serves one instance per file (run with TEST_DATABASE_URL for PostgreSQL)"
    );
    false
}

#[tokio::test]
async fn an_event_published_on_one_instance_reaches_a_subscriber_on_another() {
    let w = world().await;
    if !on_postgres(&w.app) {
        return;
    }
    let (other, _stop, _dir) = second_instance(&w).await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let mut live = LiveClient::with_token(&other, &w.token(&w.member).await).await;
    live.subscribe("1", EVENTS, json!({ "ticket": ticket_id(&ticket) }))
        .await;
    let mut local = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    local
        .subscribe("1", EVENTS, json!({ "ticket": ticket_id(&ticket) }))
        .await;
    subscribed(&w.app, 1).await;
    // The first subscription is on the other instance: give its first
    // poll a moment, then publish on this one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    comment(
        &w,
        &staff,
        &ticket,
        "Internal: from instance one.",
        "INTERNAL",
    )
    .await;
    transition(&w, &staff, &ticket, "QUEUED").await;
    for client in [&mut live, &mut local] {
        let moved = client.next_event("1").await;
        assert_eq!(moved["kind"], "STATUS_CHANGED", "{moved}");
        assert_eq!(moved["ticket"]["status"], "QUEUED");
    }
    // Exactly once on either instance: an instance does not take its own
    // notifications for another's.
    live.expect_silence(Duration::from_millis(300)).await;
    local.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn the_listener_reconnects_after_its_connection_is_killed() {
    let w = world().await;
    if !on_postgres(&w.app) {
        return;
    }
    let (other, _stop, _dir) = second_instance(&w).await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = w.token(&w.staff).await;
    let mut live = LiveClient::with_token(&other, &w.token(&w.staff).await).await;
    live.subscribe("1", EVENTS, json!({ "ticket": ticket_id(&ticket) }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every listening connection on this database goes.
    let killed = w
        .app
        .state
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        ))
        .await
        .expect("terminate the listeners");
    assert!(!killed.is_empty(), "no listening connection found");
    // Events published while it reconnects are lost (documented); keep
    // publishing until one arrives.
    let mut arrived = None;
    for n in 0..50 {
        comment(&w, &staff, &ticket, &format!("note {n}"), "INTERNAL").await;
        if let Ok(message) = tokio::time::timeout(Duration::from_millis(200), live.next()).await {
            arrived = Some(message);
            break;
        }
    }
    let arrived = arrived.expect("an event after the listener reconnected");
    assert_eq!(
        arrived["payload"]["data"]["ticketEvents"]["kind"], "COMMENT_ADDED",
        "{arrived}"
    );
}

#[tokio::test]
async fn closing_the_subscriptions_completes_each_of_them() {
    let w = world().await;
    let mut live = LiveClient::with_token(&w.app.address, &w.token(&w.member).await).await;
    live.subscribe("1", EVENTS, json!({})).await;
    live.subscribe("2", EVENTS, json!({})).await;
    subscribed(&w.app, 2).await;
    // What a shutdown does before it stops serving.
    w.app.state.live.close_subscriptions();
    let mut completed = Vec::new();
    for _ in 0..2 {
        let message = live.next().await;
        assert_eq!(message["type"], "complete", "{message}");
        completed.push(message["id"].to_string());
    }
    completed.sort();
    assert_eq!(completed, ["\"1\"", "\"2\""]);
    // Subscribing after the close completes at once.
    live.subscribe("3", EVENTS, json!({})).await;
    assert_eq!(live.next().await["type"], "complete");
}
