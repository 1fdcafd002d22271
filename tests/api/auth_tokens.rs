//! Bearer tokens: every way a token can be wrong is refused with HTTP 401
//! and UNAUTHENTICATED. Each test also shows that a genuine token of the same
//! user is accepted, so that it can only fail for the reason it names.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Duration;
use entity::enums::{OrganisationKind, Role, TicketVisibility};
use entity::users;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use partnerdesk::clock::Clock as _;
use reqwest::StatusCode;
use sea_orm::ActiveModelTrait as _;
use sea_orm::ActiveValue::Set;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TEST_JWT_SECRET, TestApp, TestUser, error_code, spawn_app};

const VIEWER: &str = "{ viewer { id } }";
const ISSUER: &str = "partnerdesk";
const AUDIENCE: &str = "partnerdesk-api";
const OTHER_SECRET: &str = "another-secret-that-is-also-32-bytes-long!!";

/// A running app with one partner member and a token from a real login.
struct Subject {
    app: TestApp,
    member: TestUser,
    token: String,
}

async fn subject() -> Subject {
    let app = spawn_app().await;
    let org = app
        .create_organisation(
            "Sozialdienst",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let member = app
        .create_user(&org, Role::PartnerMember, "Anna Muster")
        .await;
    let token = app.login(&member.email, PASSWORD).await;
    Subject { app, member, token }
}

/// The claims the server would issue to `user` now (by the app's clock),
/// with `overrides` replacing or adding top-level claims.
fn claims_for(app: &TestApp, user: &users::Model, overrides: Value) -> Value {
    let now = app.clock.now().timestamp();
    let mut claims = json!({
        "sub": user.id.to_string(),
        "org": user.organisation_id,
        "role": user.role,
        "ver": user.token_version,
        "iat": now,
        "exp": now + 3600,
        "iss": ISSUER,
        "aud": AUDIENCE,
    });
    let (Value::Object(claims_map), Value::Object(overrides)) = (&mut claims, overrides) else {
        panic!("claims and overrides must be JSON objects");
    };
    claims_map.extend(overrides);
    claims
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign token")
}

/// Signs `claims` exactly as the server does (HS256, the server's secret).
fn sign_genuine(claims: &Value) -> String {
    sign(claims, Algorithm::HS256, TEST_JWT_SECRET)
}

/// `{ viewer { id } }` with the given raw `Authorization` header value.
async fn viewer_with_authorization(app: &TestApp, authorization: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/graphql", app.address))
        .header(reqwest::header::AUTHORIZATION, authorization)
        .json(&json!({ "query": VIEWER, "variables": {} }))
        .send()
        .await
        .expect("request")
}

async fn viewer_with_token(app: &TestApp, token: &str) -> reqwest::Response {
    app.graphql_response(VIEWER, json!({}), Some(token)).await
}

async fn expect_accepted(response: reqwest::Response, user: &TestUser, what: &str) {
    let status = response.status();
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    assert!(body["errors"].is_null(), "{what}: {body}");
    let id = partnerdesk::relay::to_global_id("User", user.user.id);
    assert_eq!(body["data"]["viewer"]["id"], id.as_str(), "{what}: {body}");
}

async fn expect_rejected(response: reqwest::Response, what: &str) {
    let status = response.status();
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{what}: {body}");
    assert!(body["data"]["viewer"].is_null(), "{what}: {body}");
}

async fn assert_accepted(app: &TestApp, user: &TestUser, token: &str, what: &str) {
    expect_accepted(viewer_with_token(app, token).await, user, what).await;
}

async fn assert_rejected(app: &TestApp, token: &str, what: &str) {
    expect_rejected(viewer_with_token(app, token).await, what).await;
}

/// Accepts the hand-made token without the deviation, then rejects the one
/// with it: the deviation is the only reason for the refusal.
async fn assert_only_override_rejected(s: &Subject, overrides: Value, what: &str) {
    let genuine = sign_genuine(&claims_for(&s.app, &s.member.user, json!({})));
    assert_accepted(
        &s.app,
        &s.member,
        &genuine,
        "control: hand-made genuine token",
    )
    .await;
    let forged = sign_genuine(&claims_for(&s.app, &s.member.user, overrides));
    assert_rejected(&s.app, &forged, what).await;
}

async fn update_member(s: &Subject, change: impl FnOnce(&mut users::ActiveModel)) {
    let mut active: users::ActiveModel = s.member.user.clone().into();
    change(&mut active);
    active.update(&s.app.state.db).await.expect("update user");
}

#[tokio::test]
async fn malformed_token_is_rejected() {
    let s = subject().await;
    assert_accepted(&s.app, &s.member, &s.token, "control: login token").await;
    for token in ["abc", "!!!not-base64.%%%garbage%%%.***", "e30.e30.e30"] {
        assert_rejected(&s.app, token, token).await;
    }
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let s = subject().await;
    s.app
        .clock
        .advance(Duration::hours(8) - Duration::minutes(1));
    assert_accepted(
        &s.app,
        &s.member,
        &s.token,
        "control: token just before 8 h",
    )
    .await;
    s.app.clock.advance(Duration::minutes(2));
    assert_rejected(&s.app, &s.token, "token after 8 h").await;
    let fresh = s.app.login(&s.member.email, PASSWORD).await;
    assert_accepted(&s.app, &s.member, &fresh, "control: fresh login").await;
}

#[tokio::test]
async fn token_with_past_exp_is_rejected() {
    let s = subject().await;
    let now = s.app.clock.now().timestamp();
    let overrides = json!({ "iat": now - 7200, "exp": now - 60 });
    assert_only_override_rejected(&s, overrides, "exp in the past").await;
}

#[tokio::test]
async fn token_signed_with_another_key_is_rejected() {
    let s = subject().await;
    let claims = claims_for(&s.app, &s.member.user, json!({}));
    assert_accepted(&s.app, &s.member, &sign_genuine(&claims), "control: HS256").await;
    let forged = sign(&claims, Algorithm::HS256, OTHER_SECRET);
    assert_rejected(&s.app, &forged, "another secret").await;
}

#[tokio::test]
async fn token_signed_with_another_algorithm_is_rejected() {
    let s = subject().await;
    let claims = claims_for(&s.app, &s.member.user, json!({}));
    assert_accepted(&s.app, &s.member, &sign_genuine(&claims), "control: HS256").await;
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let forged = sign(&claims, algorithm, TEST_JWT_SECRET);
        assert_rejected(&s.app, &forged, &format!("{algorithm:?}")).await;
    }
}

