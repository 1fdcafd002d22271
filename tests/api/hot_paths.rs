//! The hot paths of the benchmark cost a fixed number of SQL statements,
//! authentication included: the portal list, the staff queue and a
//! ticket's detail page. The documents are the load driver's own, read
//! from `bench/src/scenario.rs`, so the two cannot drift apart. The count
//! does not grow with the page nor with the organisation's history, and
//! the joins that keep it low show a partner nothing it could not see
//! before.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{CommentVisibility, Role, TicketEventKind, TicketStatus};
use entity::{comments, ticket_events, tickets};
use sea_orm::ActiveModelTrait as _;
use sea_orm::ActiveValue::Set;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, TicketFixture, world};

/// The statements each scenario may cost, authentication included.
const PORTAL_STATEMENTS: u64 = 4;
const QUEUE_STATEMENTS: u64 = 3;
/// The viewer, the ticket with its organisation, creator and order, its
/// events with their actors, its comments with their authors, its
/// attachments: one statement per table read, the joined ones aside.
const DETAIL_STATEMENTS: u64 = 5;

/// The GraphQL document the load driver sends as `name` (a `const` of
/// `bench/src/scenario.rs`), unescaped as the Rust compiler does.
fn bench_document(name: &str) -> String {
    let source = include_str!("../../bench/src/scenario.rs");
    let start = format!("const {name}: &str = \"");
    let at = source
        .find(&start)
        .unwrap_or_else(|| panic!("no {name} in bench/src/scenario.rs"))
        + start.len();
    let mut document = String::new();
    let mut chars = source[at..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => return document,
            '\\' => match chars.next() {
                Some('\n') => while chars.next_if(|c| c.is_whitespace()).is_some() {},
                Some('n') => document.push('\n'),
                Some(other) => document.push(other),
                None => break,
            },
            other => document.push(other),
        }
    }
    panic!("{name} never ends")
}

/// Runs `query` as `token` and returns its answer and how many SQL
/// statements it cost, the token's check included.
async fn measured(app: &TestApp, token: &str, query: &str, variables: Value) -> (Value, u64) {
    let before = app.state.statements.get();
    let body = app.graphql(query, variables, Some(token)).await;
    assert!(body["errors"].is_null(), "{body}");
    (body, app.state.statements.get() - before)
}

