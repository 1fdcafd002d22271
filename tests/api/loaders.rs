//! Relations load through per-request DataLoaders: the number of SQL
//! statements of a request does not grow with the number of items on a page.

use entity::enums::{OrganisationKind, Role, TicketVisibility};
use serde_json::json;

use crate::helpers::{TestApp, world};

const PAGE: &str = "query($n: Int!) { tickets(first: $n) { totalCount edges { node {
  reference
  organisation { name }
  createdBy { displayName }
  order { city }
  comments { totalCount edges { node { body author { displayName } ticket { reference } } } }
  commentCount
  events { totalCount nodes { kind actor { displayName } } }
  attachments { totalCount nodes { fileName uploadedBy { displayName } } }
  relatedTicket { reference }
  availableTransitions { action }
} } } }";

/// Runs `query` and returns how many SQL statements it cost.
async fn statements(app: &TestApp, token: &str, query: &str, variables: serde_json::Value) -> u64 {
    let before = app.state.statements.get();
    let body = app.graphql(query, variables, Some(token)).await;
    assert!(body["errors"].is_null(), "{body}");
    app.state.statements.get() - before
}

#[tokio::test]
async fn a_page_of_tickets_costs_the_same_statements_at_any_size() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let order =
        "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id } } }";
    let comment =
        "mutation($id: ID!) { addComment(ticketId: $id, body: \"Any news?\") { comment { id } } }";
    for i in 0..12 {
        let body = w
            .app
            .graphql(
                order,
                json!({ "input": {
                    "recipientName": format!("Person {i}"), "street": "Bahnhofstrasse 1",
                    "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
                } }),
                Some(&member),
            )
            .await;
        let id = body["data"]["orderLaptop"]["ticket"]["id"].clone();
        w.app
            .graphql(comment, json!({ "id": id }), Some(&member))
            .await;
        w.app
            .graphql(comment, json!({ "id": id }), Some(&staff))
            .await;
    }
    for token in [&member, &staff] {
        let small = statements(&w.app, token, PAGE, json!({ "n": 2 })).await;
        let large = statements(&w.app, token, PAGE, json!({ "n": 12 })).await;
        // People load at several depths (creators, comment authors, event
        // actors); whether two of those batches meet in one statement
        // depends on timing, so the count may move by a statement or two.
        // An N+1 would add ten (one per extra ticket) for each relation.
        assert!(
            large <= small + 2,
            "statements for 2 tickets: {small}, for 12: {large}: N+1 crept in"
        );
        assert!(large <= 14, "about one statement per relation, got {large}");
    }
}

const INVOICES: &str = "query($n: Int!) { invoices(first: $n) { totalCount nodes {
  number
  organisation { name }
  lines { totalCount nodes {
    reference vatCents
    invoice { number }
    ticket { reference invoiceLine { id } order { invoice { number } } }
  } }
} } }";

#[tokio::test]
async fn a_page_of_invoices_with_their_lines_costs_the_same_statements_at_any_size() {
    let w = world().await;
    let member = w.token(&w.member).await;
    let manager = w.token(&w.manager).await;
    let staff = w.token(&w.staff).await;
    let order =
        "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id } } }";
    let approve = "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { id } } }";
    let ship = "mutation($id: ID!, $at: DateTime!) { shipOrder(input: {ticketId: $id, deviceModel: \"T480\", serialNumber: \"SN\", shippedAt: $at}) { ticket { id } } }";
    // Alpha is billed per order: each shipment issues an invoice.
    for i in 0..12 {
        let body = w
            .app
            .graphql(
                order,
                json!({ "input": {
                    "recipientName": format!("Person {i}"), "street": "Bahnhofstrasse 1",
                    "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
                } }),
                Some(&member),
            )
            .await;
        let id = body["data"]["orderLaptop"]["ticket"]["id"].clone();
        w.app
            .graphql(approve, json!({ "id": id }), Some(&staff))
            .await;
        let body = w
            .app
            .graphql(
                ship,
                json!({ "id": id, "at": "2026-09-01T10:00:00Z" }),
                Some(&staff),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    for token in [&manager, &staff] {
        let small = statements(&w.app, token, INVOICES, json!({ "n": 2 })).await;
        let page = w
            .app
            .graphql(INVOICES, json!({ "n": 12 }), Some(token))
            .await;
        let invoices = page["data"]["invoices"]["nodes"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(invoices, 12, "the page really holds 12 invoices: {page}");
        let large = statements(&w.app, token, INVOICES, json!({ "n": 12 })).await;
        assert!(
            large <= small + 2,
            "statements for 2 invoices: {small}, for 12: {large}: N+1 crept in"
        );
        assert!(large <= 12, "about one statement per relation, got {large}");
    }
}

const ORGANISATIONS: &str = "query($n: Int!) { organisations(first: $n) { edges { node {
  name
  users { totalCount edges { node { displayName email organisation { name } } } }
} } } }";

#[tokio::test]
async fn a_page_of_organisations_with_their_users_costs_the_same_statements_at_any_size() {
    let w = world().await;
    for i in 0..12 {
        let organisation = w
            .app
            .create_organisation(
                &format!("Partner {i:02}"),
                OrganisationKind::Partner,
                TicketVisibility::Organisation,
            )
            .await;
        for role in [Role::PartnerManager, Role::PartnerMember] {
            w.app
                .create_user(&organisation, role, &format!("{role:?} {i:02}"))
                .await;
        }
    }
    let staff = w.token(&w.staff).await;

    // The setup holds: the large page has 12 organisations, each with its
    // users, read through the loader.
    let body = w
        .app
        .graphql(ORGANISATIONS, json!({ "n": 12 }), Some(&staff))
        .await;
    let edges = body["data"]["organisations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no page: {body}"));
    assert_eq!(edges.len(), 12, "{body}");
    for edge in edges {
        let organisation = &edge["node"];
        let users = organisation["users"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("no users: {organisation}"));
        assert!(!users.is_empty(), "{organisation}");
        assert_eq!(
            organisation["users"]["totalCount"],
            json!(users.len()),
            "{organisation}"
        );
        for user in users {
            assert_eq!(
                user["node"]["organisation"]["name"], organisation["name"],
                "a user listed under the wrong organisation: {organisation}"
            );
        }
    }

    let small = statements(&w.app, &staff, ORGANISATIONS, json!({ "n": 2 })).await;
    let large = statements(&w.app, &staff, ORGANISATIONS, json!({ "n": 12 })).await;
    // An N+1 would add ten statements (one per extra organisation).
    assert!(
        large <= small + 1,
        "statements for 2 organisations: {small}, for 12: {large}: N+1 crept in"
    );
}
