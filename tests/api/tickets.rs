//! The request workflow: ordering, reviewing, shipping, commenting,
//! delivery issues, and what each viewer sees of it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use entity::enums::{CommentVisibility, Role, TicketEventKind, TicketKind, TicketStatus};
use entity::{attachments, email_outbox, orders, ticket_events, tickets};
use partnerdesk::policy::{Scope, Viewer};
use partnerdesk::relay::to_global_id;
use partnerdesk::tickets::service::{self, Step};
use partnerdesk::tickets::workflow::{self, Action, Actor};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _,
};
use serde_json::{Value, json};

use crate::helpers::{
    FlakyStorage, TestApp, TestFile, TestUser, World, error_code, pdf, spawn_app_with_storage,
    world, world_on,
};

const ORDER: &str = "mutation($input: OrderLaptopInput!) {
  orderLaptop(input: $input) { ticket { id reference status kind order { postalCode phone country forLearning } } }
}";
const TICKET: &str = "query($id: ID!) { ticket(id: $id) {
  reference status
  events { nodes { kind from to note actor { displayName } } }
  comments { totalCount edges { node { body visibility author { displayName isStaff } } } }
  commentCount
  availableTransitions { action to }
  order { deviceModel serialNumber shippedAt }
} }";

fn order_input() -> Value {
    json!({
        "recipientName": "Amina Haddad",
        "street": "Lorrainestrasse 12",
        "postalCode": "3013",
        "city": "Bern",
        "phone": "079 123 45 67",
        "internalReference": "DOSS-1234",
        "forLearning": false,
        "comment": "Mit deutscher Tastatur, bitte."
    })
}

async fn order(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql(ORDER, json!({ "input": input }), Some(token))
        .await
}

async fn ticket(app: &TestApp, token: &str, id: &str) -> Value {
    app.graphql(TICKET, json!({ "id": id }), Some(token)).await
}

