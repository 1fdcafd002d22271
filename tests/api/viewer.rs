//! `viewer`: who the request acts for.

use entity::enums::{OrganisationKind, Role, TicketStatus, TicketVisibility};
use entity::users;
use sea_orm::ActiveModelTrait as _;
use sea_orm::ActiveValue::Set;
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, error_code, spawn_another_instance, spawn_app, spawn_app_configured, world,
    world_on,
};
use crate::logs;

#[tokio::test]
async fn viewer_is_null_when_anonymous() {
    let app = spawn_app().await;
    let body = app.graphql("{ viewer { id } }", json!({}), None).await;
    assert_eq!(body["data"]["viewer"], serde_json::Value::Null, "{body}");
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn viewer_reflects_the_logged_in_user() {
    let app = spawn_app().await;
    let org = app
        .create_organisation(
            "Sozialdienst",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let anna = app
        .create_user(&org, Role::PartnerManager, "Anna Muster")
        .await;
    let token = app.login(&anna.email.to_uppercase(), PASSWORD).await;
    let body = app
        .graphql(
            "{ viewer { id displayName email role organisation { name } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        body["data"]["viewer"],
        json!({
            "id": partnerdesk::relay::to_global_id("User", anna.user.id).as_str(),
            "displayName": "Anna Muster",
            "email": anna.email,
            "role": "PARTNER_MANAGER",
            "organisation": { "name": "Sozialdienst" }
        }),
        "{body}"
    );
}

#[tokio::test]
async fn anonymous_requests_cannot_read_tenant_data() {
    let app = spawn_app().await;
    let body = app
        .graphql("{ organisations { totalCount } }", json!({}), None)
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn a_bad_token_is_an_error_not_an_anonymous_request() {
    let app = spawn_app().await;
    let response = app
        .graphql_response("{ viewer { id } }", json!({}), Some("not.a.token"))
        .await;
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

/// Runs `query` as `token` and returns its body, how many statements it
/// cost, and their text as logged (the app must log them).
async fn run_logged(
    app: &TestApp,
    query: &str,
    token: &str,
) -> (serde_json::Value, u64, Vec<String>) {
    let before = app.state.statements.get();
    let response = app.graphql_response(query, json!({}), Some(token)).await;
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("JSON");
    let count = app.state.statements.get() - before;
    (body, count, logs::statements_of(&id))
}

#[tokio::test]
async fn the_token_check_is_one_statement_by_primary_key_with_only_what_a_viewer_is() {
    logs::capture();
    let app = spawn_app_configured(|config| config.log_sql = true).await;
    let org = app
        .create_organisation(
            "Sozialdienst",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let anna = app
        .create_user(&org, Role::PartnerMember, "Anna Muster")
        .await;
    let token = app.login(&anna.email, PASSWORD).await;

    let (body, count, sql) = run_logged(&app, "{ __typename }", &token).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(count, 1, "the token check alone: {sql:#?}");
    assert_eq!(sql.len(), 1, "{sql:#?}");
    let check = &sql[0];
    assert!(
        check.contains(&format!("\"users\".\"id\" = {}", anna.user.id)),
        "by primary key: {check}"
    );
    for column in ["token_version", "is_active", "role", "ticket_visibility"] {
        assert!(check.contains(column), "reads {column}: {check}");
    }
    for column in ["password_hash", "email", "display_name", "last_login_at"] {
        assert!(!check.contains(column), "never {column}: {check}");
    }

    // The `viewer` field loads the rest of the user like any person.
    let (body, count, sql) = run_logged(&app, "{ viewer { displayName email } }", &token).await;
    assert_eq!(
        body["data"]["viewer"],
        json!({ "displayName": "Anna Muster", "email": anna.email }),
        "{body}"
    );
    assert_eq!(count, 2, "the token check and the person: {sql:#?}");
}

/// `{ viewer { role } }` through `app`: the role, or the refusal's reason.
async fn viewer_role(app: &TestApp, token: &str) -> Result<String, String> {
    let response = app
        .graphql_response("{ viewer { role } }", json!({}), Some(token))
        .await;
    let status = response.status();
    let body: serde_json::Value = response.json().await.expect("JSON");
    if status == 401 {
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
        return Err(body["errors"][0]["extensions"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned());
    }
    assert!(body["errors"].is_null(), "{body}");
    Ok(body["data"]["viewer"]["role"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn a_revocation_through_one_instance_refuses_the_very_next_request_on_another() {
    let w = world().await;
    let other = spawn_another_instance(&w.app).await;
    let first = &w.app;
    let revoked = || Err("REVOKED".to_owned());

    // A password change through the first: the old token is refused by the
    // second at once; the fresh one works there.
    let old = w.token(&w.member).await;
    assert_eq!(viewer_role(&other, &old).await, Ok("PARTNER_MEMBER".into()));
    let body = first
        .graphql(
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }",
            json!({ "c": PASSWORD, "n": "another long password" }),
            Some(&old),
        )
        .await;
    let fresh = body["data"]["changePassword"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert_eq!(viewer_role(&other, &old).await, revoked());
    assert_eq!(
        viewer_role(&other, &fresh).await,
        Ok("PARTNER_MEMBER".into())
    );

    // A deactivation through the first.
    let manager = w.token(&w.manager).await;
    let body = first
        .graphql(
            "mutation($id: ID!) { deactivateUser(id: $id) { user { isActive } } }",
            json!({ "id": partnerdesk::relay::to_global_id("User", w.member.user.id).as_str() }),
            Some(&manager),
        )
        .await;
    assert_eq!(
        body["data"]["deactivateUser"]["user"]["isActive"], false,
        "{body}"
    );
    assert_eq!(viewer_role(&other, &fresh).await, revoked());

    // A password reset asked for through the second, done through the first.
    let bea = w.token(&w.beta_member).await;
    assert_eq!(viewer_role(&other, &bea).await, Ok("PARTNER_MEMBER".into()));
    other
        .graphql(
            "mutation($e: String!) { requestPasswordReset(email: $e) { message } }",
            json!({ "e": w.beta_member.email }),
            None,
        )
        .await;
    let link = first.emailed_token(&w.beta_member.email).await;
    let body = first
        .graphql(
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }",
            json!({ "t": link, "p": "a brand new password" }),
            None,
        )
        .await;
    assert_eq!(body["data"]["resetPassword"]["ok"], true, "{body}");
    assert_eq!(viewer_role(&other, &bea).await, revoked());

    // A move to another organisation, written by anyone (here: directly).
    assert_eq!(
        viewer_role(&other, &manager).await,
        Ok("PARTNER_MANAGER".into())
    );
    let mut moved: users::ActiveModel = w.manager.user.clone().into();
    moved.organisation_id = Set(w.beta.id);
    moved.update(&first.state.db).await.expect("move");
    assert_eq!(viewer_role(&other, &manager).await, revoked());

    // A change of role revokes nothing, but the very next request on the
    // other instance acts with the new role.
    let staff = w.token(&w.staff).await;
    let emails = "{ emails(first: 1) { totalCount } }";
    let body = other.graphql(emails, json!({}), Some(&staff)).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let mut promoted: users::ActiveModel = w.staff.user.clone().into();
    promoted.role = Set(Role::Admin);
    promoted.update(&first.state.db).await.expect("promote");
    let body = other.graphql(emails, json!({}), Some(&staff)).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(viewer_role(&other, &staff).await, Ok("ADMIN".into()));
}

#[tokio::test]
async fn no_statement_outside_authentication_selects_the_password_hash() {
    logs::capture();
    let w = world_on(spawn_app_configured(|config| config.log_sql = true).await).await;
    let admin = w.token(&w.admin).await;
    let staff = w.token(&w.staff).await;
    let manager = w.token(&w.manager).await;
    let member = w.token(&w.member).await;
    let gid = |id: i64| partnerdesk::relay::to_global_id("User", id).to_string();
    // Creating a user writes the (absent) hash: authentication's own work,
    // left out of what is checked below.
    let body = w
        .app
        .graphql(
            "mutation($o: ID!) { createUser(input: { organisationId: $o, email: \"new.colleague@example.org\", displayName: \"New Colleague\", role: PARTNER_MEMBER }) { user { id } } }",
            json!({ "o": partnerdesk::relay::to_global_id("Organisation", w.alpha.id).as_str() }),
            Some(&admin),
        )
        .await;
    let invited = body["data"]["createUser"]["user"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let ticket_id = partnerdesk::relay::to_global_id("Ticket", ticket.id).to_string();
    let people = "displayName email role locale isActive invitationPending lastLoginAt createdAt";
    let requests = [
        (&member, format!("{{ viewer {{ {people} organisation {{ name users {{ nodes {{ {people} }} }} }} }} }}")),
        (&manager, format!("{{ users(first: 50) {{ totalCount nodes {{ id {people} }} }} }}")),
        (&admin, format!("{{ user(id: \"{invited}\") {{ {people} }} }}")),
        (&staff, format!("{{ node(id: \"{}\") {{ ... on User {{ {people} }} }} }}", gid(w.member.user.id))),
        (&staff, format!("mutation {{ addComment(ticketId: \"{ticket_id}\", body: \"On its way\") {{ comment {{ author {{ displayName }} }} }} }}")),
        (&member, format!("mutation {{ addComment(ticketId: \"{ticket_id}\", body: \"Thanks\") {{ comment {{ id }} }} }}")),
        (&member, "{ tickets(first: 10) { nodes { createdBy { displayName } comments { nodes { author { displayName } } } events { nodes { actor { displayName } } } } } }".to_owned()),
        (&member, "mutation { orderLaptop(input: { recipientName: \"Person\", street: \"Bahnhofstrasse 1\", postalCode: \"8001\", city: \"Zürich\", phone: \"+41 44 668 18 00\" }) { ticket { createdBy { displayName } } } }".to_owned()),
        (&admin, format!("mutation {{ resendInvitation(userId: \"{invited}\") {{ user {{ {people} }} }} }}")),
        (&manager, format!("mutation {{ deactivateUser(id: \"{}\") {{ user {{ {people} }} }} }}", gid(w.member.user.id))),
        (&manager, format!("mutation {{ reactivateUser(id: \"{}\") {{ user {{ {people} }} }} }}", gid(w.member.user.id))),
    ];
    for (token, query) in &requests {
        let (body, count, sql) = run_logged(&w.app, query, token).await;
        assert!(body["errors"].is_null(), "{query}: {body}");
        assert_eq!(
            sql.len() as u64,
            count,
            "{query}: every statement is in the log"
        );
        for statement in &sql {
            assert!(
                !statement.contains("password_hash"),
                "{query} selected the password hash: {statement}"
            );
        }
    }
}
