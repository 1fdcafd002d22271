//! Guessing is throttled without handing anyone a way to lock others out,
//! and a password-reset request costs the same whether or not the address
//! has an account.
//!
//! The client address is an argument of the login service; these tests call
//! it with several addresses, as the HTTP layer does with each request's
//! peer (or its trusted proxy's `X-Forwarded-For`).

use chrono::Duration;
use entity::enums::{OrganisationKind, Role, TicketVisibility};
use entity::{email_outbox, login_attempts, password_reset_tokens};
use partnerdesk::auth::service;
use partnerdesk::auth::throttle::{
    MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, MAX_FAILURES_PER_ADDRESS,
    SETTLE_SECS,
};
use partnerdesk::error::AppError;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, Set,
};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, TestUser, error_code, spawn_app};

const ATTACKER: &str = "203.0.113.66";
const OWNER: &str = "198.51.100.7";

async fn admin(app: &TestApp) -> TestUser {
    let provider = app
        .create_organisation(
            "Provider",
            OrganisationKind::Provider,
            TicketVisibility::Organisation,
        )
        .await;
    app.create_user(&provider, Role::Admin, "Ada Admin").await
}

/// What a login from `addr` gets: `Ok`, or the error's code.
async fn login_from(app: &TestApp, email: &str, password: &str, addr: &str) -> &'static str {
    match service::login(&app.state, email, password, addr).await {
        Ok(_) => "OK",
        Err(AppError::BadCredentials) => "BAD_CREDENTIALS",
        Err(AppError::RateLimited { .. }) => "RATE_LIMITED",
        Err(other) => panic!("unexpected login error: {other:?}"),
    }
}

async fn fail_from(app: &TestApp, email: &str, addr: &str, times: u64) {
    for i in 0..times {
        let outcome = login_from(app, email, &format!("wrong guess {i}"), addr).await;
        assert_eq!(outcome, "BAD_CREDENTIALS", "guess {i} from {addr}");
    }
}

#[tokio::test]
async fn guessing_from_one_address_does_not_lock_the_owner_out_elsewhere() {
    let app = spawn_app().await;
    let ada = admin(&app).await;
    fail_from(
        &app,
        &ada.email,
        ATTACKER,
        MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    )
    .await;
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, ATTACKER).await,
        "RATE_LIMITED",
        "the guessing address is locked out, even with the right password"
    );
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, OWNER).await,
        "OK",
        "the owner, elsewhere, still logs in"
    );
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, ATTACKER).await,
        "RATE_LIMITED",
        "the owner's login does not lift the lock of the guessing address"
    );
    app.clock.advance(Duration::minutes(16));
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, ATTACKER).await,
        "OK",
        "the lock ends with its window"
    );
}

#[tokio::test]
async fn an_email_with_a_nul_character_is_a_wrong_login_and_is_throttled_like_any() {
    // PostgreSQL text holds no NUL: before its attempt was stored with a
    // stand-in, such a login answered INTERNAL there (found by the
    // entry point's property test).
    let app = spawn_app().await;
    let ada = admin(&app).await;
    let typed = format!("{}\u{0}", ada.email);
    fail_from(&app, &typed, ATTACKER, MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS).await;
    assert_eq!(
        login_from(&app, &typed, PASSWORD, ATTACKER).await,
        "RATE_LIMITED"
    );
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, ATTACKER).await,
        "OK",
        "the account's own key is another"
    );
    let body = app
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": "\u{0}", "p": "" }),
            None,
        )
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_locked_out_of_all() {
    let app = spawn_app().await;
    let ada = admin(&app).await;
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        let outcome = login_from(
            &app,
            &format!("guess{i}@nowhere.example"),
            "wrong password!",
            ATTACKER,
        )
        .await;
        assert_eq!(outcome, "BAD_CREDENTIALS");
    }
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, ATTACKER).await,
        "RATE_LIMITED"
    );
    assert_eq!(login_from(&app, &ada.email, PASSWORD, OWNER).await, "OK");
}

#[tokio::test]
async fn guessing_spread_over_many_addresses_locks_new_addresses_but_not_known_ones() {
    let app = spawn_app().await;
    let ada = admin(&app).await;
    assert_eq!(login_from(&app, &ada.email, PASSWORD, OWNER).await, "OK");
    let per_address = MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS;
    let addresses = MAX_FAILURES_PER_ACCOUNT.div_ceil(per_address);
    for a in 0..addresses {
        fail_from(&app, &ada.email, &format!("192.0.2.{a}"), per_address).await;
    }
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, "192.0.2.200").await,
        "RATE_LIMITED",
        "a fresh address gets no more guesses at the account"
    );
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, OWNER).await,
        "OK",
        "an address the owner logged in from still works"
    );
    app.clock.advance(Duration::minutes(61));
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, "192.0.2.200").await,
        "OK",
        "the account lock ends with its hour"
    );
}