/// Row counts of everything an order writes, and the stored files.
async fn footprint(app: &TestApp) -> (u64, u64, u64, u64, u64, usize) {
    let db = &app.state.db;
    let files = walk(&app.state.config.data_dir.join("attachments"));
    (
        tickets::Entity::find().count(db).await.expect("count"),
        orders::Entity::find().count(db).await.expect("count"),
        ticket_events::Entity::find()
            .count(db)
            .await
            .expect("count"),
        email_outbox::Entity::find().count(db).await.expect("count"),
        attachments::Entity::find().count(db).await.expect("count"),
        files,
    )
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_partner_orders_staff_review_and_ship_and_the_partner_follows() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;

    // A laptop for learning, with its certificate in the same request.
    let mut input = order_input();
    input["forLearning"] = json!(true);
    input["certificate"] = Value::Null;
    let body = w
        .app
        .graphql_multipart(
            ORDER,
            json!({ "input": input }),
            vec![TestFile {
                variable: "variables.input.certificate",
                name: "lehrvertrag.pdf",
                bytes: pdf(2048),
            }],
            Some(&member),
        )
        .await;
    let created = &body["data"]["orderLaptop"]["ticket"];
    assert_eq!(created["status"], "REVIEW", "{body}");
    assert_eq!(created["kind"], "LAPTOP_ORDER");
    assert!(
        created["reference"]
            .as_str()
            .is_some_and(|r| r.starts_with("GEM-")),
        "{body}"
    );
    assert_eq!(
        created["order"],
        json!({ "postalCode": "3013", "phone": "+41791234567", "country": "CH", "forLearning": true })
    );
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        attachments::Entity::find()
            .count(&w.app.state.db)
            .await
            .expect("count"),
        1
    );

    // The partner may only cancel; staff review.
    let seen = ticket(&w.app, &member, &id).await;
    assert_eq!(
        seen["data"]["ticket"]["availableTransitions"],
        json!([{ "action": "CANCEL", "to": "CANCELLED" }])
    );
    let approve = "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP, note: \"Stock available\"}) { ticket { status } } }";
    let body = w
        .app
        .graphql(approve, json!({ "id": id }), Some(&member))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = w
        .app
        .graphql(approve, json!({ "id": id }), Some(&staff))
        .await;
    assert_eq!(
        body["data"]["transitionTicket"]["ticket"]["status"], "READY_TO_SHIP",
        "{body}"
    );

    // Staff talk to each other and to the partner.
    let comment = "mutation($id: ID!, $body: String!, $v: CommentVisibility!) { addComment(ticketId: $id, body: $body, visibility: $v) { comment { id } } }";
    let body = w
        .app
        .graphql(
            comment,
            json!({ "id": id, "body": "Internal: learning stock is low", "v": "INTERNAL" }),
            Some(&staff),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = w
        .app
        .graphql(
            comment,
            json!({ "id": id, "body": "Your laptop ships this week.", "v": "PUBLIC" }),
            Some(&staff),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let ship = "mutation($id: ID!, $at: DateTime!) { shipOrder(input: {ticketId: $id, deviceModel: \"Lenovo ThinkPad T480\", serialNumber: \"SN123\", shippedAt: $at, trackingNumber: \"99.00.1\"}) { ticket { status } } }";
    let now = w.app.now().to_rfc3339();
    let body = w
        .app
        .graphql(ship, json!({ "id": id, "at": now }), Some(&member))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = w
        .app
        .graphql(ship, json!({ "id": id, "at": now }), Some(&staff))
        .await;
    assert_eq!(
        body["data"]["shipOrder"]["ticket"]["status"], "READY_FOR_BILLING",
        "{body}"
    );

    // The partner sees every step, the public reply, never the internal note.
    let seen = ticket(&w.app, &member, &id).await;
    let t = &seen["data"]["ticket"];
    assert_eq!(t["status"], "READY_FOR_BILLING", "{seen}");
    let steps: Vec<(Value, Value, Value)> = t["events"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["kind"].clone(), e["from"].clone(), e["to"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (json!("CREATED"), Value::Null, json!("REVIEW")),
            (json!("ATTACHMENT_ADDED"), Value::Null, Value::Null),
            (
                json!("STATUS_CHANGED"),
                json!("REVIEW"),
                json!("READY_TO_SHIP")
            ),
            // The staff's public reply; the internal note left no event.
            (json!("COMMENTED"), Value::Null, Value::Null),
            (
                json!("SHIPPED"),
                json!("READY_TO_SHIP"),
                json!("READY_FOR_BILLING")
            ),
            // Alpha is billed per order: the invoice goes out with the laptop.
            (json!("INVOICED"), Value::Null, Value::Null),
        ],
        "{seen}"
    );
    assert_eq!(t["events"]["nodes"][2]["note"], "Stock available");
    assert_eq!(
        t["events"]["nodes"][2]["actor"]["displayName"], "Sam Staff",
        "partners know staff by name"
    );
    assert_eq!(
        t["commentCount"], 1,
        "the internal note is not counted: {seen}"
    );
    assert_eq!(t["comments"]["totalCount"], 1);
    assert_eq!(
        t["comments"]["edges"][0]["node"],
        json!({ "body": "Your laptop ships this week.", "visibility": "PUBLIC", "author": { "displayName": "Sam Staff", "isStaff": true } })
    );
    assert_eq!(t["order"]["deviceModel"], "Lenovo ThinkPad T480");
    let staff_view = ticket(&w.app, &staff, &id).await;
    assert_eq!(
        staff_view["data"]["ticket"]["commentCount"], 2,
        "staff see both"
    );

    // The creator was emailed: registered, approved, staff reply, shipped.
    let mails = email_outbox::Entity::find()
        .all(&w.app.state.db)
        .await
        .expect("mails");
    let to_member: Vec<_> = mails
        .iter()
        .filter(|m| m.to_address == w.member.email)
        .collect();
    assert_eq!(to_member.len(), 4, "{to_member:#?}");
    assert!(
        to_member
            .iter()
            .all(|m| !m.body_text.contains("learning stock")),
        "no internal note in any email"
    );
}

#[tokio::test]
async fn bad_orders_name_each_field_and_write_nothing() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let before = footprint(&w.app).await;
    let cases: Vec<(&str, Value)> = vec![
        ("input.certificate", json!({ "forLearning": true })),
        ("input.postalCode", json!({ "postalCode": "301" })),
        ("input.phone", json!({ "phone": "call me maybe" })),
        ("input.comment", json!({ "comment": "x".repeat(2001) })),
        (
            "input.recipientName",
            json!({ "recipientName": "Amina\u{0007}" }),
        ),
    ];
    for (field, change) in cases {
        let mut input = order_input();
        for (k, v) in change.as_object().expect("object") {
            input[k] = v.clone();
        }
        let body = order(&w.app, &member, input).await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    // Several bad fields are reported together.
    let mut input = order_input();
    input["postalCode"] = json!("301");
    input["phone"] = json!("nope");
    let body = order(&w.app, &member, input).await;
    let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["input.postalCode", "input.phone"]);

    // Files: one byte over 10 MiB, and an executable named .pdf.
    let mut exe = b"MZ\x90\x00".to_vec();
    exe.resize(4096, 0);
    for (name, bytes) in [
        ("certificate.pdf", pdf(10 * 1024 * 1024 + 1)),
        ("certificate.pdf", exe),
    ] {
        let mut input = order_input();
        input["forLearning"] = json!(true);
        input["certificate"] = Value::Null;
        let body = w
            .app
            .graphql_multipart(
                ORDER,
                json!({ "input": input }),
                vec![TestFile {
                    variable: "variables.input.certificate",
                    name,
                    bytes,
                }],
                Some(&member),
            )
            .await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "input.certificate",
            "{body}"
        );
    }
    assert_eq!(
        footprint(&w.app).await,
        before,
        "no row and no file written"
    );
}

