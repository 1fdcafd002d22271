//! Login, password reset and change, throttling.

use chrono::Duration;
use entity::enums::{EmailKind, OrganisationKind, Role, TicketVisibility};
use entity::{email_outbox, password_reset_tokens, users};
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestUser, error_code, spawn_app};

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { displayName } } }";
const REQUEST_RESET: &str = "mutation($e: String!) { requestPasswordReset(email: $e) { message } }";
const RESET: &str =
    "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }";
const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }";
const NEW_PASSWORD: &str = "a brand new passphrase";

async fn partner_member(app: &TestApp) -> TestUser {
    let org = app
        .create_organisation(
            "Sozialdienst",
            OrganisationKind::Partner,
            TicketVisibility::CreatorOnly,
        )
        .await;
    app.create_user(&org, Role::PartnerMember, "Anna Muster")
        .await
}

async fn try_login(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(LOGIN, json!({ "e": email, "p": password }), None)
        .await
}

async fn viewer_works(app: &TestApp, token: &str) -> bool {
    let body = app
        .graphql("{ viewer { id } }", json!({}), Some(token))
        .await;
    body["data"]["viewer"]["id"].is_string()
}

#[tokio::test]
async fn login_is_case_insensitive_and_records_the_last_login() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let body = try_login(
        &app,
        &format!("  {}  ", anna.email.to_uppercase()),
        PASSWORD,
    )
    .await;
    assert_eq!(
        body["data"]["login"]["user"]["displayName"], "Anna Muster",
        "{body}"
    );
    let user = users::Entity::find_by_id(anna.user.id)
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("user");
    assert!(user.last_login_at.is_some());
}

#[tokio::test]
async fn unknown_email_and_wrong_password_give_identical_errors() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let send = |email: String, password: &'static str| {
        let app = &app;
        async move {
            app.graphql_response(LOGIN, json!({ "e": email, "p": password }), None)
                .await
                .bytes()
                .await
                .expect("body")
        }
    };
    let wrong_password = send(anna.email.clone(), "not the password").await;
    let unknown_email = send("nobody@nowhere.example".to_owned(), "not the password").await;
    assert_eq!(wrong_password, unknown_email, "byte-identical bodies");
    let body: Value = serde_json::from_slice(&wrong_password).expect("json");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn a_deactivated_user_cannot_log_in() {
    use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, IntoActiveModel as _};
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let mut row = anna.user.clone().into_active_model();
    row.is_active = Set(false);
    row.update(&app.state.db).await.expect("update");
    let body = try_login(&app, &anna.email, PASSWORD).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn the_sixth_bad_login_is_rate_limited_until_the_window_passes() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    for _ in 0..5 {
        let body = try_login(&app, &anna.email, "wrong password!").await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    let body = try_login(&app, &anna.email, PASSWORD).await;
    assert_eq!(
        error_code(&body),
        Some("RATE_LIMITED"),
        "even the right password: {body}"
    );
    let retry_after = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");

    app.clock.advance(Duration::minutes(14));
    let body = try_login(&app, &anna.email, PASSWORD).await;
    assert_eq!(
        error_code(&body),
        Some("RATE_LIMITED"),
        "still inside the window: {body}"
    );

    app.clock.advance(Duration::minutes(2));
    let body = try_login(&app, &anna.email, PASSWORD).await;
    assert!(
        body["data"]["login"]["token"].is_string(),
        "after the window: {body}"
    );
}

#[tokio::test]
async fn twenty_failures_from_one_address_block_it() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    for i in 0..20 {
        let body = try_login(
            &app,
            &format!("guess{i}@nowhere.example"),
            "wrong password!",
        )
        .await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    let body = try_login(&app, &anna.email, PASSWORD).await;
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    app.clock.advance(Duration::minutes(16));
    let body = try_login(&app, &anna.email, PASSWORD).await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
}

#[tokio::test]
async fn password_reset_answers_the_same_for_unknown_emails() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let known = app
        .graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let unknown = app
        .graphql(
            REQUEST_RESET,
            json!({ "e": "nobody@nowhere.example" }),
            None,
        )
        .await;
    assert_eq!(known, unknown);
    assert!(known["errors"].is_null(), "{known}");
    let queued = email_outbox::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(queued, 1, "one email, for the known account only");
}

#[tokio::test]
async fn reset_email_warns_that_the_login_may_be_shared() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let email = email_outbox::Entity::find()
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("email");
    assert_eq!(email.kind, EmailKind::PasswordReset);
    assert!(
        email.body_text.contains("plusieurs personnes"),
        "French warning: {}",
        email.body_text
    );
    // Only the token's hash is stored.
    let token = app.emailed_token(&anna.email).await;
    let row = password_reset_tokens::Entity::find()
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("row");
    assert_ne!(row.token_hash, token);
    assert_eq!(
        row.token_hash,
        partnerdesk::auth::service::hash_token(&token)
    );
}

#[tokio::test]
async fn a_reset_revokes_earlier_tokens_and_the_link_works_once() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let old_token = app.login(&anna.email, PASSWORD).await;
    assert!(viewer_works(&app, &old_token).await);

    app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let reset_token = app.emailed_token(&anna.email).await;
    let body = app
        .graphql(RESET, json!({ "t": reset_token, "p": NEW_PASSWORD }), None)
        .await;
    assert_eq!(body["data"]["resetPassword"]["ok"], true, "{body}");

    assert!(
        !viewer_works(&app, &old_token).await,
        "the earlier token is revoked"
    );
    let body = try_login(&app, &anna.email, PASSWORD).await;
    assert_eq!(
        error_code(&body),
        Some("UNAUTHENTICATED"),
        "old password no longer works"
    );
    let new_token = app.login(&anna.email, NEW_PASSWORD).await;
    assert!(viewer_works(&app, &new_token).await);

    let again = app
        .graphql(
            RESET,
            json!({ "t": reset_token, "p": "yet another passphrase" }),
            None,
        )
        .await;
    assert_eq!(
        error_code(&again),
        Some("VALIDATION"),
        "a used token is refused: {again}"
    );
    assert_eq!(again["errors"][0]["extensions"]["field"], "token");
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let reset_token = app.emailed_token(&anna.email).await;
    app.clock.advance(Duration::minutes(61));
    let body = app
        .graphql(RESET, json!({ "t": reset_token, "p": NEW_PASSWORD }), None)
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert!(
        viewer_works(&app, &app.login(&anna.email, PASSWORD).await).await,
        "password unchanged"
    );
}

