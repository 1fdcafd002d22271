//! The database out of reach: requests fail fast with HTTP 503 and
//! SERVICE_UNAVAILABLE (never INTERNAL, never a hang), `/readyz` says 503
//! at once while `/healthz` says 200.
//!
//! First on the test's own database, SQLite or PostgreSQL, by closing the
//! server's pool; then on a PostgreSQL cluster of the test's own
//! ([`crate::pg_cluster`], mandatory in CI), stopped as a crash would stop
//! it under clients writing orders and shipments, and started again: the
//! server serves again without a restart, every acknowledged order is
//! stored, and no transaction is left half-written.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{error_code, world};

/// Generous: a closed pool refuses at once; this only catches a hang.
const CEILING: Duration = Duration::from_secs(3);

#[tokio::test]
async fn a_closed_pool_answers_service_unavailable_within_the_ceiling_not_internal() {
    let w = world().await;
    let token = w.token(&w.member).await;
    w.app.state.db.close_by_ref().await.expect("close the pool");

    let started = Instant::now();
    let response = w
        .app
        .graphql_response(
            "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id } } }",
            json!({ "input": {
                "recipientName": "Amina Haddad", "street": "Bahnhofstrasse 1",
                "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
            } }),
            Some(&token),
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(error_code(&body), Some("SERVICE_UNAVAILABLE"), "{body}");
    assert!(!body.to_string().contains("pool"), "no cause shown: {body}");
    assert!(elapsed < CEILING, "{elapsed:?}");

    // Anonymous, a query that reads a table: the same answer.
    let response = w
        .app
        .graphql_response(
            "mutation { login(email: \"nobody@example.com\", password: \"not the password\") { token } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(error_code(&body), Some("SERVICE_UNAVAILABLE"), "{body}");

    let get = |path: &'static str| {
        let url = format!("{}{path}", w.app.address);
        let client = w.app.client.clone();
        async move {
            let started = Instant::now();
            let status = client.get(url).send().await.expect("request").status();
            (status.as_u16(), started.elapsed())
        }
    };
    let (ready, ready_after) = get("/readyz").await;
    assert_eq!(ready, 503);
    assert!(ready_after < CEILING, "{ready_after:?}");
    assert_eq!(get("/healthz").await.0, 200);
}

/// How long a request of the outage test waits for a connection
/// (`DATABASE_ACQUIRE_TIMEOUT`).
const ACQUIRE: Duration = Duration::from_secs(2);
/// How long PostgreSQL stays down.
const OUTAGE: Duration = Duration::from_secs(5);
/// Writing clients ordering laptops at once.
const WRITERS: usize = 4;

const ORDER: &str = "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }";
const APPROVE: &str = "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { status } } }";
const SHIP: &str = "mutation($id: ID!, $n: String!) { shipOrder(input: {ticketId: $id, deviceModel: \"Lenovo ThinkPad T480\", serialNumber: $n, shippedAt: \"2026-11-20T10:00:00Z\"}) { ticket { status } } }";

/// One request of a client, as the client saw it.
#[derive(Debug)]
struct Attempt {
    /// When it was sent, from the start of the run.
    sent: Duration,
    took: Duration,
    outcome: Outcome,
}

#[derive(Debug)]
#[expect(
    dead_code,
    reason = "the error text is read through Debug, in the assertion's message"
)]
enum Outcome {
    /// Acknowledged: `data` and no error. The ticket's id and reference
    /// for an order.
    Done(Option<(String, String)>),
    /// An error response: its HTTP status and `extensions.code`.
    Refused(u16, Option<String>),
    /// No response at all (the client gave up after 30 s).
    Lost(String),
}

