//! `organisations`: a Relay connection behind the policy module.

use entity::enums::{OrganisationKind, Role, TicketVisibility};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, world};

const LIST: &str = "query($first: Int, $after: String) {
  organisations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { name } }
  }
}";

fn names(body: &serde_json::Value) -> Vec<String> {
    body["data"]["organisations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges in {body}"))
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn partners_see_only_their_own_organisation() {
    let app = spawn_app().await;
    let alpha = app
        .create_organisation(
            "Alpha",
            OrganisationKind::Partner,
            TicketVisibility::CreatorOnly,
        )
        .await;
    app.create_organisation(
        "Beta",
        OrganisationKind::Partner,
        TicketVisibility::Organisation,
    )
    .await;
    let member = app
        .create_user(&alpha, Role::PartnerMember, "Max Member")
        .await;
    let token = app.login(&member.email, PASSWORD).await;
    let body = app.graphql(LIST, json!({}), Some(&token)).await;
    assert_eq!(names(&body), vec!["Alpha"]);
    assert_eq!(body["data"]["organisations"]["totalCount"], 1);
}

#[tokio::test]
async fn another_organisation_by_id_is_absent_for_partners() {
    let app = spawn_app().await;
    let alpha = app
        .create_organisation(
            "Alpha",
            OrganisationKind::Partner,
            TicketVisibility::CreatorOnly,
        )
        .await;
    let beta = app
        .create_organisation(
            "Beta",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let member = app
        .create_user(&alpha, Role::PartnerManager, "Max Manager")
        .await;
    let token = app.login(&member.email, PASSWORD).await;
    let beta_id = partnerdesk::relay::to_global_id("Organisation", beta.id);
    let missing_id = partnerdesk::relay::to_global_id("Organisation", beta.id + 1000);
    for id in [&beta_id, &missing_id] {
        let body = app
            .graphql(
                "query($id: ID!) { organisation(id: $id) { name } node(id: $id) { id } }",
                json!({ "id": id.as_str() }),
                Some(&token),
            )
            .await;
        assert_eq!(
            body,
            json!({ "data": { "organisation": null, "node": null } }),
            "same answer for another tenant's and a missing id"
        );
    }
}

#[tokio::test]
async fn staff_see_every_organisation_page_by_page() {
    let app = spawn_app().await;
    let provider = app
        .create_organisation(
            "Provider",
            OrganisationKind::Provider,
            TicketVisibility::Organisation,
        )
        .await;
    for name in ["Alpha", "Beta", "Gamma", "Delta"] {
        app.create_organisation(
            name,
            OrganisationKind::Partner,
            TicketVisibility::CreatorOnly,
        )
        .await;
    }
    let staff = app.create_user(&provider, Role::Staff, "Sam Staff").await;
    let token = app.login(&staff.email, PASSWORD).await;

    let first = app.graphql(LIST, json!({ "first": 2 }), Some(&token)).await;
    assert_eq!(names(&first), vec!["Alpha", "Beta"]);
    assert_eq!(first["data"]["organisations"]["totalCount"], 5);
    assert_eq!(
        first["data"]["organisations"]["pageInfo"]["hasNextPage"],
        true
    );
    let cursor = first["data"]["organisations"]["pageInfo"]["endCursor"].clone();

    let second = app
        .graphql(LIST, json!({ "first": 10, "after": cursor }), Some(&token))
        .await;
    assert_eq!(names(&second), vec!["Delta", "Gamma", "Provider"]);
    assert_eq!(
        second["data"]["organisations"]["pageInfo"]["hasNextPage"],
        false
    );

    let last = app
        .graphql(
            "{ organisations(last: 2) { edges { node { name } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(names(&last), vec!["Gamma", "Provider"]);
}

#[tokio::test]
async fn page_size_is_bounded() {
    let app = spawn_app().await;
    let provider = app
        .create_organisation(
            "Provider",
            OrganisationKind::Provider,
            TicketVisibility::Organisation,
        )
        .await;
    let staff = app.create_user(&provider, Role::Staff, "Sam Staff").await;
    let token = app.login(&staff.email, PASSWORD).await;
    let body = app
        .graphql(LIST, json!({ "first": 101 }), Some(&token))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "first", "{body}");
}

#[tokio::test]
async fn members_know_colleagues_by_name_only() {
    let app = spawn_app().await;
    let alpha = app
        .create_organisation(
            "Alpha",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let member = app
        .create_user(&alpha, Role::PartnerMember, "Max Member")
        .await;
    app.create_user(&alpha, Role::PartnerMember, "Carla Colleague")
        .await;
    let token = app.login(&member.email, PASSWORD).await;
    let body = app
        .graphql(
            "{ users { edges { node { displayName email role locale isActive lastLoginAt createdAt } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let edges = body["data"]["users"]["edges"]
        .as_array()
        .expect("edges")
        .clone();
    let carla = edges
        .iter()
        .find(|e| e["node"]["displayName"] == "Carla Colleague")
        .expect("colleague listed");
    assert_eq!(
        carla["node"],
        json!({ "displayName": "Carla Colleague", "email": null, "role": null, "locale": null,
                 "isActive": null, "lastLoginAt": null, "createdAt": null }),
        "a colleague is known by name only: {body}"
    );
    let me = edges
        .iter()
        .find(|e| e["node"]["displayName"] == "Max Member")
        .expect("self listed");
    assert_eq!(me["node"]["email"], member.email.as_str());
    assert_eq!(me["node"]["role"], "PARTNER_MEMBER");
}

const UPDATE: &str = "mutation($id: ID!, $input: UpdateOrganisationInput!) {
  updateOrganisation(id: $id, input: $input) { organisation { ticketVisibility billingMode } }
}";

fn org_id(org: &entity::organisations::Model) -> String {
    partnerdesk::relay::to_global_id("Organisation", org.id).to_string()
}

#[tokio::test]
async fn an_admin_changes_ticket_visibility_and_it_applies_on_the_next_request() {
    let w = world().await;
    let member_token = w.app.login(&w.member.email, PASSWORD).await;
    let body = w
        .app
        .graphql(
            UPDATE,
            json!({ "id": org_id(&w.alpha), "input": { "ticketVisibility": "ORGANISATION" } }),
            Some(&w.token(&w.admin).await),
        )
        .await;
    assert_eq!(
        body["data"]["updateOrganisation"]["organisation"]["ticketVisibility"], "ORGANISATION",
        "{body}"
    );
    // The same token, next request: the viewer is rebuilt with the new setting.
    let holder = partnerdesk::policy::system::user_for_token(&w.app.state.db, w.member.user.id)
        .await
        .expect("query")
        .expect("user");
    assert_eq!(
        holder.viewer().ticket_visibility,
        TicketVisibility::Organisation
    );
    let body = w
        .app
        .graphql(
            "{ viewer { organisation { ticketVisibility } } }",
            json!({}),
            Some(&member_token),
        )
        .await;
    assert_eq!(
        body["data"]["viewer"]["organisation"]["ticketVisibility"], "ORGANISATION",
        "{body}"
    );
}

#[tokio::test]
async fn staff_change_the_billing_mode_only() {
    let w = world().await;
    let body = w
        .app
        .graphql(
            UPDATE,
            json!({ "id": org_id(&w.alpha), "input": { "billingMode": "QUARTERLY" } }),
            Some(&w.token(&w.staff).await),
        )
        .await;
    assert_eq!(
        body["data"]["updateOrganisation"]["organisation"]["billingMode"], "QUARTERLY",
        "{body}"
    );
    let body = w
        .app
        .graphql(
            UPDATE,
            json!({ "id": org_id(&w.alpha), "input": { "ticketVisibility": "ORGANISATION" } }),
            Some(&w.token(&w.staff).await),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
}

#[tokio::test]
async fn partners_cannot_change_settings() {
    let w = world().await;
    let body = w
        .app
        .graphql(
            UPDATE,
            json!({ "id": org_id(&w.alpha), "input": { "ticketVisibility": "ORGANISATION" } }),
            Some(&w.token(&w.manager).await),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "own organisation: {body}"
    );
    let body = w
        .app
        .graphql(
            UPDATE,
            json!({ "id": org_id(&w.beta), "input": { "ticketVisibility": "ORGANISATION" } }),
            Some(&w.token(&w.manager).await),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "another organisation: {body}"
    );
}

#[tokio::test]
async fn bad_settings_name_the_fields_and_change_nothing() {
    let w = world().await;
    let body = w
        .app
        .graphql(
            UPDATE,
            json!({ "id": org_id(&w.alpha), "input": {
                "ticketVisibility": "ORGANISATION",
                "name": "Beta",
                "billingEmail": "nope",
                "vatRateBasisPoints": -1,
                "standardUnitPriceCents": -5
            } }),
            Some(&w.token(&w.admin).await),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body}"
    );
    let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for field in [
        "input.name",
        "input.billingEmail",
        "input.vatRateBasisPoints",
        "input.standardUnitPriceCents",
    ] {
        assert!(fields.contains(&field), "{field} named in {body}");
    }
    use sea_orm::EntityTrait as _;
    let alpha = entity::organisations::Entity::find_by_id(w.alpha.id)
        .one(&w.app.state.db)
        .await
        .expect("query")
        .expect("alpha");
    assert_eq!(alpha, w.alpha, "nothing written");
}

fn invalid_fields(body: &serde_json::Value) -> Vec<&str> {
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body}"
    );
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("fields in {body}"))
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect()
}