#[tokio::test]
async fn unsigned_token_is_rejected() {
    let s = subject().await;
    let claims = claims_for(&s.app, &s.member.user, json!({}));
    assert_accepted(&s.app, &s.member, &sign_genuine(&claims), "control: HS256").await;
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT" }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_rejected(&s.app, &format!("{header}.{payload}."), "alg none").await;
}

#[tokio::test]
async fn token_for_another_audience_is_rejected() {
    let s = subject().await;
    let overrides = json!({ "aud": "some-other-api" });
    assert_only_override_rejected(&s, overrides, "another audience").await;
}

#[tokio::test]
async fn token_from_another_issuer_is_rejected() {
    let s = subject().await;
    let overrides = json!({ "iss": "someone-else" });
    assert_only_override_rejected(&s, overrides, "another issuer").await;
}

#[tokio::test]
async fn token_with_outdated_version_is_rejected() {
    let s = subject().await;
    assert_accepted(&s.app, &s.member, &s.token, "control: before the bump").await;
    let bumped = s.member.user.token_version + 1;
    update_member(&s, |user| user.token_version = Set(bumped)).await;
    assert_rejected(&s.app, &s.token, "token of the previous version").await;
    let fresh = s.app.login(&s.member.email, PASSWORD).await;
    assert_accepted(
        &s.app,
        &s.member,
        &fresh,
        "control: token of the new version",
    )
    .await;
}

#[tokio::test]
async fn token_of_deactivated_user_is_rejected() {
    let s = subject().await;
    assert_accepted(&s.app, &s.member, &s.token, "control: before deactivation").await;
    update_member(&s, |user| user.is_active = Set(false)).await;
    assert_rejected(&s.app, &s.token, "deactivated user").await;
}

#[tokio::test]
async fn token_not_yet_valid_is_rejected() {
    let s = subject().await;
    let now = s.app.clock.now().timestamp();
    let past_nbf = sign_genuine(&claims_for(
        &s.app,
        &s.member.user,
        json!({ "nbf": now - 60 }),
    ));
    assert_accepted(&s.app, &s.member, &past_nbf, "control: nbf in the past").await;
    let overrides = json!({ "nbf": now + 600 });
    assert_only_override_rejected(&s, overrides, "nbf in the future").await;
}

#[tokio::test]
async fn token_for_unknown_user_is_rejected() {
    let s = subject().await;
    let unknown = (s.member.user.id + 1_000_000).to_string();
    let overrides = json!({ "sub": unknown });
    assert_only_override_rejected(&s, overrides, "unknown user").await;
}

#[tokio::test]
async fn token_for_another_organisation_is_rejected() {
    let s = subject().await;
    let other = s
        .app
        .create_organisation(
            "Andere Stelle",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let overrides = json!({ "org": other.id });
    assert_only_override_rejected(&s, overrides, "another organisation").await;
}

#[tokio::test]
async fn non_bearer_authorization_is_rejected() {
    let s = subject().await;
    let bearer = viewer_with_authorization(&s.app, &format!("Bearer {}", s.token)).await;
    expect_accepted(bearer, &s.member, "control: Bearer scheme").await;
    let basic = STANDARD.encode(format!("{}:{PASSWORD}", s.member.email));
    for header in [format!("Basic {basic}"), format!("Basic {}", s.token)] {
        let response = viewer_with_authorization(&s.app, &header).await;
        expect_rejected(response, &header).await;
    }
}

/// RFC 7235 §2.1: the authentication scheme is case-insensitive.
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let s = subject().await;
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let response = viewer_with_authorization(&s.app, &format!("{scheme} {}", s.token)).await;
        expect_accepted(response, &s.member, scheme).await;
    }
}

#[tokio::test]
async fn empty_bearer_token_is_rejected() {
    let s = subject().await;
    assert_accepted(&s.app, &s.member, &s.token, "control: login token").await;
    for header in ["Bearer ", "Bearer"] {
        let response = viewer_with_authorization(&s.app, header).await;
        expect_rejected(response, header).await;
    }
}
