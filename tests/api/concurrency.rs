//! Concurrent writes: 100 `orderLaptop` calls at once, while staff approve
//! and ship other orders (each shipment invoices it), partners comment on
//! the tickets being approved and two quarterly invoicing runs go. On
//! PostgreSQL and on SQLite alike (`TEST_DATABASE_URL`).
//!
//! Every request must succeed: no deadlock, serialisation failure or
//! "database is locked" may reach a client. Every acknowledged order is
//! stored exactly once, and the `GEM-<n>` references the counter handed out
//! are unique and consecutive.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use entity::enums::{BillingMode, TicketStatus};
use entity::{invoice_lines, invoices, organisations, tickets};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, IntoActiveModel as _,
    PaginatorTrait as _, QueryFilter as _,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TicketFixture, spawn_app_configured, world_on};

const ORDERS: usize = 100;
/// Tickets approved while the orders go, each commented on meanwhile.
const APPROVALS: usize = 10;
/// READY_TO_SHIP orders shipped (and invoiced) while the orders go.
const SHIPMENTS: usize = 10;
/// QUARTERLY tickets shipped in the third quarter, for the runs.
const QUARTERLY_ORDERS: usize = 6;

const ORDER: &str = "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }";
const APPROVE: &str = "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { status } } }";
const SHIP: &str = "mutation($id: ID!, $n: String!) { shipOrder(input: {ticketId: $id, deviceModel: \"Lenovo ThinkPad T480\", serialNumber: $n, shippedAt: \"2026-11-20T10:00:00Z\"}) { ticket { status } } }";
const COMMENT: &str =
    "mutation($id: ID!, $b: String!) { addComment(ticketId: $id, body: $b) { comment { id } } }";
const QUARTERLY: &str =
    "mutation { issueQuarterlyInvoices(year: 2026, quarter: 3) { invoices { id } } }";

fn global(ticket: &tickets::Model) -> String {
    partnerdesk::relay::to_global_id("Ticket", ticket.id).0
}