#[tokio::test]
async fn a_password_reset_lifts_the_lock() {
    let app = spawn_app().await;
    let ada = admin(&app).await;
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        let body = app
            .graphql(login, json!({ "e": ada.email, "p": "wrong guess" }), None)
            .await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    let body = app
        .graphql(login, json!({ "e": ada.email, "p": PASSWORD }), None)
        .await;
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");

    app.graphql(
        "mutation($e: String!) { requestPasswordReset(email: $e) { message } }",
        json!({ "e": ada.email }),
        None,
    )
    .await;
    let email = email_outbox::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("the reset email");
    let text = crate::helpers::sent_text(&app, &email);
    let start = text.find("token=").expect("a link") + "token=".len();
    let token = text[start..].split_whitespace().next().expect("token");
    let new_password = "a brand new passphrase";
    let body = app
        .graphql(
            "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }",
            json!({ "t": token, "p": new_password }),
            None,
        )
        .await;
    assert_eq!(body["data"]["resetPassword"]["ok"], true, "{body}");

    let body = app
        .graphql(login, json!({ "e": ada.email, "p": new_password }), None)
        .await;
    assert!(
        body["data"]["login"]["token"].is_string(),
        "the reset lifted the lock: {body}"
    );
}

#[tokio::test]
async fn people_sharing_a_login_behind_one_address_log_in_at_the_same_moment() {
    let app = spawn_app().await;
    let ada = admin(&app).await;
    // Twice the per-(account, address) limit of correct logins at once:
    // attempts in flight are not failures, so none is refused.
    let logins = (0..2 * MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS)
        .map(|_| login_from(&app, &ada.email, PASSWORD, OWNER));
    let outcomes = futures_util::future::join_all(logins).await;
    assert!(outcomes.iter().all(|o| *o == "OK"), "{outcomes:?}");
    // Nothing is left pending.
    let pending = login_attempts::Entity::find()
        .filter(login_attempts::Column::Pending.eq(true))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(pending, 0);
}

#[tokio::test]
async fn an_attempt_its_server_never_settled_counts_as_a_failure() {
    let app = spawn_app().await;
    let ada = admin(&app).await;
    // Attempts begun by a server that stopped before checking them: fresh,
    // they are in flight; older than the settling time, failures.
    let begun = app.now() - Duration::seconds(SETTLE_SECS + 1);
    for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        login_attempts::ActiveModel {
            email: Set(ada.email.to_lowercase()),
            client_addr: Set(ATTACKER.to_owned()),
            succeeded: Set(false),
            pending: Set(true),
            attempted_at: Set(begun),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .expect("insert");
    }
    assert_eq!(
        login_from(&app, &ada.email, PASSWORD, ATTACKER).await,
        "RATE_LIMITED"
    );
    assert_eq!(login_from(&app, &ada.email, PASSWORD, OWNER).await, "OK");
}

/// The statements one `requestPasswordReset` costs.
async fn reset_request_statements(app: &TestApp, email: &str) -> u64 {
    let before = app.state.statements.get();
    service::request_password_reset(&app.state, email)
        .await
        .expect("request_password_reset");
    app.state.statements.get() - before
}

#[tokio::test]
async fn a_reset_request_runs_the_same_statements_with_or_without_an_account() {
    use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, IntoActiveModel as _};
    let app = spawn_app().await;
    let ada = admin(&app).await;
    let partner = app
        .create_organisation(
            "Sozialdienst",
            OrganisationKind::Partner,
            TicketVisibility::CreatorOnly,
        )
        .await;
    let gone = app
        .create_user(&partner, Role::PartnerMember, "Gone Member")
        .await;
    let mut row = gone.user.clone().into_active_model();
    row.is_active = Set(false);
    row.update(&app.state.db).await.expect("deactivate");

    let sends = reset_request_statements(&app, &ada.email).await;
    let cases = [
        ("an unknown address", "nobody@nowhere.example".to_owned()),
        ("a malformed address", "not an address".to_owned()),
        ("a deactivated account", gone.email.clone()),
    ];
    for (case, email) in &cases {
        assert_eq!(
            reset_request_statements(&app, email).await,
            sends,
            "{case} costs what a sent link costs"
        );
    }
    // Two more links fill the hour's quota; the next one is refused, at
    // the same cost.
    for _ in 0..2 {
        assert_eq!(reset_request_statements(&app, &ada.email).await, sends);
    }
    assert_eq!(
        reset_request_statements(&app, &ada.email).await,
        sends,
        "a request over the hour's quota costs what a sent link costs"
    );
    assert!(
        sends >= 4,
        "a sent link reads and writes: {sends} statements"
    );

    let emails = email_outbox::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    let tokens = password_reset_tokens::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(
        (emails, tokens),
        (3, 3),
        "only the three links within the quota are kept"
    );
}
