//! Creating, deactivating and reactivating users; creating organisations.

use entity::enums::EmailKind;
use entity::{email_outbox, organisations, users};
use partnerdesk::relay::to_global_id;
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestUser, World, error_code, world};

const CREATE_USER: &str =
    "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id email role } } }";
const DEACTIVATE: &str = "mutation($id: ID!) { deactivateUser(id: $id) { user { isActive } } }";
const REACTIVATE: &str = "mutation($id: ID!) { reactivateUser(id: $id) { user { isActive } } }";

async fn create_user(w: &World, as_user: &TestUser, input: Value) -> Value {
    let token = w.token(as_user).await;
    w.app
        .graphql(CREATE_USER, json!({ "input": input }), Some(&token))
        .await
}

async fn user_count(w: &World) -> u64 {
    users::Entity::find()
        .count(&w.app.state.db)
        .await
        .expect("count")
}

fn new_user(org: &organisations::Model, email: &str, role: &str) -> Value {
    json!({
        "organisationId": to_global_id("Organisation", org.id).as_str(),
        "email": email,
        "displayName": "New Person",
        "role": role,
        "password": "a long enough password",
    })
}

#[tokio::test]
async fn a_manager_creates_partner_users_in_its_organisation() {
    let w = world().await;
    let body = create_user(
        &w,
        &w.manager,
        new_user(&w.alpha, "New.Person@Alpha.example", "PARTNER_MEMBER"),
    )
    .await;
    assert_eq!(
        body["data"]["createUser"]["user"]["email"], "new.person@alpha.example",
        "{body}"
    );
    w.app
        .login("new.person@alpha.example", "a long enough password")
        .await;
}

#[tokio::test]
async fn a_manager_cannot_create_staff_or_admin_users() {
    let w = world().await;
    let before = user_count(&w).await;
    for role in ["STAFF", "ADMIN"] {
        let body = create_user(&w, &w.manager, new_user(&w.alpha, "x@alpha.example", role)).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{role}: {body}");
    }
    assert_eq!(user_count(&w).await, before, "nothing written");
}

#[tokio::test]
async fn a_manager_cannot_touch_another_organisation() {
    let w = world().await;
    let before = user_count(&w).await;
    let body = create_user(
        &w,
        &w.manager,
        new_user(&w.beta, "x@beta.example", "PARTNER_MEMBER"),
    )
    .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let token = w.token(&w.manager).await;
    let id = to_global_id("User", w.beta_member.user.id);
    let body = w
        .app
        .graphql(DEACTIVATE, json!({ "id": id.as_str() }), Some(&token))
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    assert_eq!(user_count(&w).await, before);
    w.app.login(&w.beta_member.email, PASSWORD).await;
}

#[tokio::test]
async fn a_member_cannot_manage_users() {
    let w = world().await;
    let before = user_count(&w).await;
    let body = create_user(
        &w,
        &w.member,
        new_user(&w.alpha, "x@alpha.example", "PARTNER_MEMBER"),
    )
    .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let token = w.token(&w.member).await;
    let colleague = to_global_id("User", w.manager.user.id);
    let body = w
        .app
        .graphql(
            DEACTIVATE,
            json!({ "id": colleague.as_str() }),
            Some(&token),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(user_count(&w).await, before);
}

#[tokio::test]
async fn staff_cannot_create_users_but_an_admin_creates_any_role() {
    let w = world().await;
    let body = create_user(
        &w,
        &w.staff,
        new_user(&w.alpha, "x@alpha.example", "PARTNER_MEMBER"),
    )
    .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = create_user(
        &w,
        &w.admin,
        new_user(&w.provider, "new.staff@provider.example", "STAFF"),
    )
    .await;
    assert_eq!(
        body["data"]["createUser"]["user"]["role"], "STAFF",
        "{body}"
    );
    let body = create_user(
        &w,
        &w.admin,
        new_user(&w.beta, "new.manager@beta.example", "PARTNER_MANAGER"),
    )
    .await;
    assert_eq!(
        body["data"]["createUser"]["user"]["role"], "PARTNER_MANAGER",
        "{body}"
    );
    let body = create_user(
        &w,
        &w.admin,
        new_user(&w.beta, "wrong@beta.example", "STAFF"),
    )
    .await;
    assert_eq!(
        error_code(&body),
        Some("VALIDATION"),
        "staff belong to the provider: {body}"
    );
}

#[tokio::test]
async fn without_a_password_the_new_user_gets_an_invitation() {
    let w = world().await;
    let mut input = new_user(&w.alpha, "invited@alpha.example", "PARTNER_MEMBER");
    input.as_object_mut().expect("object").remove("password");
    let body = create_user(&w, &w.manager, input).await;
    assert!(body["errors"].is_null(), "{body}");
    let email = email_outbox::Entity::find()
        .one(&w.app.state.db)
        .await
        .expect("q")
        .expect("invitation");
    assert_eq!(email.kind, EmailKind::Invite);
    assert_eq!(email.to_address, "invited@alpha.example");
    let text = crate::helpers::sent_text(&w.app, &email);
    let start = text.find("token=").expect("link") + "token=".len();
    let token = text[start..].split_whitespace().next().expect("token");
    let body = w
        .app
        .graphql(
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }",
            json!({ "t": token, "p": "my own chosen password" }),
            None,
        )
        .await;
    assert_eq!(body["data"]["resetPassword"]["ok"], true, "{body}");
    w.app
        .login("invited@alpha.example", "my own chosen password")
        .await;
}