/// One request, as a client sees it: the body, whatever its status.
async fn call(app: &TestApp, token: &str, query: &'static str, variables: Value) -> Value {
    let response = app.graphql_response(query, variables, Some(token)).await;
    let status = response.status().as_u16();
    let mut body: Value = response.json().await.expect("JSON body");
    body["status"] = status.into();
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_orders_beside_approvals_shipments_comments_and_invoicing_all_succeed_once()
 {
    // A pool and a wait large enough that the pool itself refuses no one:
    // what is tested is the database's own contention.
    let app = spawn_app_configured(|config| {
        config.database_max_connections = 10;
        config.database_acquire_timeout = Duration::from_secs(60);
    })
    .await;
    let w = world_on(app).await;
    let db = w.app.state.db.clone();
    let mut beta = organisations::Entity::find_by_id(w.beta.id)
        .one(&db)
        .await
        .expect("read")
        .expect("beta")
        .into_active_model();
    beta.billing_mode = Set(BillingMode::Quarterly);
    beta.update(&db).await.expect("beta is QUARTERLY");
    let q3 = chrono::DateTime::parse_from_rfc3339("2026-08-10T10:00:00Z")
        .expect("a date")
        .to_utc();
    for n in 0..QUARTERLY_ORDERS {
        TicketFixture::laptop(
            &w.beta_member.user,
            &format!("GEM-{}", 8001 + n),
            TicketStatus::ReadyForBilling,
            q3,
        )
        .insert(&db)
        .await
        .expect("a shipped QUARTERLY order");
    }
    let mut to_approve = Vec::new();
    for _ in 0..APPROVALS {
        to_approve.push(w.app.ticket_in(&w.member, TicketStatus::Review).await);
    }
    let mut to_ship = Vec::new();
    for _ in 0..SHIPMENTS {
        to_ship.push(w.app.ticket_in(&w.manager, TicketStatus::ReadyToShip).await);
    }
    let tokens = [
        w.token(&w.member).await,
        w.token(&w.manager).await,
        w.token(&w.beta_member).await,
    ];
    let staff = w.token(&w.staff).await;
    let (app, tokens, staff) = (&w.app, &tokens, &staff);

    let started = Instant::now();
    let orders = futures_util::future::join_all((0..ORDERS).map(|n| async move {
        let input = json!({
            "recipientName": format!("Recipient {n}"), "street": "Bahnhofstrasse 1",
            "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
        });
        let at = Instant::now();
        let body = call(app, &tokens[n % 3], ORDER, json!({ "input": input })).await;
        (body, at.elapsed())
    }));
    let approvals = futures_util::future::join_all(
        to_approve
            .iter()
            .map(|t| call(app, staff, APPROVE, json!({ "id": global(t) }))),
    );
    let comments = futures_util::future::join_all(to_approve.iter().flat_map(|t| {
        (0..3).map(move |n| {
            call(
                app,
                &tokens[0],
                COMMENT,
                json!({ "id": global(t), "b": format!("Any news? ({n})") }),
            )
        })
    }));
    let shipments = futures_util::future::join_all(to_ship.iter().map(|t| {
        call(
            app,
            staff,
            SHIP,
            json!({ "id": global(t), "n": format!("SN-{}", t.id) }),
        )
    }));
    let runs =
        futures_util::future::join_all((0..2).map(|_| call(app, staff, QUARTERLY, json!({}))));
    let (orders, approvals, comments, shipments, runs) =
        tokio::join!(orders, approvals, comments, shipments, runs);
    let took = started.elapsed();

    let failures: Vec<&Value> = orders
        .iter()
        .map(|(body, _)| body)
        .chain(&approvals)
        .chain(&comments)
        .chain(&shipments)
        .chain(&runs)
        .filter(|body| !body["errors"].is_null())
        .collect();
    assert!(
        failures.is_empty(),
        "{} requests failed: {failures:#?}",
        failures.len()
    );
    let slowest = orders.iter().map(|(_, t)| *t).max().unwrap_or_default();

    // Every acknowledged order once, under a reference of its own, the
    // references consecutive.
    let mut numbers = BTreeSet::new();
    for (body, _) in &orders {
        let reference = body["data"]["orderLaptop"]["ticket"]["reference"]
            .as_str()
            .expect("a reference");
        let stored = tickets::Entity::find()
            .filter(tickets::Column::Reference.eq(reference))
            .count(&db)
            .await
            .expect("count");
        assert_eq!(stored, 1, "{reference} stored once");
        let number: u64 = reference
            .strip_prefix("GEM-")
            .and_then(|n| n.parse().ok())
            .expect("GEM-<n>");
        assert!(numbers.insert(number), "{reference} handed out twice");
    }
    let (first, last) = (
        numbers.first().copied().unwrap_or_default(),
        numbers.last().copied().unwrap_or_default(),
    );
    assert_eq!(
        last - first + 1,
        ORDERS as u64,
        "references from GEM-{first} to GEM-{last}: not consecutive"
    );

    // The quarterly runs issued one invoice for beta's six orders, once.
    let issued: usize = runs
        .iter()
        .map(|body| {
            body["data"]["issueQuarterlyInvoices"]["invoices"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    assert_eq!(issued, 1, "one quarterly invoice: {runs:?}");
    let live_lines = invoice_lines::Entity::find()
        .filter(invoice_lines::Column::IsLive.eq(true))
        .all(&db)
        .await
        .expect("lines");
    let mut tickets_billed: Vec<i64> = live_lines.iter().map(|l| l.ticket_id).collect();
    tickets_billed.sort_unstable();
    tickets_billed.dedup();
    assert_eq!(
        (live_lines.len(), tickets_billed.len()),
        (SHIPMENTS + QUARTERLY_ORDERS, SHIPMENTS + QUARTERLY_ORDERS),
        "each shipped order on exactly one live line"
    );
    let mut invoice_numbers: Vec<String> = invoices::Entity::find()
        .all(&db)
        .await
        .expect("invoices")
        .into_iter()
        .map(|i| i.number)
        .collect();
    let count = invoice_numbers.len();
    invoice_numbers.sort_unstable();
    invoice_numbers.dedup();
    assert_eq!(invoice_numbers.len(), count, "invoice numbers unique");
    assert_eq!(count, SHIPMENTS + 1);

    println!(
        "concurrency ({:?}): {ORDERS} orders, {APPROVALS} approvals, {} comments, {SHIPMENTS} \
         shipments and 2 quarterly runs at once: every one succeeded in {:.1} s, the slowest \
         order {:.2} s; {ORDERS} orders stored once each, GEM-{first} to GEM-{last}; {count} \
         invoices, each shipped order on one live line",
        db.get_database_backend(),
        comments.len(),
        took.as_secs_f64(),
        slowest.as_secs_f64(),
    );
}