#[tokio::test]
async fn a_reset_with_a_bad_new_password_changes_nothing() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let reset_token = app.emailed_token(&anna.email).await;
    let body = app
        .graphql(RESET, json!({ "t": reset_token, "p": "short" }), None)
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "newPassword");
    let row = password_reset_tokens::Entity::find()
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("row");
    assert!(row.used_at.is_none(), "the token is still unused");
    let body = app
        .graphql(RESET, json!({ "t": reset_token, "p": NEW_PASSWORD }), None)
        .await;
    assert_eq!(body["data"]["resetPassword"]["ok"], true, "{body}");
}

#[tokio::test]
async fn changing_the_password_revokes_earlier_tokens() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let old_token = app.login(&anna.email, PASSWORD).await;
    let body = app
        .graphql(
            CHANGE,
            json!({ "c": PASSWORD, "n": NEW_PASSWORD }),
            Some(&old_token),
        )
        .await;
    let new_token = body["data"]["changePassword"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(
        !viewer_works(&app, &old_token).await,
        "earlier token revoked"
    );
    assert!(viewer_works(&app, &new_token).await, "the new token works");
    app.login(&anna.email, NEW_PASSWORD).await;
}

#[tokio::test]
async fn change_password_checks_the_current_one_and_the_policy() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let token = app.login(&anna.email, PASSWORD).await;
    let wrong = app
        .graphql(
            CHANGE,
            json!({ "c": "not my password", "n": NEW_PASSWORD }),
            Some(&token),
        )
        .await;
    assert_eq!(error_code(&wrong), Some("VALIDATION"), "{wrong}");
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "currentPassword");
    let same_as_email = app
        .graphql(
            CHANGE,
            json!({ "c": PASSWORD, "n": anna.email }),
            Some(&token),
        )
        .await;
    assert_eq!(
        same_as_email["errors"][0]["extensions"]["field"], "newPassword",
        "{same_as_email}"
    );
    let too_long = app
        .graphql(
            CHANGE,
            json!({ "c": PASSWORD, "n": "x".repeat(129) }),
            Some(&token),
        )
        .await;
    assert_eq!(
        too_long["errors"][0]["extensions"]["field"], "newPassword",
        "{too_long}"
    );
    assert!(viewer_works(&app, &token).await, "nothing changed");
}

#[tokio::test]
async fn anonymous_requests_may_only_authenticate() {
    let app = spawn_app().await;
    let body = app
        .graphql(CHANGE, json!({ "c": PASSWORD, "n": NEW_PASSWORD }), None)
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let body = app
        .graphql("{ users { totalCount } }", json!({}), None)
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let body = app
        .graphql(
            "mutation { deactivateUser(id: \"VXNlcjox\") { user { id } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let body = app
        .graphql("{ __schema { queryType { name } } }", json!({}), None)
        .await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "introspection stays open"
    );
}

#[tokio::test]
async fn the_login_payload_reads_as_the_user_who_logged_in() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let body = app
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { email organisation { name } } } }",
            json!({ "e": anna.email, "p": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(
        body["data"]["login"]["user"],
        json!({ "email": anna.email, "organisation": { "name": "Sozialdienst" } }),
        "{body}"
    );
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_limit() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let guesses = (0..30).map(|i| {
        let app = &app;
        let email = anna.email.clone();
        async move { try_login(app, &email, &format!("wrong guess {i}")).await }
    });
    let bodies = futures_util::future::join_all(guesses).await;
    let checked = bodies
        .iter()
        .filter(|b| error_code(b) == Some("UNAUTHENTICATED"))
        .count();
    let refused = bodies
        .iter()
        .filter(|b| error_code(b) == Some("RATE_LIMITED"))
        .count();
    // Attempts that meet in flight may all be refused; none may slip past.
    assert!(
        checked <= 5,
        "at most 5 guesses are checked, {checked} were"
    );
    assert_eq!(checked + refused, 30);
}

#[tokio::test]
async fn a_reset_voids_the_other_links_sent_earlier() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let first = app.emailed_token(&anna.email).await;
    app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let second = app.emailed_token(&anna.email).await;
    assert_ne!(first, second);
    let body = app
        .graphql(RESET, json!({ "t": second, "p": NEW_PASSWORD }), None)
        .await;
    assert_eq!(body["data"]["resetPassword"]["ok"], true, "{body}");
    let body = app
        .graphql(
            RESET,
            json!({ "t": first, "p": "yet another passphrase" }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
}

#[tokio::test]
async fn reset_requests_cannot_flood_a_mailbox() {
    let app = spawn_app().await;
    let anna = partner_member(&app).await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(
            app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
                .await,
        );
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "the same answer every time"
    );
    let sent = email_outbox::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(sent, 3, "three links an hour at most");
    app.clock.advance(Duration::minutes(61));
    app.graphql(REQUEST_RESET, json!({ "e": anna.email }), None)
        .await;
    let sent = email_outbox::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(sent, 4, "and again after the hour");
}
