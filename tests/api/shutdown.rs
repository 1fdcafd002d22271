//! Graceful shutdown: on SIGTERM the server stops accepting connections,
//! finishes the requests in flight, closes each subscription with
//! `complete` and its socket with "going away" (1001), and exits 0 within
//! `SHUTDOWN_GRACE`. The process is the real binary; the slow request is a
//! client that sends its body in two halves, with the signal in between.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use partnerdesk::clock::ManualClock;
use partnerdesk::startup::Application;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::databases::TestDatabase;
use crate::helpers::{test_config, test_start};
use crate::live::LiveClient;
use crate::server_process::ServerProcess;

/// The grace period the server is given.
const GRACE: Duration = Duration::from_secs(10);

/// Logs in over HTTP; returns the access token.
async fn login(address: &str, email: &str, password: &str) -> String {
    let body: Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            "variables": { "e": email, "p": password },
        }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("JSON");
    body["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {body}"))
        .to_owned()
}

/// Whether a new TCP connection to `host` is refused.
async fn refused(host: &str) -> bool {
    matches!(
        TcpStream::connect(host).await,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_closes_subscriptions_and_exits_zero() {
    let grace = GRACE.as_secs().to_string();
    let mut server = ServerProcess::start(&[("SHUTDOWN_GRACE", &grace)]).await;
    let member = server.login_of("PartnerMember").clone();
    let token = login(&server.address, &member.email, &member.password).await;

    // A subscription, open before the signal.
    let mut live = LiveClient::with_token(&server.address, &token).await;
    live.subscribe(
        "events",
        "subscription { ticketEvents { kind } }",
        json!({}),
    )
    .await;
    // The request in flight: its head and half its body are sent.
    let body = json!({
        "query": "query Slow { viewer { email } }",
        "operationName": "Slow",
    })
    .to_string();
    let mut slow = TcpStream::connect(server.host()).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         authorization: Bearer {token}\r\ncontent-length: {}\r\n\r\n",
        server.host(),
        body.len()
    );
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    slow.write_all(head.as_bytes()).await.expect("head");
    slow.write_all(first).await.expect("first half");
    // Time for the server to read the head and start the request.
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.terminate();
    let signalled = Instant::now();

    // The subscription completes, then its socket closes with 1001.
    let complete = live.next().await;
    assert_eq!(complete["type"], "complete", "{complete}");
    assert_eq!(complete["id"], "events");
    match live.next_frame().await {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(frame.code, CloseCode::Away, "{frame:?}");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }

    // New connections are refused while the request is still in flight.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !refused(server.host()).await {
        assert!(
            Instant::now() < deadline,
            "the server still accepts connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        server.exited(Duration::from_millis(500)).await.is_none(),
        "the server waits for the request in flight"
    );

    // The rest of the body: the request completes.
    slow.write_all(second).await.expect("second half");
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut response))
        .await
        .expect("the response in time")
        .expect("read the response");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(&format!("\"email\":\"{}\"", member.email)),
        "{response}"
    );

    let status = server
        .exited(GRACE.saturating_sub(signalled.elapsed()))
        .await
        .unwrap_or_else(|| panic!("no exit within the grace period:\n{}", server.log()));
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(signalled.elapsed() < GRACE);
}

#[tokio::test]
async fn workers_finish_their_current_job_within_the_grace_period_and_no_longer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = TestDatabase::migrated(dir.path()).await;
    let mut config = test_config(database.url.clone(), dir.path());
    config.shutdown_grace = Duration::from_secs(2);
    let clock = Arc::new(ManualClock::new(test_start()));
    let mut app = Application::build(config, clock).await.expect("build");

    // One worker finishes its send in 300 ms once told to stop; the other
    // never stops, and is cut off at the end of the grace period.
    let finished = Arc::new(AtomicBool::new(false));
    app.spawn_worker({
        let finished = finished.clone();
        move |mut stop| {
            tokio::spawn(async move {
                let _ = stop.wait_for(|stop| *stop).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                finished.store(true, Ordering::SeqCst);
            })
        }
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let started = Instant::now();
    tx.send(()).expect("signal");
    server.await.expect("join").expect("served");
    assert!(finished.load(Ordering::SeqCst), "the current job finished");
    assert!(started.elapsed() < Duration::from_secs(2));

    let config = {
        let mut config = test_config(database.url.clone(), dir.path());
        config.shutdown_grace = Duration::from_millis(500);
        config
    };
    let clock = Arc::new(ManualClock::new(test_start()));
    let mut app = Application::build(config, clock).await.expect("build");
    app.spawn_worker(|_stop| tokio::spawn(std::future::pending::<()>()));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let started = Instant::now();
    tx.send(()).expect("signal");
    server.await.expect("join").expect("served");
    let elapsed = started.elapsed();
    assert!(
        (Duration::from_millis(450)..Duration::from_secs(3)).contains(&elapsed),
        "cut off after the grace period: {elapsed:?}"
    );
}

/// A socket opened on an instance that is shutting down is closed with
/// 1001 at once.
#[tokio::test]
async fn an_instance_shutting_down_says_going_away() {
    let w = crate::helpers::world().await;
    let token = w.token(&w.member).await;
    let mut live = LiveClient::with_token(&w.app.address, &token).await;
    live.subscribe("a", "subscription { ticketEvents { kind } }", json!({}))
        .await;
    crate::live::subscribed(&w.app, 1).await;
    w.app.state.live.close_subscriptions();
    assert_eq!(live.next().await["type"], "complete");
    match live.next_frame().await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame, got {other:?}"),
    }
    tokio::time::timeout(Duration::from_secs(5), w.app.state.live.sockets_closed())
        .await
        .expect("the socket is counted closed");
    assert_eq!(w.app.state.live.subscribers(), 0);
}
