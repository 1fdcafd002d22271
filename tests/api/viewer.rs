//! `viewer`: who the request acts for.

use entity::enums::{OrganisationKind, Role, TicketVisibility};
use serde_json::json;

use crate::helpers::{PASSWORD, error_code, spawn_app};

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