#[tokio::test]
async fn fifty_concurrent_orders_get_consecutive_references() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let requests = (0..50).map(|_| order(&w.app, &member, order_input()));
    let bodies = futures_util::future::join_all(requests).await;
    let mut numbers: Vec<u64> = bodies
        .iter()
        .map(|b| {
            b["data"]["orderLaptop"]["ticket"]["reference"]
                .as_str()
                .and_then(|r| r.strip_prefix("GEM-"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("an order failed: {b}"))
        })
        .collect();
    numbers.sort_unstable();
    let first = numbers[0];
    assert_eq!(
        numbers,
        (first..first + 50).collect::<Vec<_>>(),
        "unique and consecutive"
    );
}

/// The GEM number of an `orderLaptop` answer.
fn reference_number(body: &Value) -> u64 {
    body["data"]["orderLaptop"]["ticket"]["reference"]
        .as_str()
        .and_then(|r| r.strip_prefix("GEM-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no reference: {body}"))
}

#[tokio::test]
async fn a_failed_order_consumes_no_reference() {
    // The certificate is stored inside the order's transaction, after the
    // ticket has taken its GEM number: a store that refuses the write fails
    // the order there, and the rollback must give the number back.
    let storage = Arc::new(FlakyStorage::default());
    let w = world_on(spawn_app_with_storage(storage.clone()).await).await;
    let member = w.token(&w.member).await;
    let first = order(&w.app, &member, order_input()).await;

    let mut input = order_input();
    input["forLearning"] = json!(true);
    input["certificate"] = Value::Null;
    let before = footprint(&w.app).await;
    storage.refuse_writes(true);
    let failed = w
        .app
        .graphql_multipart(
            ORDER,
            json!({ "input": input }),
            vec![TestFile {
                variable: "variables.input.certificate",
                name: "lehrvertrag.pdf",
                bytes: pdf(2048),
            }],
            Some(&member),
        )
        .await;
    storage.refuse_writes(false);
    assert_eq!(error_code(&failed), Some("INTERNAL"), "{failed}");
    assert!(storage.refused() > 0, "the order reached the store");
    assert_eq!(footprint(&w.app).await, before, "nothing written");
    assert_eq!(storage.len(), 0, "no file kept");

    let second = order(&w.app, &member, order_input()).await;
    assert_eq!(reference_number(&second), reference_number(&first) + 1);
}

#[tokio::test]
async fn a_step_on_a_stale_read_of_the_ticket_is_a_conflict() {
    let w = world().await;
    let t = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let staff = Scope::new(Viewer {
        user_id: w.staff.user.id,
        organisation_id: w.provider.id,
        role: Role::Staff,
        ticket_visibility: w.provider.ticket_visibility,
    });
    let state = &w.app.state;
    let stale = staff.ticket(&state.db, t.id).await.expect("read");
    // Another request queues the ticket after that read.
    let queued = service::apply_step(
        state,
        &staff,
        t.id,
        Step::Move {
            action: Action::Queue,
            note: None,
            internal_note: None,
        },
        None,
    )
    .await
    .expect("queue");
    assert_eq!(queued.version, stale.version + 1);
    let before = footprint(&w.app).await;

    let result = service::apply_step_to(
        state,
        &staff,
        stale,
        Step::Move {
            action: Action::Approve,
            note: None,
            internal_note: None,
        },
    )
    .await;
    let err = result.expect_err("a step on a stale read");
    assert_eq!(err.code(), "CONFLICT", "{err:?}");
    let now = tickets::Entity::find_by_id(t.id)
        .one(&state.db)
        .await
        .expect("read")
        .expect("ticket");
    assert_eq!(now, queued, "the ticket is as the other request left it");
    assert_eq!(footprint(&w.app).await, before, "no event and no email");
}

