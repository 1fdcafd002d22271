//! Dashboards: the ticket list's filters and orders, keyset paging under
//! each order (also while tickets arrive), `statusChangedAt`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use entity::enums::{Role, TicketKind, TicketStatus};
use entity::tickets;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::helpers::{OrderFixture, TestApp, TestUser, TicketFixture, error_code, world};

const LIST: &str = "query($filter: TicketFilter, $order: TicketOrder, $first: Int, $after: String, $last: Int, $before: String) {
  tickets(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id reference status statusChangedAt } }
  }
}";

/// The references of the tickets `token` lists with `filter`, sorted.
async fn references(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let body = app
        .graphql(LIST, json!({ "filter": filter, "first": 100 }), Some(token))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let mut refs: Vec<String> = body["data"]["tickets"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no list: {body}"))
        .iter()
        .filter_map(|e| e["node"]["reference"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        body["data"]["tickets"]["totalCount"],
        json!(refs.len()),
        "{body}"
    );
    refs.sort();
    refs
}

fn refs(list: &[&str]) -> Vec<String> {
    let mut refs: Vec<String> = list.iter().map(|r| (*r).to_owned()).collect();
    refs.sort();
    refs
}

/// A laptop order of `creator` written directly: `reference`, created
/// `at`, shipped at `shipped` (READY_FOR_BILLING then), for learning or not.
async fn laptop(
    app: &TestApp,
    creator: &TestUser,
    reference: &str,
    at: DateTime<Utc>,
    shipped: Option<DateTime<Utc>>,
    for_learning: bool,
) -> tickets::Model {
    let status = if shipped.is_some() {
        TicketStatus::ReadyForBilling
    } else {
        TicketStatus::Review
    };
    let mut fixture = TicketFixture::laptop(&creator.user, reference, status, at);
    fixture.order = Some(OrderFixture {
        recipient_name: "Amina Haddad".to_owned(),
        for_learning,
        shipped: shipped.map(|s| ("T480".to_owned(), format!("SN-{reference}"), s)),
    });
    fixture.insert(&app.state.db).await.expect("insert").0
}

#[tokio::test]
async fn tickets_are_filtered_by_shipping_update_learning_and_creator() {
    let w = world().await;
    let start = w.app.now();
    let day = |d: i64| start + Duration::days(d);
    let staff = w.token(&w.staff).await;
    laptop(&w.app, &w.member, "GEM-1", day(0), Some(day(1)), false).await;
    laptop(&w.app, &w.member, "GEM-2", day(0), Some(day(5)), true).await;
    laptop(&w.app, &w.member, "GEM-3", day(3), None, true).await;
    let mut question =
        TicketFixture::laptop(&w.beta_member.user, "GEM-4", TicketStatus::Review, day(4));
    question.kind = TicketKind::Other;
    question.order = None;
    question.updated_at = day(9);
    question.insert(&w.app.state.db).await.expect("insert");

    let list = |filter: Value| references(&w.app, &staff, filter);
    assert_eq!(
        list(json!({ "shippedAfter": day(2) })).await,
        refs(&["GEM-2"])
    );
    assert_eq!(
        list(json!({ "shippedBefore": day(2) })).await,
        refs(&["GEM-1"])
    );
    assert_eq!(
        list(json!({ "shippedAfter": day(1), "shippedBefore": day(5) })).await,
        refs(&["GEM-1"]),
        "the start is in the range, the end is not"
    );
    assert_eq!(
        list(json!({ "updatedAfter": day(4) })).await,
        refs(&["GEM-4"])
    );
    assert_eq!(
        list(json!({ "updatedBefore": day(3) })).await,
        refs(&["GEM-1", "GEM-2"])
    );
    assert_eq!(
        list(json!({ "forLearning": true })).await,
        refs(&["GEM-2", "GEM-3"])
    );
    assert_eq!(
        list(json!({ "forLearning": false })).await,
        refs(&["GEM-1"]),
        "a ticket without an order is neither"
    );
    assert_eq!(
        list(json!({ "forLearning": true, "shippedAfter": day(0) })).await,
        refs(&["GEM-2"]),
        "criteria narrow together"
    );

    // The member of a CREATOR_ONLY organisation filters within its own
    // tickets only.
    let beta = w.token(&w.beta_member).await;
    assert_eq!(
        references(&w.app, &beta, json!({ "updatedBefore": day(30) })).await,
        refs(&["GEM-4"])
    );
    assert!(
        references(&w.app, &beta, json!({ "shippedAfter": day(0) }))
            .await
            .is_empty(),
        "another organisation's shipped orders stay out of sight"
    );
}

#[tokio::test]
async fn mine_lists_the_tickets_the_viewer_created_even_where_it_sees_its_colleagues() {
    let w = world().await;
    let at = w.app.now();
    let colleague = w
        .app
        .create_user(&w.beta, Role::PartnerMember, "Ben Beta")
        .await;
    laptop(&w.app, &w.beta_member, "GEM-1", at, None, false).await;
    laptop(&w.app, &colleague, "GEM-2", at, None, false).await;
    laptop(&w.app, &colleague, "GEM-3", at, None, false).await;
    laptop(&w.app, &w.member, "GEM-4", at, None, false).await;

    let beta = w.token(&w.beta_member).await;
    assert_eq!(
        references(&w.app, &beta, Value::Null).await,
        refs(&["GEM-1", "GEM-2", "GEM-3"]),
        "an ORGANISATION-visibility member sees its colleagues' tickets"
    );
    assert_eq!(
        references(&w.app, &beta, json!({ "mine": true })).await,
        refs(&["GEM-1"])
    );
    assert_eq!(
        references(&w.app, &beta, json!({ "mine": false })).await,
        refs(&["GEM-2", "GEM-3"])
    );
    // Staff created none of them.
    let staff = w.token(&w.staff).await;
    assert!(
        references(&w.app, &staff, json!({ "mine": true }))
            .await
            .is_empty()
    );
    assert_eq!(
        references(&w.app, &staff, json!({ "mine": false }))
            .await
            .len(),
        4
    );
}

const ORDER: &str = "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }";

fn order_input(name: &str) -> Value {
    json!({
        "recipientName": name, "street": "Bahnhofstrasse 1",
        "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
    })
}

/// Orders a laptop as `token`; returns the ticket's id and reference.
async fn order(app: &TestApp, token: &str, name: &str) -> (String, String) {
    let body = app
        .graphql(ORDER, json!({ "input": order_input(name) }), Some(token))
        .await;
    let ticket = &body["data"]["orderLaptop"]["ticket"];
    match (ticket["id"].as_str(), ticket["reference"].as_str()) {
        (Some(id), Some(reference)) => (id.to_owned(), reference.to_owned()),
        _ => panic!("no ticket: {body}"),
    }
}

async fn comment(app: &TestApp, token: &str, ticket: &str, visibility: &str) {
    let body = app
        .graphql(
            "mutation($id: ID!, $v: CommentVisibility!) { addComment(ticketId: $id, body: \"Hello\", visibility: $v) { comment { id } } }",
            json!({ "id": ticket, "v": visibility }),
            Some(token),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn waiting_for_staff_means_the_latest_public_comment_is_a_partners() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let (asked, asked_ref) = order(&w.app, &member, "Asked").await;
    let (answered, answered_ref) = order(&w.app, &member, "Answered").await;
    let (noted, noted_ref) = order(&w.app, &member, "Noted").await;
    let (asked_again, asked_again_ref) = order(&w.app, &member, "Asked again").await;
    let (_, silent_ref) = order(&w.app, &member, "Silent").await;
    let (staff_only, staff_only_ref) = order(&w.app, &member, "Staff only").await;
    let tick = || w.app.clock.advance(Duration::minutes(1));

    comment(&w.app, &member, &asked, "PUBLIC").await;
    tick();
    comment(&w.app, &member, &answered, "PUBLIC").await;
    tick();
    comment(&w.app, &staff, &answered, "PUBLIC").await;
    tick();
    comment(&w.app, &member, &noted, "PUBLIC").await;
    tick();
    // An internal note is no answer to the partner.
    comment(&w.app, &staff, &noted, "INTERNAL").await;
    tick();
    comment(&w.app, &staff, &asked_again, "PUBLIC").await;
    tick();
    comment(&w.app, &member, &asked_again, "PUBLIC").await;
    tick();
    comment(&w.app, &staff, &staff_only, "PUBLIC").await;

    let waiting = refs(&[&asked_ref, &noted_ref, &asked_again_ref]);
    let not_waiting = refs(&[&answered_ref, &silent_ref, &staff_only_ref]);
    for token in [&staff, &member] {
        assert_eq!(
            references(&w.app, token, json!({ "waitingForStaff": true })).await,
            waiting
        );
        assert_eq!(
            references(&w.app, token, json!({ "waitingForStaff": false })).await,
            not_waiting
        );
    }
    // Another organisation's member has nothing waiting, or not.
    let beta = w.token(&w.beta_member).await;
    for waiting in [true, false] {
        assert!(
            references(&w.app, &beta, json!({ "waitingForStaff": waiting }))
                .await
                .is_empty()
        );
    }
}

#[tokio::test]
async fn has_invoice_follows_the_live_invoice_the_viewer_may_see() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let manager = w.token(&w.manager).await;
    let staff = w.token(&w.staff).await;
    let (shipped, shipped_ref) = order(&w.app, &member, "Shipped").await;
    let (_, waiting_ref) = order(&w.app, &member, "Waiting").await;
    let body = w
        .app
        .graphql(
            "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { id } } }",
            json!({ "id": shipped }),
            Some(&staff),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    // Alpha is billed per order: shipping issues the invoice.
    let body = w
        .app
        .graphql(
            "mutation($id: ID!, $at: DateTime!) { shipOrder(input: {ticketId: $id, deviceModel: \"T480\", serialNumber: \"SN-1\", shippedAt: $at}) { ticket { id } } }",
            json!({ "id": shipped, "at": w.app.now() }),
            Some(&staff),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    for token in [&staff, &manager] {
        assert_eq!(
            references(&w.app, token, json!({ "hasInvoice": true })).await,
            refs(&[&shipped_ref])
        );
        assert_eq!(
            references(&w.app, token, json!({ "hasInvoice": false })).await,
            refs(&[&waiting_ref])
        );
    }
    // A member may not see invoices: for it, no ticket has one.
    assert!(
        references(&w.app, &member, json!({ "hasInvoice": true }))
            .await
            .is_empty()
    );
    assert_eq!(
        references(&w.app, &member, json!({ "hasInvoice": false })).await,
        refs(&[&shipped_ref, &waiting_ref])
    );
}

#[tokio::test]
async fn an_empty_date_range_is_refused_naming_its_end() {
    let w = world().await;
    let staff = w.token(&w.staff).await;
    let at = w.app.now();
    for (after, before) in [
        ("createdAfter", "createdBefore"),
        ("updatedAfter", "updatedBefore"),
        ("shippedAfter", "shippedBefore"),
    ] {
        let body = w
            .app
            .graphql(
                LIST,
                json!({ "filter": { after: at, before: at } }),
                Some(&staff),
            )
            .await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            format!("filter.{before}"),
            "{body}"
        );
    }
    let body = w
        .app
        .graphql(
            LIST,
            json!({ "filter": { "shippedAfter": "last tuesday" } }),
            Some(&staff),
        )
        .await;
    assert!(
        body["data"].is_null() || body["data"]["tickets"].is_null(),
        "{body}"
    );
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
}

#[tokio::test]
async fn status_changed_at_moves_with_the_status_only_and_orders_the_queue() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let (first, first_ref) = order(&w.app, &member, "First").await;
    let created = w.app.now();
    w.app.clock.advance(Duration::hours(1));
    let (second, second_ref) = order(&w.app, &member, "Second").await;
    w.app.clock.advance(Duration::hours(1));
    let body = w
        .app
        .graphql(
            "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: QUEUED}) { ticket { statusChangedAt } } }",
            json!({ "id": first }),
            Some(&staff),
        )
        .await;
    let moved = w.app.now();
    assert_eq!(
        time(&body["data"]["transitionTicket"]["ticket"]["statusChangedAt"]),
        moved,
        "{body}"
    );
    w.app.clock.advance(Duration::hours(1));
    // A comment changes the ticket, not its status.
    comment(&w.app, &member, &second, "PUBLIC").await;

    let order_of = |order: &'static str| {
        let app = &w.app;
        let staff = staff.clone();
        async move {
            let body = app
                .graphql(LIST, json!({ "order": order }), Some(&staff))
                .await;
            body["data"]["tickets"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("no list: {body}"))
                .iter()
                .map(|e| {
                    (
                        e["node"]["reference"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        time(&e["node"]["statusChangedAt"]),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let moved_second = created + Duration::hours(1);
    assert_eq!(
        order_of("STATUS_CHANGED_AT_DESC").await,
        vec![
            (first_ref.clone(), moved),
            (second_ref.clone(), moved_second),
        ]
    );
    assert_eq!(
        order_of("STATUS_CHANGED_AT_ASC").await,
        vec![
            (second_ref.clone(), moved_second),
            (first_ref.clone(), moved),
        ]
    );
    let updated: Vec<String> = order_of("UPDATED_AT_DESC")
        .await
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(
        updated,
        vec![second_ref, first_ref],
        "the comment moved updatedAt"
    );
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

/// The sort key of a ticket under an order, as the schema describes it,
/// computed from what the test wrote: ties broken by id in the order's
/// direction; unshipped tickets last both ways.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    number: i64,
    status: TicketStatus,
    shipped: Option<DateTime<Utc>>,
    updated: DateTime<Utc>,
    moved: DateTime<Utc>,
}

fn position(status: TicketStatus) -> i64 {
    match status {
        TicketStatus::Review => 0,
        TicketStatus::Queued => 1,
        TicketStatus::ReadyToShip => 2,
        TicketStatus::ReadyForBilling => 3,
        TicketStatus::Billed => 4,
        TicketStatus::Cancelled => 5,
    }
}

const ORDERS: [&str; 10] = [
    "REFERENCE_ASC",
    "REFERENCE_DESC",
    "STATUS_ASC",
    "STATUS_DESC",
    "SHIPPED_AT_ASC",
    "SHIPPED_AT_DESC",
    "UPDATED_AT_ASC",
    "UPDATED_AT_DESC",
    "STATUS_CHANGED_AT_ASC",
    "STATUS_CHANGED_AT_DESC",
];

/// `rows` in `order`, by the schema's description of it.
fn sorted(mut rows: Vec<Row>, order: &str) -> Vec<i64> {
    let descending = order.ends_with("_DESC");
    rows.sort_by(|a, b| {
        let by_value = match order.trim_end_matches("_ASC").trim_end_matches("_DESC") {
            "REFERENCE" => a.number.cmp(&b.number),
            "STATUS" => position(a.status).cmp(&position(b.status)),
            "SHIPPED_AT" => match (a.shipped, b.shipped) {
                // Unshipped last, whatever the direction: undo the reversal
                // applied below.
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) if descending => std::cmp::Ordering::Greater,
                (None, Some(_)) if descending => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
            "UPDATED_AT" => a.updated.cmp(&b.updated),
            "STATUS_CHANGED_AT" => a.moved.cmp(&b.moved),
            other => panic!("unknown order {other}"),
        };
        let ordering = by_value.then(a.id.cmp(&b.id));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    rows.into_iter().map(|r| r.id).collect()
}

/// A ticket of the walk, `i`-th of its kind, with values chosen to tie
/// often: six statuses, seven shipping days and unshipped ones, thirteen
/// update hours, eleven status-change hours; references out of id order
/// (`GEM-10` after `GEM-9` only by number).
async fn walk_ticket(app: &TestApp, creators: &[&TestUser], i: i64, number: i64) -> Row {
    let start = app.now();
    let status = [
        TicketStatus::Review,
        TicketStatus::ReadyForBilling,
        TicketStatus::Queued,
        TicketStatus::Billed,
        TicketStatus::ReadyToShip,
        TicketStatus::Cancelled,
    ][usize::try_from(i % 6).unwrap_or_default()];
    let creator = creators[usize::try_from(i).unwrap_or_default() % creators.len()];
    let mut fixture = TicketFixture::laptop(&creator.user, &format!("GEM-{number}"), status, start);
    let shipped = matches!(status, TicketStatus::ReadyForBilling | TicketStatus::Billed)
        .then(|| start + Duration::days(i % 7));
    if let Some(order) = fixture.order.as_mut() {
        order.shipped = shipped.map(|at| ("T480".to_owned(), format!("SN-{number}"), at));
    }
    fixture.created_at = start + Duration::minutes(i);
    let updated = start + Duration::hours(i % 13);
    fixture.updated_at = updated;
    let (ticket, _) = fixture.insert(&app.state.db).await.expect("insert");
    let moved = start + Duration::hours(i % 11);
    tickets::Entity::update_many()
        .col_expr(tickets::Column::StatusChangedAt, Expr::value(moved))
        .filter(tickets::Column::Id.eq(ticket.id))
        .exec(&app.state.db)
        .await
        .expect("set status_changed_at");
    Row {
        id: ticket.id,
        number,
        status,
        shipped,
        updated,
        moved,
    }
}

fn row_id(global: &str) -> i64 {
    partnerdesk::relay::from_global_id(&async_graphql::ID(global.to_owned()))
        .map_or(0, |(_, id)| id)
}

/// Walks every page of `tickets(orderBy: order)` forward (or backward),
/// inserting a ticket after each page; returns the ids met, in order.
async fn walk(
    app: &TestApp,
    token: &str,
    order: &str,
    backward: bool,
    creators: &[&TestUser],
    next_number: &mut i64,
) -> Vec<i64> {
    let mut met = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        assert!(page < 100, "the walk under {order} does not end");
        let variables = if backward {
            json!({ "order": order, "last": 17, "before": cursor })
        } else {
            json!({ "order": order, "first": 17, "after": cursor })
        };
        let body = app.graphql(LIST, variables, Some(token)).await;
        let list = &body["data"]["tickets"];
        let edges = list["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("no page under {order}: {body}"));
        let mut ids: Vec<i64> = edges
            .iter()
            .filter_map(|e| e["node"]["id"].as_str().map(row_id))
            .collect();
        if backward {
            ids.reverse();
        }
        met.extend(ids);
        // A ticket arrives between two page requests.
        walk_ticket(app, creators, *next_number, *next_number).await;
        *next_number += 1;
        let (more, next) = if backward {
            (
                &list["pageInfo"]["hasPreviousPage"],
                &list["pageInfo"]["startCursor"],
            )
        } else {
            (
                &list["pageInfo"]["hasNextPage"],
                &list["pageInfo"]["endCursor"],
            )
        };
        if more != &json!(true) {
            break;
        }
        cursor = next.as_str().map(str::to_owned);
    }
    met
}

#[tokio::test]
async fn every_order_pages_through_each_ticket_once_both_ways_while_tickets_arrive() {
    let w = world().await;
    let creators = [&w.member, &w.manager, &w.beta_member];
    let mut rows = Vec::new();
    for i in 0..250 {
        // 1..=997 in a scrambled order: 250 distinct numbers.
        let number = (i * 389) % 997 + 1;
        rows.push(walk_ticket(&w.app, &creators, i, number).await);
    }
    let originals: BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
    let staff = w.token(&w.staff).await;
    let mut next_number = 10_000;
    for order in ORDERS {
        let expected = sorted(rows.clone(), order);
        for backward in [false, true] {
            let met = walk(&w.app, &staff, order, backward, &creators, &mut next_number).await;
            let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
            for id in &met {
                *seen.entry(*id).or_default() += 1;
            }
            let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
            assert!(
                twice.is_empty(),
                "{order} backward={backward}: met twice: {twice:?}"
            );
            let original_order: Vec<i64> = met
                .into_iter()
                .filter(|id| originals.contains(id))
                .collect();
            let walked = if backward {
                original_order.into_iter().rev().collect::<Vec<_>>()
            } else {
                original_order
            };
            assert_eq!(
                walked.len(),
                expected.len(),
                "{order} backward={backward}: every ticket once"
            );
            assert!(
                walked == expected,
                "{order} backward={backward}: not in the order described"
            );
        }
    }
}

const TICKET_HISTORY: &str = "query($id: ID!, $n: Int, $after: String) { ticket(id: $id) {
  events(first: $n, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind to ticket { id } } }
  }
  attachments(first: $n, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id fileName }
  }
} }";

const EVENT_NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on TicketEvent { kind actor { displayName } ticket { id } } } }";

const ASK: &str = "mutation($input: AskQuestionInput!) { askQuestion(input: $input) {
  ticket { id reference kind status subject description createdBy { displayName }
           attachments { totalCount nodes { fileName } } }
} }";