/// Sends one GraphQL mutation the way a client would, with a 30 s timeout.
async fn send(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    query: &str,
    variables: serde_json::Value,
    started: Instant,
) -> Attempt {
    let sent = started.elapsed();
    let at = Instant::now();
    let response = client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(30))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await;
    let outcome = match response {
        Err(e) => Outcome::Lost(e.to_string()),
        Ok(response) => {
            let status = response.status().as_u16();
            match response.json::<serde_json::Value>().await {
                Err(e) => Outcome::Lost(format!("{status}: {e}")),
                Ok(body) if status == 200 && body["errors"].is_null() => {
                    let ticket = &body["data"]["orderLaptop"]["ticket"];
                    Outcome::Done(
                        ticket["id"]
                            .as_str()
                            .zip(ticket["reference"].as_str())
                            .map(|(id, r)| (id.to_owned(), r.to_owned())),
                    )
                }
                Ok(body) => Outcome::Refused(status, error_code(&body).map(str::to_owned)),
            }
        }
    };
    Attempt {
        sent,
        took: at.elapsed(),
        outcome,
    }
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait as _;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index::<i64>(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// PostgreSQL stopped (`pg_ctl stop -m immediate`) for 5 s under four
/// clients ordering laptops and a staff client approving and shipping
/// them (each shipment writes its invoice), then started again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_fast_recovers_and_loses_no_acknowledged_order() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use migration::MigratorTrait as _;
    use sea_orm::ConnectionTrait as _;

    use crate::databases::TestDatabase;
    use crate::helpers::{spawn_app_on_configured, world_on};
    use crate::pg_cluster::{Cluster, connect, postgres_bin};

    let Some(bin) = postgres_bin("database outage test") else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let cluster = Arc::new(Cluster::init(&bin, root.path(), "data"));
    cluster.start("");
    let admin = connect(&cluster.url("postgres")).await;
    admin
        .execute_unprepared("CREATE DATABASE desk")
        .await
        .expect("create database");
    admin.close().await.ok();
    let db = connect(&cluster.url("desk")).await;
    migration::Migrator::up(&db, None).await.expect("migrate");
    db.close().await.ok();

    let app = spawn_app_on_configured(TestDatabase::external(cluster.url("desk")), |config| {
        config.database_acquire_timeout = ACQUIRE;
    })
    .await;
    let w = world_on(app).await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let address = w.app.address.clone();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<String>();

    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (client, address, token, stop, acked_tx) = (
            client.clone(),
            address.clone(),
            member.clone(),
            stop.clone(),
            acked_tx.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut log = Vec::new();
            for n in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let input = json!({
                    "recipientName": format!("Writer {writer} order {n}"),
                    "street": "Bahnhofstrasse 1", "postalCode": "8001",
                    "city": "Zürich", "phone": "+41 44 668 18 00"
                });
                let attempt = send(
                    &client,
                    &address,
                    &token,
                    ORDER,
                    json!({ "input": input }),
                    started,
                )
                .await;
                match &attempt.outcome {
                    Outcome::Done(Some((id, _))) => {
                        acked_tx.send(id.clone()).ok();
                    }
                    // A client backs off a little before it retries.
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
                log.push(attempt);
            }
            log
        }));
    }
    drop(acked_tx);
    let shipper = {
        let (client, address, token) = (client.clone(), address.clone(), staff.clone());
        tokio::spawn(async move {
            let mut log = Vec::new();
            while let Some(id) = acked_rx.recv().await {
                let approved = send(
                    &client,
                    &address,
                    &token,
                    APPROVE,
                    json!({ "id": id }),
                    started,
                )
                .await;
                let ok = matches!(approved.outcome, Outcome::Done(_));
                log.push(approved);
                if ok {
                    let serial = format!("SN-{}", log.len());
                    log.push(
                        send(
                            &client,
                            &address,
                            &token,
                            SHIP,
                            json!({ "id": id, "n": serial }),
                            started,
                        )
                        .await,
                    );
                }
            }
            log
        })
    };

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stop_began = started.elapsed();
    let stopping = cluster.clone();
    tokio::task::spawn_blocking(move || stopping.stop_immediately())
        .await
        .expect("stop PostgreSQL");

    let probe = |path: &'static str| {
        let (client, url) = (client.clone(), format!("{address}{path}"));
        async move {
            let at = Instant::now();
            let status = client
                .get(url)
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (status, at.elapsed())
        }
    };
    let (ready_down, readyz_took) = probe("/readyz").await;
    let (health_down, healthz_took) = probe("/healthz").await;
    tokio::time::sleep(OUTAGE.saturating_sub(started.elapsed() - stop_began)).await;

    let starting = cluster.clone();
    tokio::task::spawn_blocking(move || starting.start(""))
        .await
        .expect("start PostgreSQL");
    let restarted_at = started.elapsed();
    let mut ready_again = None;
    while ready_again.is_none() && started.elapsed() < restarted_at + Duration::from_secs(20) {
        if probe("/readyz").await.0 == 200 {
            ready_again = Some(started.elapsed() - restarted_at);
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);

    let mut orders = Vec::new();
    for writer in writers {
        orders.extend(writer.await.expect("writer"));
    }
    let shipments = shipper.await.expect("shipper");

    // What the clients saw.
    let acked: Vec<&str> = orders
        .iter()
        .filter_map(|a| match &a.outcome {
            Outcome::Done(Some((_, reference))) => Some(reference.as_str()),
            _ => None,
        })
        .collect();
    let all: Vec<&Attempt> = orders.iter().chain(&shipments).collect();
    let unexpected: Vec<&&Attempt> = all
        .iter()
        .filter(|a| match &a.outcome {
            Outcome::Done(_) => false,
            Outcome::Refused(503, Some(code)) => code != "SERVICE_UNAVAILABLE",
            Outcome::Refused(..) | Outcome::Lost(_) => true,
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "only SERVICE_UNAVAILABLE (503) may fail a request: {unexpected:#?}"
    );
    let failed: Vec<&&Attempt> = all
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Refused(..)))
        .collect();
    assert!(!failed.is_empty(), "the outage was never felt");
    // Time to fail: from the later of its sending and the stop. A request
    // sent before the stop may have waited its turn for the GEM counter,
    // which is no outage.
    let time_to_fail = |a: &Attempt| (a.sent + a.took).saturating_sub(a.sent.max(stop_began));
    let slowest_failure = failed
        .iter()
        .map(|a| time_to_fail(a))
        .max()
        .unwrap_or_default();
    // Generous: the machine may be loaded; a hang is what this catches.
    let ceiling = ACQUIRE + Duration::from_secs(5);
    let slow: Vec<&&&Attempt> = failed
        .iter()
        .filter(|a| time_to_fail(a) >= ceiling)
        .collect();
    assert!(
        slow.is_empty(),
        "requests failed later than the acquire timeout ({ACQUIRE:?}) allows; \
         PostgreSQL stopped at {stop_began:?}, started at {restarted_at:?}: {slow:#?}"
    );
    let recovered = orders
        .iter()
        .filter(|a| a.sent >= restarted_at && matches!(a.outcome, Outcome::Done(_)))
        .map(|a| a.sent + a.took)
        .min()
        .map(|done| done - restarted_at)
        .expect("an order acknowledged after the restart");
    assert_eq!(ready_down, 503, "/readyz while PostgreSQL is down");
    assert!(
        readyz_took < partnerdesk::http::READINESS_TIMEOUT + Duration::from_secs(1),
        "{readyz_took:?}"
    );
    assert_eq!(health_down, 200, "/healthz while PostgreSQL is down");
    let ready_again = ready_again.expect("/readyz 200 again within 20 s of the restart");

    // What the database holds.
    let db = connect(&cluster.url("desk")).await;
    let mut stored = std::collections::HashSet::new();
    for row in db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT t.reference FROM tickets t JOIN orders o ON o.ticket_id = t.id",
        ))
        .await
        .expect("stored orders")
    {
        stored.insert(row.try_get_by_index::<String>(0).expect("reference"));
    }
    let lost: Vec<&&str> = acked.iter().filter(|r| !stored.contains(**r)).collect();
    assert!(lost.is_empty(), "acknowledged but missing: {lost:?}");
    let half_written = [
        (
            "tickets without their order",
            "SELECT count(*) FROM tickets t WHERE t.kind = 'LAPTOP_ORDER' \
             AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.ticket_id = t.id)",
        ),
        (
            "tickets without their creation event",
            "SELECT count(*) FROM tickets t \
             WHERE NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id)",
        ),
        (
            "invoices without lines",
            "SELECT count(*) FROM invoices i \
             WHERE NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id)",
        ),
        (
            "shipped orders without their invoice line",
            "SELECT count(*) FROM tickets t WHERE t.status = 'READY_FOR_BILLING' \
             AND NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.ticket_id = t.id)",
        ),
    ];
    for (what, sql) in half_written {
        assert_eq!(count(&db, sql).await, 0, "{what}");
    }
    let invoices = count(&db, "SELECT count(*) FROM invoices").await;
    assert!(invoices > 0, "no shipment was invoiced");
    db.close().await.ok();

    println!(
        "database outage: PostgreSQL down {:.1} s under {WRITERS} writers and a shipper; \
         {} requests, {} refused with 503 SERVICE_UNAVAILABLE, the slowest failure after {:.2} s \
         (acquire timeout {:.0} s); /readyz 503 in {} ms, /healthz 200 in {} ms; \
         orders acknowledged {}, stored {} ({} stored without an acknowledgement), lost {}; \
         invoices {}; /readyz 200 again {} ms and the first order acknowledged {} ms after the restart",
        (restarted_at - stop_began).as_secs_f64(),
        all.len(),
        failed.len(),
        slowest_failure.as_secs_f64(),
        ACQUIRE.as_secs_f64(),
        readyz_took.as_millis(),
        healthz_took.as_millis(),
        acked.len(),
        stored.len(),
        stored.len().saturating_sub(acked.len()),
        lost.len(),
        invoices,
        ready_again.as_millis(),
        recovered.as_millis(),
    );
    drop(w);
}