#[tokio::test]
async fn create_and_update_report_every_bad_setting_at_once_and_write_nothing() {
    use sea_orm::{EntityTrait as _, PaginatorTrait as _};
    let w = world().await;
    let token = w.token(&w.admin).await;
    let bad = json!({
        "name": "Beta",
        "billingAddress": "Bahnhofstrasse 1\u{0}",
        "standardUnitPriceCents": 25_000,
        "learningUnitPriceCents": -1,
        "vatRateBasisPoints": 10_001
    });
    let expected = [
        "input.name",
        "input.billingAddress",
        "input.learningUnitPriceCents",
        "input.vatRateBasisPoints",
    ];
    let before = entity::organisations::Entity::find()
        .count(&w.app.state.db)
        .await
        .expect("count");
    let created = w
        .app
        .graphql(
            "mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { organisation { id } } }",
            json!({ "input": bad }),
            Some(&token),
        )
        .await;
    // A partner is created with a billing email, where its invoices go.
    let on_create = [
        "input.name",
        "input.billingEmail",
        "input.billingAddress",
        "input.learningUnitPriceCents",
        "input.vatRateBasisPoints",
    ];
    assert_eq!(invalid_fields(&created), on_create, "create: {created}");
    assert_eq!(
        entity::organisations::Entity::find()
            .count(&w.app.state.db)
            .await
            .expect("count"),
        before,
        "nothing created"
    );

    let updated = w
        .app
        .graphql(
            UPDATE,
            json!({ "id": org_id(&w.alpha), "input": bad }),
            Some(&token),
        )
        .await;
    assert_eq!(invalid_fields(&updated), expected, "update: {updated}");
    let alpha = entity::organisations::Entity::find_by_id(w.alpha.id)
        .one(&w.app.state.db)
        .await
        .expect("query")
        .expect("alpha");
    assert_eq!(alpha, w.alpha, "nothing written");
}

#[tokio::test]
async fn huge_page_sizes_are_refused_not_crashed_on() {
    let w = world().await;
    let token = w.token(&w.staff).await;
    let query = "{ users(first: 2147483647) { edges { node { organisation { users(first: 2147483647) { edges { node { organisation { users(first: 2147483647) { totalCount } } } } } } } } } }";
    let response = w.app.graphql_response(query, json!({}), Some(&token)).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body}"
    );
}

#[tokio::test]
async fn a_cursor_of_another_list_is_refused() {
    let w = world().await;
    let token = w.token(&w.staff).await;
    let body = w
        .app
        .graphql(
            "{ organisations(first: 1) { pageInfo { endCursor } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let cursor = body["data"]["organisations"]["pageInfo"]["endCursor"].clone();
    for query in [
        "query($c: String) { tickets(after: $c) { totalCount } }",
        "query($c: String) { feedback(before: $c) { totalCount } }",
    ] {
        let body = w
            .app
            .graphql(query, json!({ "c": cursor }), Some(&token))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{body}"
        );
    }
}