async fn upload_file(app: &TestApp, token: &str, ticket: &str, name: &'static str) {
    let body = app
        .graphql_multipart(
            "mutation($id: ID!, $file: Upload!) { uploadAttachment(ticketId: $id, file: $file) { attachment { id } } }",
            json!({ "id": ticket, "file": null }),
            vec![crate::helpers::TestFile {
                variable: "variables.file",
                name,
                bytes: crate::helpers::pdf(0),
            }],
            Some(token),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn a_tickets_history_and_files_are_paged_and_hidden_from_the_wrong_viewer() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let beta = w.token(&w.beta_member).await;
    let (ticket, _) = order(&w.app, &member, "Paged").await;
    for to in ["QUEUED", "REVIEW", "QUEUED"] {
        let body = w
            .app
            .graphql(
                "mutation($id: ID!, $to: TicketStatus!) { transitionTicket(input: {ticketId: $id, to: $to}) { ticket { id } } }",
                json!({ "id": ticket, "to": to }),
                Some(&staff),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    for name in ["a.pdf", "b.pdf", "c.pdf"] {
        upload_file(&w.app, &member, &ticket, name).await;
    }

    // The creation, three moves and three files added, in pages of two;
    // three files.
    let first = w
        .app
        .graphql(
            TICKET_HISTORY,
            json!({ "id": ticket, "n": 2 }),
            Some(&member),
        )
        .await;
    let events = &first["data"]["ticket"]["events"];
    assert_eq!(events["totalCount"], 7, "{first}");
    assert_eq!(events["pageInfo"]["hasNextPage"], true, "{first}");
    let kinds: Vec<&Value> = events["edges"]
        .as_array()
        .map(|e| e.iter().map(|e| &e["node"]["to"]).collect())
        .unwrap_or_default();
    assert_eq!(kinds, vec![&json!("REVIEW"), &json!("QUEUED")], "{first}");
    assert_eq!(events["edges"][0]["node"]["ticket"]["id"], json!(ticket));
    let files = &first["data"]["ticket"]["attachments"];
    assert_eq!(files["totalCount"], 3, "{first}");
    assert_eq!(files["nodes"][1]["fileName"], "b.pdf", "{first}");
    let rest = w
        .app
        .graphql(
            "query($id: ID!, $after: String) { ticket(id: $id) { events(first: 10, after: $after) { pageInfo { hasNextPage } nodes { to } } } }",
            json!({ "id": ticket, "after": events["pageInfo"]["endCursor"] }),
            Some(&member),
        )
        .await;
    assert_eq!(
        rest["data"]["ticket"]["events"],
        json!({ "pageInfo": { "hasNextPage": false }, "nodes": [
            { "to": "REVIEW" }, { "to": "QUEUED" }, { "to": null }, { "to": null }, { "to": null },
        ] }),
        "{rest}"
    );
    // Pages are bounded.
    let body = w
        .app
        .graphql(
            TICKET_HISTORY,
            json!({ "id": ticket, "n": 101 }),
            Some(&member),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");

    // An event is a node, with its ticket's visibility.
    let event = events["edges"][1]["node"]["id"].clone();
    for token in [&member, &staff] {
        let body = w
            .app
            .graphql(EVENT_NODE, json!({ "id": event }), Some(token))
            .await;
        assert_eq!(body["data"]["node"]["__typename"], "TicketEvent", "{body}");
        assert_eq!(body["data"]["node"]["kind"], "STATUS_CHANGED", "{body}");
        assert_eq!(
            body["data"]["node"]["actor"]["displayName"], "Sam Staff",
            "{body}"
        );
        assert_eq!(
            body["data"]["node"]["ticket"]["id"],
            json!(ticket),
            "{body}"
        );
    }
    let body = w
        .app
        .graphql(EVENT_NODE, json!({ "id": event }), Some(&beta))
        .await;
    assert_eq!(body["data"]["node"], Value::Null, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    let body = w
        .app
        .graphql(TICKET_HISTORY, json!({ "id": ticket, "n": 2 }), Some(&beta))
        .await;
    assert_eq!(body["data"]["ticket"], Value::Null, "{body}");
}

async fn tickets_written(app: &TestApp) -> (u64, u64) {
    use sea_orm::PaginatorTrait as _;
    let tickets = tickets::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    let files = entity::attachments::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    (tickets, files)
}

#[tokio::test]
async fn a_partner_asks_a_question_and_staff_find_it_in_their_queue() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let body = w
        .app
        .graphql_multipart(
            ASK,
            json!({ "input": {
                "subject": "Switch to quarterly billing",
                "description": "Could we be billed per quarter from now on?\nThanks",
                "attachment": null,
            } }),
            vec![crate::helpers::TestFile {
                variable: "variables.input.attachment",
                name: "letter.pdf",
                bytes: crate::helpers::pdf(0),
            }],
            Some(&member),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let ticket = &body["data"]["askQuestion"]["ticket"];
    assert_eq!(ticket["kind"], "OTHER", "{body}");
    assert_eq!(ticket["status"], "REVIEW", "{body}");
    assert_eq!(ticket["subject"], "Switch to quarterly billing");
    assert_eq!(
        ticket["description"],
        "Could we be billed per quarter from now on?\nThanks"
    );
    assert_eq!(ticket["createdBy"]["displayName"], "Max Member");
    assert_eq!(ticket["attachments"]["totalCount"], 1, "{body}");
    assert_eq!(ticket["attachments"]["nodes"][0]["fileName"], "letter.pdf");

    // Without a file too.
    let body = w
        .app
        .graphql(
            ASK,
            json!({ "input": { "subject": "Opening hours", "description": "When can we pick up?" } }),
            Some(&member),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let queue = references(
        &w.app,
        &staff,
        json!({ "kind": ["OTHER"], "status": ["REVIEW"] }),
    )
    .await;
    assert_eq!(queue.len(), 2, "{queue:?}");
    // Another organisation does not see them.
    let beta = w.token(&w.beta_member).await;
    assert!(references(&w.app, &beta, Value::Null).await.is_empty());
}

#[tokio::test]
async fn a_bad_question_names_every_field_and_writes_nothing() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let before = tickets_written(&w.app).await;

    let body = w
        .app
        .graphql_multipart(
            ASK,
            json!({ "input": {
                "subject": "  ",
                "description": "x".repeat(10_001),
                "attachment": null,
            } }),
            vec![crate::helpers::TestFile {
                variable: "variables.input.attachment",
                name: "script.pdf",
                bytes: b"#!/bin/sh\necho hello\n".to_vec(),
            }],
            Some(&member),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {body}"))
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        vec!["input.subject", "input.description", "input.attachment"],
        "{body}"
    );

    // A partner asks for its own organisation only: another one does not
    // exist for it.
    let body = w
        .app
        .graphql(
            ASK,
            json!({ "input": {
                "organisationId": partnerdesk::relay::to_global_id("Organisation", w.beta.id),
                "subject": "Hello", "description": "Hello",
            } }),
            Some(&member),
        )
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    // Staff name the organisation they write for.
    let body = w
        .app
        .graphql(
            ASK,
            json!({ "input": { "subject": "Hello", "description": "Hello" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "input.organisationId"
    );
    let body = w
        .app
        .graphql(
            ASK,
            json!({ "input": {
                "organisationId": partnerdesk::relay::to_global_id("Organisation", w.provider.id),
                "subject": "Hello", "description": "Hello",
            } }),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(tickets_written(&w.app).await, before, "nothing was written");
}

/// The staff dashboard: the queue, filtered and ordered, with each
/// ticket's organisation, creator, order, history and files.
const DASHBOARD: &str = "query($n: Int!) {
  tickets(filter: { status: [REVIEW, QUEUED], waitingForStaff: false, shippedBefore: null, updatedAfter: \"2020-01-01T00:00:00Z\" },
          orderBy: STATUS_CHANGED_AT_ASC, first: $n) {
    totalCount
    edges { node {
      reference status statusChangedAt updatedAt
      organisation { name }
      createdBy { displayName }
      order { city forLearning shippedAt }
      events(first: 5) { totalCount nodes { kind actor { displayName } ticket { reference } } }
      attachments(first: 5) { totalCount nodes { fileName uploadedBy { displayName } } }
      commentCount
    } }
  }
}";

#[tokio::test]
async fn the_staff_dashboard_costs_the_same_statements_at_any_page_size() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let beta = w.token(&w.beta_member).await;
    let staff = w.token(&w.staff).await;
    for i in 0..12 {
        let token = if i % 2 == 0 { &member } else { &beta };
        let (id, _) = order(&w.app, token, &format!("Person {i}")).await;
        upload_file(&w.app, token, &id, "cert.pdf").await;
        let body = w
            .app
            .graphql(
                "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: QUEUED}) { ticket { id } } }",
                json!({ "id": id }),
                Some(&staff),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        w.app.clock.advance(Duration::minutes(3));
    }
    let statements = |n: i64| {
        let app = &w.app;
        let staff = staff.clone();
        async move {
            let before = app.state.statements.get();
            let body = app
                .graphql(DASHBOARD, json!({ "n": n }), Some(&staff))
                .await;
            assert!(body["errors"].is_null(), "{body}");
            let edges = body["data"]["tickets"]["edges"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(edges, usize::try_from(n).unwrap_or_default(), "{body}");
            for edge in body["data"]["tickets"]["edges"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let node = &edge["node"];
                // Created, file added, queued.
                assert_eq!(node["events"]["totalCount"], 3, "{node}");
                assert_eq!(node["attachments"]["totalCount"], 1, "{node}");
                assert!(!node["organisation"]["name"].is_null(), "{node}");
                assert!(!node["createdBy"]["displayName"].is_null(), "{node}");
            }
            app.state.statements.get() - before
        }
    };
    let small = statements(2).await;
    let large = statements(12).await;
    // People load at several depths (creators, actors, uploaders); whether
    // two of those batches meet in one statement depends on timing. An N+1
    // would add ten (one per extra ticket) for each relation.
    assert!(
        large <= small + 2,
        "statements for 2 tickets: {small}, for 12: {large}: N+1 crept in"
    );
    assert!(large <= 14, "about one statement per relation, got {large}");
}