/// The mutation that asks for `action` on ticket `id`.
fn request_for(action: Action, now: DateTime<Utc>) -> (&'static str, Value) {
    let now = now.to_rfc3339();
    match action {
        Action::Queue => (
            "mutation($id: ID!) { r: transitionTicket(input: {ticketId: $id, to: QUEUED}) { ticket { status } } }",
            json!({}),
        ),
        Action::ReturnToReview => (
            "mutation($id: ID!) { r: transitionTicket(input: {ticketId: $id, to: REVIEW}) { ticket { status } } }",
            json!({}),
        ),
        Action::Approve => (
            "mutation($id: ID!) { r: transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { status } } }",
            json!({}),
        ),
        Action::Cancel => (
            "mutation($id: ID!) { r: cancelTicket(ticketId: $id, reason: \"No longer needed\") { ticket { status } } }",
            json!({}),
        ),
        Action::Ship => (
            "mutation($id: ID!, $at: DateTime!) { r: shipOrder(input: {ticketId: $id, deviceModel: \"HP EliteBook\", serialNumber: \"SN1\", shippedAt: $at}) { ticket { status } } }",
            json!({ "at": now }),
        ),
        Action::MarkBilled => ("", json!({})),
    }
}

#[tokio::test]
async fn every_step_for_every_role_follows_the_workflow() {
    let w = world().await;
    let statuses = [
        TicketStatus::Review,
        TicketStatus::Queued,
        TicketStatus::ReadyToShip,
        TicketStatus::ReadyForBilling,
        TicketStatus::Billed,
        TicketStatus::Cancelled,
    ];
    // A manager sees all of Alpha; the member created the tickets.
    let viewers: [(&TestUser, Actor); 4] = [
        (&w.member, Actor::Partner),
        (&w.manager, Actor::Partner),
        (&w.staff, Actor::Staff),
        (&w.admin, Actor::Staff),
    ];
    for (user, actor) in viewers {
        let token = w.token(user).await;
        for status in statuses {
            for action in Action::ALL {
                if action == Action::MarkBilled {
                    continue; // invoicing only: no mutation offers it
                }
                let t = w.app.ticket_in(&w.member, status).await;
                let (query, mut variables) = request_for(action, w.app.now());
                variables["id"] = json!(to_global_id("Ticket", t.id).as_str());
                // Status events; shipping a PER_ORDER order also records
                // its invoice, which the invoicing tests check.
                let status_events = || {
                    ticket_events::Entity::find()
                        .filter(ticket_events::Column::Kind.ne(TicketEventKind::Invoiced))
                };
                let events_before = status_events().count(&w.app.state.db).await.expect("count");
                let body = w.app.graphql(query, variables, Some(&token)).await;
                let after = tickets::Entity::find_by_id(t.id)
                    .one(&w.app.state.db)
                    .await
                    .expect("q")
                    .expect("t");
                let events = status_events().count(&w.app.state.db).await.expect("count");
                match workflow::transition(TicketKind::LaptopOrder, status, action, actor) {
                    Ok(to) => {
                        assert!(
                            body["errors"].is_null(),
                            "{actor:?} {action:?} from {status:?}: {body}"
                        );
                        assert_eq!(after.status, to);
                        assert_eq!(events, events_before + 1, "one event per change");
                    }
                    Err(e) => {
                        assert_eq!(
                            error_code(&body),
                            Some(e.code()),
                            "{actor:?} {action:?} from {status:?}: {body}"
                        );
                        assert_eq!(after.status, status, "unchanged");
                        assert_eq!(after.version, 0, "unchanged");
                        assert_eq!(events, events_before, "no event for a refused step");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn concurrent_conflicting_transitions_let_one_win() {
    let w = world().await;
    let staff = w.token(&w.staff).await;
    let admin = w.token(&w.admin).await;
    let t = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let id = to_global_id("Ticket", t.id);
    let (query, _) = request_for(Action::Approve, w.app.now());
    let (a, b) = tokio::join!(
        w.app
            .graphql(query, json!({ "id": id.as_str() }), Some(&staff)),
        w.app
            .graphql(query, json!({ "id": id.as_str() }), Some(&admin)),
    );
    let wins = [&a, &b].iter().filter(|r| r["errors"].is_null()).count();
    assert_eq!(wins, 1, "{a} {b}");
    let loser = if a["errors"].is_null() { &b } else { &a };
    assert_eq!(error_code(loser), Some("CONFLICT"), "{loser}");
    let changes = ticket_events::Entity::find()
        .count(&w.app.state.db)
        .await
        .expect("count");
    assert_eq!(changes, 1, "one event, for the one change");
}

#[tokio::test]
async fn partners_write_public_comments_only() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let t = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let id = to_global_id("Ticket", t.id);
    let comment = "mutation($id: ID!, $v: CommentVisibility!, $b: String!) { addComment(ticketId: $id, body: $b, visibility: $v) { comment { id } } }";
    let body = w
        .app
        .graphql(
            comment,
            json!({ "id": id.as_str(), "v": "INTERNAL", "b": "psst" }),
            Some(&member),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = w
        .app
        .graphql(
            comment,
            json!({ "id": id.as_str(), "v": "PUBLIC", "b": "" }),
            Some(&member),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "body", "{body}");
    let body = w
        .app
        .graphql(
            comment,
            json!({ "id": id.as_str(), "v": "PUBLIC", "b": "x".repeat(10_001) }),
            Some(&member),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "body", "{body}");
    let other = w.token(&w.beta_member).await;
    let body = w
        .app
        .graphql(
            comment,
            json!({ "id": id.as_str(), "v": "PUBLIC", "b": "hello" }),
            Some(&other),
        )
        .await;
    assert_eq!(
        error_code(&body),
        Some("NOT_FOUND"),
        "another organisation's ticket: {body}"
    );
    assert_eq!(
        entity::comments::Entity::find()
            .count(&w.app.state.db)
            .await
            .expect("count"),
        0
    );
    let body = w
        .app
        .graphql(
            comment,
            json!({ "id": id.as_str(), "v": "PUBLIC", "b": "Any news?" }),
            Some(&member),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let stored = entity::comments::Entity::find()
        .one(&w.app.state.db)
        .await
        .expect("q")
        .expect("comment");
    assert_eq!(stored.visibility, CommentVisibility::Public);
}

#[tokio::test]
async fn delivery_issues_are_reported_on_shipped_orders() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let report = "mutation($id: ID!, $d: String!) { reportDeliveryIssue(ticketId: $id, description: $d) { ticket { kind status relatedTicket { reference } } } }";
    let waiting = w.app.ticket_in(&w.member, TicketStatus::ReadyToShip).await;
    let body = w
        .app
        .graphql(
            report,
            json!({ "id": to_global_id("Ticket", waiting.id).as_str(), "d": "Broken" }),
            Some(&member),
        )
        .await;
    assert_eq!(
        error_code(&body),
        Some("CONFLICT"),
        "not shipped yet: {body}"
    );
    let shipped = w
        .app
        .ticket_in(&w.member, TicketStatus::ReadyForBilling)
        .await;
    let body = w
        .app
        .graphql(report, json!({ "id": to_global_id("Ticket", shipped.id).as_str(), "d": "The screen arrived cracked." }), Some(&member))
        .await;
    assert_eq!(
        body["data"]["reportDeliveryIssue"]["ticket"],
        json!({ "kind": "DELIVERY_ISSUE", "status": "REVIEW", "relatedTicket": { "reference": shipped.reference } }),
        "{body}"
    );
}

#[tokio::test]
async fn a_creator_only_member_sees_only_its_own_tickets() {
    let w: World = world().await;
    let colleague = w
        .app
        .create_user(&w.alpha, Role::PartnerMember, "Carla Colleague")
        .await;
    let mine = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let theirs = w.app.ticket_in(&colleague, TicketStatus::Review).await;
    let member = w.token(&w.member).await;
    let list = w
        .app
        .graphql(
            "{ tickets { totalCount edges { node { reference } } } }",
            json!({}),
            Some(&member),
        )
        .await;
    assert_eq!(list["data"]["tickets"]["totalCount"], 1, "{list}");
    assert_eq!(
        list["data"]["tickets"]["edges"][0]["node"]["reference"],
        mine.reference.as_str()
    );
    for query in [
        format!(
            "{{ ticketByReference(reference: \"{}\") {{ id }} }}",
            theirs.reference
        ),
        format!(
            "{{ ticket(id: \"{}\") {{ id }} }}",
            to_global_id("Ticket", theirs.id).as_str()
        ),
        format!(
            "{{ node(id: \"{}\") {{ id }} }}",
            to_global_id("Ticket", theirs.id).as_str()
        ),
    ] {
        let body = w.app.graphql(&query, json!({}), Some(&member)).await;
        assert!(body["errors"].is_null(), "{body}");
        let value = body["data"]
            .as_object()
            .and_then(|o| o.values().next())
            .cloned();
        assert_eq!(value, Some(Value::Null), "{query}: {body}");
    }
    let manager = w.token(&w.manager).await;
    let list = w
        .app
        .graphql("{ tickets { totalCount } }", json!({}), Some(&manager))
        .await;
    assert_eq!(
        list["data"]["tickets"]["totalCount"], 2,
        "the manager sees the organisation's: {list}"
    );
}

#[tokio::test]
async fn tickets_are_filtered_and_searched() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let mut input = order_input();
    input["recipientName"] = json!("Jonas Wyss");
    input["internalReference"] = json!("CASE_42%");
    order(&w.app, &member, input).await;
    order(&w.app, &member, order_input()).await;
    let search = |s: &str| {
        let app = &w.app;
        let member = member.clone();
        let s = s.to_owned();
        async move {
            app.graphql(
                "query($s: String!) { tickets(filter: { search: $s }) { totalCount } }",
                json!({ "s": s }),
                Some(&member),
            )
            .await["data"]["tickets"]["totalCount"]
                .clone()
        }
    };
    assert_eq!(search("wyss").await, 1);
    assert_eq!(search("case_42%").await, 1);
    assert_eq!(search("case_4_").await, 0, "wildcards match themselves");
    assert_eq!(search("GEM-").await, 2);
    let body = w
        .app
        .graphql(
            "{ tickets(filter: { status: [QUEUED] }) { totalCount } }",
            json!({}),
            Some(&member),
        )
        .await;
    assert_eq!(body["data"]["tickets"]["totalCount"], 0);
    let body = w
        .app
        .graphql("{ tickets(filter: { kind: [LAPTOP_ORDER], status: [REVIEW] }, orderBy: CREATED_AT_ASC, first: 1) { totalCount pageInfo { hasNextPage } } }", json!({}), Some(&member))
        .await;
    assert_eq!(body["data"]["tickets"]["totalCount"], 2, "{body}");
    assert_eq!(body["data"]["tickets"]["pageInfo"]["hasNextPage"], true);
    let body = w
        .app
        .graphql(
            "{ ticketByReference(reference: \"nope\") { id } }",
            json!({}),
            Some(&member),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "reference",
        "{body}"
    );
}

#[tokio::test]
async fn feedback_is_read_by_its_author_its_manager_and_staff() {
    let w = world().await;
    let give = "mutation($m: String!) { giveFeedback(message: $m) { feedback { id } } }";
    let list = "{ feedback { totalCount edges { node { message author { displayName } } } } }";
    let member = w.token(&w.member).await;
    let body = w
        .app
        .graphql(
            give,
            json!({ "m": "The form is clear, thanks!" }),
            Some(&member),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = w
        .app
        .graphql(give, json!({ "m": "   " }), Some(&member))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "message",
        "{body}"
    );
    let beta = w.token(&w.beta_member).await;
    w.app
        .graphql(give, json!({ "m": "From Beta" }), Some(&beta))
        .await;

    let count = |token: String| {
        let app = &w.app;
        async move {
            app.graphql(list, json!({}), Some(&token)).await["data"]["feedback"]["totalCount"]
                .clone()
        }
    };
    assert_eq!(count(member).await, 1);
    assert_eq!(
        count(w.token(&w.manager).await).await,
        1,
        "the manager reads Alpha's"
    );
    assert_eq!(count(beta).await, 1, "Beta reads its own only");
    assert_eq!(count(w.token(&w.staff).await).await, 2);
}

#[tokio::test]
async fn the_creator_is_emailed_in_its_own_language() {
    use sea_orm::IntoActiveModel as _;
    let w = world().await;
    let mut creator = w.member.user.clone().into_active_model();
    creator.locale = Set(entity::enums::Locale::De);
    creator.update(&w.app.state.db).await.expect("update");
    let staff = w.token(&w.staff).await;
    let t = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let (query, _) = request_for(Action::Approve, w.app.now());
    let body = w
        .app
        .graphql(
            query,
            json!({ "id": to_global_id("Ticket", t.id).as_str() }),
            Some(&staff),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let comment = "mutation($id: ID!, $v: CommentVisibility!, $b: String!) { addComment(ticketId: $id, body: $b, visibility: $v) { comment { id } } }";
    let id = to_global_id("Ticket", t.id);
    w.app
        .graphql(
            comment,
            json!({ "id": id.as_str(), "v": "INTERNAL", "b": "internal only" }),
            Some(&staff),
        )
        .await;
    w.app
        .graphql(
            comment,
            json!({ "id": id.as_str(), "v": "PUBLIC", "b": "Kommt bald." }),
            Some(&staff),
        )
        .await;

    let mails = email_outbox::Entity::find()
        .all(&w.app.state.db)
        .await
        .expect("mails");
    assert_eq!(
        mails.len(),
        2,
        "the status change and the public reply, not the internal note: {mails:#?}"
    );
    assert!(
        mails
            .iter()
            .all(|m| m.to_address == w.member.email && m.locale == entity::enums::Locale::De)
    );
    assert!(
        mails[0].subject.contains("Bereit für den Versand"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[1].body_text.contains("Neue Antwort") && mails[1].body_text.contains("Kommt bald."),
        "{}",
        mails[1].body_text
    );
}

#[tokio::test]
async fn staff_order_on_behalf_of_a_partner_and_partners_only_for_themselves() {
    let w = world().await;
    let staff = w.token(&w.staff).await;
    let member = w.token(&w.member).await;
    let alpha = to_global_id("Organisation", w.alpha.id);
    let beta = to_global_id("Organisation", w.beta.id);
    let provider = to_global_id("Organisation", w.provider.id);

    let body = order(&w.app, &staff, order_input()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.organisationId",
        "staff must name it: {body}"
    );
    let mut input = order_input();
    input["organisationId"] = json!(provider.as_str());
    let body = order(&w.app, &staff, input).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.organisationId",
        "not for the provider: {body}"
    );
    let mut input = order_input();
    input["organisationId"] = json!(beta.as_str());
    let body = order(&w.app, &staff, input).await;
    assert!(body["errors"].is_null(), "{body}");

    let mut input = order_input();
    input["organisationId"] = json!(beta.as_str());
    let body = order(&w.app, &member, input).await;
    assert_eq!(
        error_code(&body),
        Some("NOT_FOUND"),
        "a partner orders for its own organisation only: {body}"
    );
    let mut input = order_input();
    input["organisationId"] = json!(alpha.as_str());
    let body = order(&w.app, &member, input).await;
    assert!(body["errors"].is_null(), "{body}");
    let beta_tickets = tickets::Entity::find()
        .all(&w.app.state.db)
        .await
        .expect("tickets")
        .into_iter()
        .filter(|t| t.organisation_id == w.beta.id)
        .count();
    assert_eq!(beta_tickets, 1, "only the staff order landed in Beta");
}

#[tokio::test]
async fn the_longest_recipient_name_still_makes_a_ticket() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let mut input = order_input();
    input["recipientName"] = json!("A".repeat(200));
    let body = order(&w.app, &member, input).await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn tickets_and_comments_page_with_cursors() {
    let w = world().await;
    let member = w.token(&w.member).await;
    for _ in 0..3 {
        order(&w.app, &member, order_input()).await;
    }
    let page = "query($a: String) { tickets(first: 2, after: $a, orderBy: CREATED_AT_ASC) { pageInfo { hasNextPage endCursor } edges { node { reference } } } }";
    let first = w
        .app
        .graphql(page, json!({ "a": null }), Some(&member))
        .await;
    let cursor = first["data"]["tickets"]["pageInfo"]["endCursor"].clone();
    assert_eq!(
        first["data"]["tickets"]["pageInfo"]["hasNextPage"], true,
        "{first}"
    );
    let second = w
        .app
        .graphql(page, json!({ "a": cursor }), Some(&member))
        .await;
    let refs = |b: &Value| -> Vec<String> {
        b["data"]["tickets"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| {
                e["node"]["reference"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    let all: Vec<String> = refs(&first).into_iter().chain(refs(&second)).collect();
    assert_eq!(all.len(), 3, "{first} {second}");
    assert_eq!(second["data"]["tickets"]["pageInfo"]["hasNextPage"], false);
    let mut sorted = all.clone();
    sorted.sort_by_key(|r| r[4..].parse::<u64>().unwrap_or(0));
    assert_eq!(all, sorted, "oldest first, no overlap");

    // A ticket cursor does not page a ticket's comments.
    let t = w
        .app
        .graphql(
            "{ tickets(first: 1) { edges { node { id } } } }",
            json!({}),
            Some(&member),
        )
        .await;
    let id = t["data"]["tickets"]["edges"][0]["node"]["id"].clone();
    let body = w
        .app
        .graphql("query($id: ID!, $c: String) { ticket(id: $id) { comments(after: $c) { totalCount } } }", json!({ "id": id, "c": cursor }), Some(&member))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "after", "{body}");
}

#[tokio::test]
async fn forged_cursors_and_a_nul_in_a_search_are_validation_errors_not_internal() {
    // Each answered INTERNAL on PostgreSQL, which compares a timestamp with
    // a number as an error and holds no NUL in text (found by the entry
    // point's property test); SQLite compared them quietly.
    use base64::Engine as _;
    let w = world().await;
    let staff = w.token(&w.staff).await;
    let forge = |key: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key);
    let cases = [
        (
            "query($c: String) { tickets(after: $c) { totalCount } }",
            forge(r#"["created_at",{"Int":5},1]"#),
            "after",
        ),
        (
            "query($c: String) { feedback(after: $c) { totalCount } }",
            forge(r#"["created_at",{"Text":"2026"},1]"#),
            "after",
        ),
        (
            "query($c: String) { organisations(before: $c) { totalCount } }",
            forge(r#"["name",{"Int":1},1]"#),
            "before",
        ),
        (
            "query($c: String) { organisations(after: $c) { totalCount } }",
            forge("[\"name\",{\"Text\":\"a\\u0000\"},1]"),
            "after",
        ),
        (
            "query($c: String) { tickets(orderBy: REFERENCE_ASC, after: $c) { totalCount } }",
            forge(r#"["reference_number",{"Text":"GEM-1"},1]"#),
            "after",
        ),
    ];
    for (query, cursor, field) in cases {
        let body = w
            .app
            .graphql(query, json!({ "c": cursor }), Some(&staff))
            .await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{query}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let body = w
        .app
        .graphql(
            "query($s: String) { tickets(filter: {search: $s}) { totalCount } }",
            json!({ "s": "GEM\u{0}1" }),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "filter.search",
        "{body}"
    );
}

#[tokio::test]
async fn another_organisations_ticket_does_not_exist_for_any_write() {
    let w = world().await;
    let outsider = w.token(&w.beta_member).await;
    let t = w
        .app
        .ticket_in(&w.member, TicketStatus::ReadyForBilling)
        .await;
    let review = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let id = |t: &tickets::Model| to_global_id("Ticket", t.id).to_string();
    let writes = [
        (
            "mutation($id: ID!) { r: cancelTicket(ticketId: $id, reason: \"x\") { ticket { id } } }",
            id(&review),
        ),
        (
            "mutation($id: ID!) { r: transitionTicket(input: {ticketId: $id, to: QUEUED}) { ticket { id } } }",
            id(&review),
        ),
        (
            "mutation($id: ID!) { r: reportDeliveryIssue(ticketId: $id, description: \"Broken\") { ticket { id } } }",
            id(&t),
        ),
        (
            "mutation($id: ID!) { r: addComment(ticketId: $id, body: \"Hello\") { comment { id } } }",
            id(&review),
        ),
    ];
    let before = footprint(&w.app).await;
    for (query, ticket) in writes {
        let body = w
            .app
            .graphql(query, json!({ "id": ticket }), Some(&outsider))
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{query}: {body}");
    }
    assert_eq!(footprint(&w.app).await, before, "nothing written");
    assert_eq!(
        entity::comments::Entity::find()
            .count(&w.app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn a_delivery_issue_is_never_approved_or_shipped() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let shipped = w
        .app
        .ticket_in(&w.member, TicketStatus::ReadyForBilling)
        .await;
    let body = w
        .app
        .graphql(
            "mutation($id: ID!) { reportDeliveryIssue(ticketId: $id, description: \"Lost\") { ticket { id kind } } }",
            json!({ "id": to_global_id("Ticket", shipped.id).as_str() }),
            Some(&member),
        )
        .await;
    assert_eq!(
        body["data"]["reportDeliveryIssue"]["ticket"]["kind"], "DELIVERY_ISSUE",
        "{body}"
    );
    let id = body["data"]["reportDeliveryIssue"]["ticket"]["id"].clone();
    let offered = |body: &Value| body["data"]["ticket"]["availableTransitions"].clone();
    // Staff may queue or cancel a delivery issue, never approve or ship it.
    let seen = ticket(&w.app, &staff, id.as_str().unwrap_or_default()).await;
    assert_eq!(
        offered(&seen),
        json!([{ "action": "QUEUE", "to": "QUEUED" }, { "action": "CANCEL", "to": "CANCELLED" }]),
        "{seen}"
    );
    let approve = "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { status } } }";
    let ship = "mutation($id: ID!, $at: DateTime!) { shipOrder(input: {ticketId: $id, deviceModel: \"HP\", serialNumber: \"SN1\", shippedAt: $at}) { ticket { status } } }";
    let at = w.app.now().to_rfc3339();
    for query in [approve, ship] {
        let body = w
            .app
            .graphql(query, json!({ "id": id, "at": at }), Some(&staff))
            .await;
        assert_eq!(error_code(&body), Some("CONFLICT"), "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("only laptop orders"), "{message}");
    }
    // Queued, it is still not offered for approval, and still refused.
    let queue = "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: QUEUED}) { ticket { status } } }";
    let body = w
        .app
        .graphql(queue, json!({ "id": id }), Some(&staff))
        .await;
    assert_eq!(
        body["data"]["transitionTicket"]["ticket"]["status"], "QUEUED",
        "{body}"
    );
    let seen = ticket(&w.app, &staff, id.as_str().unwrap_or_default()).await;
    assert_eq!(
        offered(&seen),
        json!([{ "action": "RETURN_TO_REVIEW", "to": "REVIEW" }, { "action": "CANCEL", "to": "CANCELLED" }]),
        "{seen}"
    );
    let body = w
        .app
        .graphql(approve, json!({ "id": id }), Some(&staff))
        .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
    let seen = ticket(&w.app, &staff, id.as_str().unwrap_or_default()).await;
    assert_eq!(
        seen["data"]["ticket"]["status"], "QUEUED",
        "unchanged: {seen}"
    );
}