async fn comment(
    app: &TestApp,
    ticket: &tickets::Model,
    author: &TestUser,
    body: &str,
    visibility: CommentVisibility,
    at: DateTime<Utc>,
) {
    comments::ActiveModel {
        organisation_id: Set(ticket.organisation_id),
        ticket_id: Set(ticket.id),
        author_id: Set(author.user.id),
        body: Set(body.to_owned()),
        visibility: Set(visibility),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .expect("insert a comment");
}

async fn event(app: &TestApp, ticket: &tickets::Model, actor: &TestUser, at: DateTime<Utc>) {
    ticket_events::ActiveModel {
        organisation_id: Set(ticket.organisation_id),
        ticket_id: Set(ticket.id),
        actor_id: Set(Some(actor.user.id)),
        kind: Set(TicketEventKind::StatusChanged),
        from_status: Set(Some(TicketStatus::Review)),
        to_status: Set(Some(TicketStatus::Queued)),
        note: Set(None),
        note_template: Set(None),
        note_param: Set(None),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .expect("insert an event");
}

/// A REVIEW laptop order of `creator`, created `minutes` after `start`,
/// with its creation event and a short conversation: the creator, staff,
/// and an INTERNAL staff note.
async fn ticket_with_history(
    app: &TestApp,
    creator: &TestUser,
    staff: &TestUser,
    reference: &str,
    start: DateTime<Utc>,
    minutes: i64,
) -> tickets::Model {
    let at = start + Duration::minutes(minutes);
    let (ticket, _) = TicketFixture::laptop(&creator.user, reference, TicketStatus::Review, at)
        .insert(&app.state.db)
        .await
        .expect("insert a ticket");
    event(app, &ticket, creator, at).await;
    let second = Duration::seconds(1);
    comment(
        app,
        &ticket,
        creator,
        "Any news?",
        CommentVisibility::Public,
        at + second,
    )
    .await;
    comment(
        app,
        &ticket,
        staff,
        "Soon.",
        CommentVisibility::Public,
        at + second * 2,
    )
    .await;
    comment(
        app,
        &ticket,
        staff,
        "Stock is low.",
        CommentVisibility::Internal,
        at + second * 3,
    )
    .await;
    comment(
        app,
        &ticket,
        creator,
        "Thanks!",
        CommentVisibility::Public,
        at + second * 4,
    )
    .await;
    ticket
}

#[tokio::test]
async fn the_hot_paths_cost_the_same_few_statements_at_any_page_size_and_history() {
    let w = world().await;
    let start = w.app.now() - Duration::days(30);
    let (member, staff) = (&w.beta_member, &w.staff);
    let member_token = w.token(member).await;
    let staff_token = w.token(staff).await;
    let portal = bench_document("PORTAL");
    let queue = bench_document("QUEUE");
    let detail = bench_document("DETAIL");

    let mut made = Vec::new();
    for i in 0..2 {
        made.push(
            ticket_with_history(
                &w.app,
                member,
                staff,
                &format!("GEM-{}", 100 + i),
                start,
                60 + i,
            )
            .await,
        );
    }
    let reference = json!({ "reference": made[0].reference });
    let (small_portal, portal_few) = measured(&w.app, &member_token, &portal, json!({})).await;
    let (_, queue_few) = measured(&w.app, &staff_token, &queue, json!({})).await;
    let (_, detail_few) = measured(&w.app, &member_token, &detail, reference.clone()).await;
    let nodes = &small_portal["data"]["tickets"]["nodes"];
    assert_eq!(nodes.as_array().map(Vec::len), Some(2), "{small_portal}");

    // More tickets than a page of either list.
    for i in 2..60 {
        made.push(
            ticket_with_history(
                &w.app,
                member,
                staff,
                &format!("GEM-{}", 100 + i),
                start,
                60 + i,
            )
            .await,
        );
    }
    let (full_portal, portal_full) = measured(&w.app, &member_token, &portal, json!({})).await;
    let (full_queue, queue_full) = measured(&w.app, &staff_token, &queue, json!({})).await;
    let (_, detail_full) = measured(&w.app, &member_token, &detail, reference.clone()).await;
    let nodes = full_portal["data"]["tickets"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{full_portal}"));
    assert_eq!(nodes.len(), 20, "{full_portal}");
    assert_eq!(full_portal["data"]["tickets"]["totalCount"], json!(60));
    assert_eq!(full_queue["data"]["tickets"]["totalCount"], json!(60));
    assert_eq!(
        full_queue["data"]["tickets"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(50),
        "{full_queue}"
    );
    // What the statements read is what the page shows: newest first, the
    // organisation, the creator, the order, the last three PUBLIC
    // comments oldest first, with their authors.
    let newest = &nodes[0];
    assert_eq!(newest["reference"], json!("GEM-159"), "{newest}");
    assert_eq!(newest["organisation"]["name"], json!("Beta"));
    assert_eq!(newest["createdBy"]["displayName"], json!("Bea Beta"));
    assert_eq!(newest["order"]["recipientName"], json!("Amina Haddad"));
    let shown: Vec<(&Value, &Value)> = newest["comments"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{newest}"))
        .iter()
        .map(|c| (&c["body"], &c["author"]["displayName"]))
        .collect();
    assert_eq!(
        shown,
        [
            (&json!("Any news?"), &json!("Bea Beta")),
            (&json!("Soon."), &json!("Sam Staff")),
            (&json!("Thanks!"), &json!("Bea Beta")),
        ],
        "{newest}"
    );

    // Years of history elsewhere in the organisation: 200 old comments and
    // 200 old events on its oldest ticket, far outside every page.
    let oldest = &made[0];
    for i in 0..200 {
        let at = start - Duration::days(365) + Duration::minutes(i);
        comment(
            &w.app,
            oldest,
            staff,
            "Old news.",
            CommentVisibility::Public,
            at,
        )
        .await;
        event(&w.app, oldest, staff, at).await;
    }
    let (_, portal_history) = measured(&w.app, &member_token, &portal, json!({})).await;
    let (_, queue_history) = measured(&w.app, &staff_token, &queue, json!({})).await;
    let other = json!({ "reference": made[1].reference });
    let (_, detail_history) = measured(&w.app, &member_token, &detail, other).await;
    let (long_detail, detail_long) = measured(&w.app, &member_token, &detail, reference).await;
    assert_eq!(
        long_detail["data"]["ticketByReference"]["comments"]["totalCount"],
        json!(203),
        "{long_detail}"
    );

    assert_eq!(
        [portal_few, portal_full, portal_history],
        [PORTAL_STATEMENTS; 3],
        "portal list: 2 tickets, a full page, a long history"
    );
    assert_eq!(
        [queue_few, queue_full, queue_history],
        [QUEUE_STATEMENTS; 3],
        "staff queue: 2 tickets, a full page, a long history"
    );
    assert_eq!(
        [detail_few, detail_full, detail_history, detail_long],
        [DETAIL_STATEMENTS; 4],
        "ticket detail: few tickets, many, a long history elsewhere, a long history of its own"
    );
}

#[tokio::test]
async fn a_creator_only_member_meets_through_the_joined_pages_no_one_it_could_not_see_before() {
    let w = world().await;
    let start = w.app.now() - Duration::days(3);
    let (member, manager, staff) = (&w.member, &w.manager, &w.staff);
    // A staff member who writes only INTERNAL notes on the member's
    // ticket, and one who answers only on the manager's ticket: the member
    // may know neither by name.
    let internal = w
        .app
        .create_user(&w.provider, Role::Staff, "Ina Internal")
        .await;
    let elsewhere = w
        .app
        .create_user(&w.provider, Role::Staff, "Otto Other")
        .await;
    let own = ticket_with_history(&w.app, member, staff, "GEM-500", start, 0).await;
    comment(
        &w.app,
        &own,
        &internal,
        "Check the stock.",
        CommentVisibility::Internal,
        start + Duration::minutes(5),
    )
    .await;
    let colleagues = ticket_with_history(&w.app, manager, staff, "GEM-501", start, 10).await;
    comment(
        &w.app,
        &colleagues,
        &elsewhere,
        "Shipped soon.",
        CommentVisibility::Public,
        start + Duration::minutes(15),
    )
    .await;
    event(
        &w.app,
        &colleagues,
        &elsewhere,
        start + Duration::minutes(16),
    )
    .await;
    let token = w.token(member).await;

    let mut seen = String::new();
    let (portal, _) = measured(&w.app, &token, &bench_document("PORTAL"), json!({})).await;
    let nodes = portal["data"]["tickets"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{portal}"));
    let references: Vec<&Value> = nodes.iter().map(|n| &n["reference"]).collect();
    assert_eq!(references, [&json!("GEM-500")], "{portal}");
    assert_eq!(portal["data"]["tickets"]["totalCount"], json!(1));
    seen.push_str(&portal.to_string());
    let detail = bench_document("DETAIL");
    let (own_detail, _) =
        measured(&w.app, &token, &detail, json!({ "reference": "GEM-500" })).await;
    let comments = &own_detail["data"]["ticketByReference"]["comments"];
    assert_eq!(comments["totalCount"], json!(3), "{own_detail}");
    for comment in comments["nodes"].as_array().into_iter().flatten() {
        assert_eq!(comment["visibility"], json!("PUBLIC"), "{own_detail}");
    }
    seen.push_str(&own_detail.to_string());
    let (colleagues_detail, _) =
        measured(&w.app, &token, &detail, json!({ "reference": "GEM-501" })).await;
    assert_eq!(
        colleagues_detail["data"]["ticketByReference"],
        Value::Null,
        "{colleagues_detail}"
    );
    seen.push_str(&colleagues_detail.to_string());

    assert!(
        seen.contains("Sam Staff"),
        "the staff answer is shown: {seen}"
    );
    for hidden in [
        "Ina Internal",
        "Otto Other",
        "Stock is low.",
        "Check the stock.",
        "Shipped soon.",
    ] {
        assert!(!seen.contains(hidden), "{hidden} leaked: {seen}");
    }
}