#[tokio::test]
async fn bad_input_names_every_field_and_writes_nothing() {
    let w = world().await;
    let before = user_count(&w).await;
    let mut input = new_user(&w.alpha, "not-an-email", "PARTNER_MEMBER");
    input["password"] = json!("short");
    input["displayName"] = json!("   ");
    let body = create_user(&w, &w.manager, input).await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        vec!["input.email", "input.displayName", "input.password"]
    );

    let body = create_user(
        &w,
        &w.manager,
        new_user(&w.alpha, "x@alpha.example", "KING"),
    )
    .await;
    assert_eq!(
        error_code(&body),
        Some("VALIDATION"),
        "unknown role: {body}"
    );
    assert!(
        body["errors"][0]["extensions"]["field"]
            .as_str()
            .is_some_and(|f| f.contains("input")),
        "{body}"
    );

    let body = create_user(
        &w,
        &w.manager,
        new_user(&w.alpha, &w.member.email, "PARTNER_MEMBER"),
    )
    .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "taken email: {body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.email");
    assert_eq!(user_count(&w).await, before, "nothing written");
    assert_eq!(
        email_outbox::Entity::find()
            .count(&w.app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn deactivation_revokes_tokens_and_reactivation_restores_login() {
    let w = world().await;
    let member_token = w.token(&w.member).await;
    let manager_token = w.token(&w.manager).await;
    let id = to_global_id("User", w.member.user.id);
    let body = w
        .app
        .graphql(
            DEACTIVATE,
            json!({ "id": id.as_str() }),
            Some(&manager_token),
        )
        .await;
    assert_eq!(
        body["data"]["deactivateUser"]["user"]["isActive"], false,
        "{body}"
    );
    let body = w
        .app
        .graphql("{ viewer { id } }", json!({}), Some(&member_token))
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let body = w
        .app
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": w.member.email, "p": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");

    let body = w
        .app
        .graphql(
            REACTIVATE,
            json!({ "id": id.as_str() }),
            Some(&manager_token),
        )
        .await;
    assert_eq!(
        body["data"]["reactivateUser"]["user"]["isActive"], true,
        "{body}"
    );
    w.app.login(&w.member.email, PASSWORD).await;
}

#[tokio::test]
async fn nobody_deactivates_themselves() {
    let w = world().await;
    for user in [&w.manager, &w.admin] {
        let token = w.token(user).await;
        let id = to_global_id("User", user.user.id);
        let body = w
            .app
            .graphql(DEACTIVATE, json!({ "id": id.as_str() }), Some(&token))
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    }
}

#[tokio::test]
async fn only_an_admin_creates_organisations() {
    let w = world().await;
    let mutation = "mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { organisation { name ticketVisibility billingMode } } }";
    let input = json!({
        "name": "Gamma",
        "ticketVisibility": "ORGANISATION",
        "billingMode": "QUARTERLY",
        "billingEmail": "Billing@Gamma.example",
        "standardUnitPriceCents": 25000,
        "learningUnitPriceCents": 35000,
    });
    for user in [&w.staff, &w.manager, &w.member] {
        let token = w.token(user).await;
        let body = w
            .app
            .graphql(mutation, json!({ "input": input }), Some(&token))
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    }
    let token = w.token(&w.admin).await;
    let body = w
        .app
        .graphql(mutation, json!({ "input": input }), Some(&token))
        .await;
    assert_eq!(
        body["data"]["createOrganisation"]["organisation"],
        json!({ "name": "Gamma", "ticketVisibility": "ORGANISATION", "billingMode": "QUARTERLY" }),
        "{body}"
    );
    let mut bad = input.clone();
    bad["name"] = json!("Gamma");
    bad["billingEmail"] = json!("nope");
    bad["vatRateBasisPoints"] = json!(20000);
    let before = organisations::Entity::find()
        .count(&w.app.state.db)
        .await
        .expect("count");
    let body = w
        .app
        .graphql(mutation, json!({ "input": bad }), Some(&token))
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        organisations::Entity::find()
            .count(&w.app.state.db)
            .await
            .expect("count"),
        before
    );
}
