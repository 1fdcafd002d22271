//! What a portal needs to explain itself in its user's language: errors
//! with a `reason`, worded in the viewer's locale or `Accept-Language`;
//! authentication failures that say why; `Retry-After`.

use entity::enums::{Locale, TicketStatus};
use entity::users;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait as _, EntityTrait as _};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, error_code, world};

const ORDER: &str =
    "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id } } }";

async fn set_locale(app: &TestApp, user_id: i64, locale: Locale) {
    let user = users::Entity::find_by_id(user_id)
        .one(&app.state.db)
        .await
        .expect("read")
        .expect("user");
    let mut user: users::ActiveModel = user.into();
    user.locale = Set(locale);
    user.update(&app.state.db).await.expect("update");
}

async fn post_with_language(
    app: &TestApp,
    query: &str,
    variables: Value,
    token: Option<&str>,
    language: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept-language", language)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

fn field<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["field"] == name))
        .unwrap_or_else(|| panic!("no error on {name}: {body}"))
}

#[tokio::test]
async fn an_invalid_order_has_reasons_and_a_german_message_for_a_german_speaking_user() {
    let w = world().await;
    set_locale(&w.app, w.member.user.id, Locale::De).await;
    let token = w.token(&w.member).await;
    let input = json!({
        "recipientName": "x".repeat(201),
        "street": "Bundesplatz 3",
        "postalCode": "12",
        "city": "Bern",
        "country": "XX",
        "phone": "12345",
    });
    // The viewer's locale wins over the browser's header.
    let body: Value =
        post_with_language(&w.app, ORDER, json!({ "input": input }), Some(&token), "it")
            .await
            .json()
            .await
            .expect("JSON");
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    let name = field(&body, "input.recipientName");
    assert_eq!(name["reason"], "TOO_LONG", "{body}");
    assert_eq!(name["params"]["max"], 200, "{body}");
    assert_eq!(name["message"], "höchstens 200 Zeichen", "{body}");
    assert_eq!(field(&body, "input.country")["reason"], "INVALID_FORMAT");
    // An invalid country hides nothing: the postal code and the phone are
    // checked by the default country's rules in the same round.
    let postal = field(&body, "input.postalCode");
    assert_eq!(postal["reason"], "INVALID_FORMAT");
    assert_eq!(postal["message"], "ungültiges Format, z. B. 3000");
    assert_eq!(field(&body, "input.phone")["reason"], "INVALID_FORMAT");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("ungültige Eingabe: "), "{message}");
    let count = tickets_count(&w.app).await;
    assert_eq!(count, 0, "nothing written");
}

async fn tickets_count(app: &TestApp) -> u64 {
    use sea_orm::PaginatorTrait as _;
    entity::tickets::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn an_anonymous_request_gets_its_errors_in_the_accept_language() {
    let w = world().await;
    let reset =
        "mutation { resetPassword(token: \"nope\", newPassword: \"long enough password\") { ok } }";
    let body: Value = post_with_language(&w.app, reset, json!({}), None, "it-CH, de;q=0.5")
        .await
        .json()
        .await
        .expect("JSON");
    let token = field(&body, "token");
    assert_eq!(token["reason"], "EXPIRED", "{body}");
    assert_eq!(
        token["message"], "link non valido o scaduto; richiedetene uno nuovo",
        "{body}"
    );

    // Without a usable header, English: the detailed message of the rule.
    let body: Value = post_with_language(&w.app, reset, json!({}), None, "es")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        field(&body, "token")["message"],
        "this link is invalid or has expired; ask for a new one"
    );

    // The reset answer is worded for the request too.
    let ask = "mutation { requestPasswordReset(email: \"nobody@example.org\") { message } }";
    let body: Value = post_with_language(&w.app, ask, json!({}), None, "fr-CH")
        .await
        .json()
        .await
        .expect("JSON");
    let message = body["data"]["requestPasswordReset"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.starts_with("Si un compte utilise cette adresse"),
        "{body}"
    );
    assert!(message.contains("plusieurs personnes"), "{body}");
}

#[tokio::test]
async fn a_value_the_graphql_layer_cannot_parse_names_its_argument() {
    let w = world().await;
    let token = w.token(&w.admin).await;
    let body = w
        .app
        .graphql(
            "mutation { markInvoicePaid(id: \"SW52b2ljZTox\", paidAt: \"yesterday\") { invoice { id } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "paidAt", "{body}");
    assert_eq!(field(&body, "paidAt")["reason"], "INVALID_FORMAT", "{body}");
}

async fn viewer_status(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app
        .graphql_response("{ viewer { id } }", json!({}), Some(token))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_refused_token_says_whether_it_expired_was_revoked_or_is_invalid() {
    let w = world().await;
    let token = w.token(&w.member).await;

    let (status, body) = viewer_status(&w.app, "not.a.token").await;
    assert_eq!(status, 401);
    assert_eq!(
        body["errors"][0]["extensions"]["reason"], "INVALID",
        "{body}"
    );

    let stale = w.token(&w.manager).await;
    w.app.clock.advance(chrono::Duration::hours(9));
    let (status, body) = viewer_status(&w.app, &stale).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    assert_eq!(
        body["errors"][0]["extensions"]["reason"], "EXPIRED",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["message"], "your login has expired; log in again",
        "{body}"
    );

    let fresh = w.token(&w.member).await;
    w.app
        .graphql(
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }",
            json!({ "c": PASSWORD, "n": "another long password" }),
            Some(&fresh),
        )
        .await;
    let (status, body) = viewer_status(&w.app, &fresh).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["errors"][0]["extensions"]["reason"], "REVOKED",
        "{body}"
    );
    drop(token);
}

#[tokio::test]
async fn login_and_password_reset_work_with_a_stale_authorization_header() {
    let w = world().await;
    let stale = w.token(&w.member).await;
    w.app.clock.advance(chrono::Duration::hours(9));
    let body = w
        .app
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": w.member.email, "p": PASSWORD }),
            Some(&stale),
        )
        .await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
    let body = w
        .app
        .graphql(
            "mutation($e: String!) { requestPasswordReset(email: $e) { message } }",
            json!({ "e": w.member.email }),
            Some("garbage"),
        )
        .await;
    assert!(
        body["data"]["requestPasswordReset"]["message"].is_string(),
        "{body}"
    );

    // Anything else with the stale token is still refused, a login
    // alongside another field included.
    let response = w
        .app
        .graphql_response(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } giveFeedback(message: \"hi\") { feedback { id } } }",
            json!({ "e": w.member.email, "p": PASSWORD }),
            Some(&stale),
        )
        .await;
    assert_eq!(response.status().as_u16(), 401);
    let (status, _) = viewer_status(&w.app, &stale).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn rate_limited_logins_set_retry_after() {
    let w = world().await;
    let mut last = None;
    for _ in 0..7 {
        let response = w
            .app
            .graphql_response(
                "mutation($e: String!) { login(email: $e, password: \"wrong password!\") { token } }",
                json!({ "e": w.member.email }),
                None,
            )
            .await;
        last = Some(response);
    }
    let response = last.expect("a response");
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    let seconds = body["errors"][0]["extensions"]["retryAfter"].as_u64();
    assert!(seconds.is_some_and(|s| s > 0), "{body}");
    assert_eq!(retry_after, seconds, "the header says what the body says");
}

#[tokio::test]
async fn a_ticket_shows_its_status_and_kind_labels_in_the_viewers_language() {
    let w = world().await;
    set_locale(&w.app, w.member.user.id, Locale::It).await;
    w.app.ticket_in(&w.member, TicketStatus::ReadyToShip).await;
    let token = w.token(&w.member).await;
    let body = w
        .app
        .graphql(
            "{ tickets { nodes { statusLabel kindLabel } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let ticket = &body["data"]["tickets"]["nodes"][0];
    assert_eq!(ticket["statusLabel"], "Pronto per la spedizione", "{body}");
    assert_eq!(ticket["kindLabel"], "Ordine di un portatile", "{body}");
}

const TICKET: &str = "query($id: ID!) { ticket(id: $id) { id version updatedAt events { nodes { kind note } } commentCount } }";

#[tokio::test]
async fn a_stale_expected_version_is_refused_with_conflict_and_writes_nothing() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let id = partnerdesk::relay::to_global_id("Ticket", ticket.id).to_string();
    let staff = w.token(&w.staff).await;
    let body = w
        .app
        .graphql(TICKET, json!({ "id": id }), Some(&staff))
        .await;
    let version = body["data"]["ticket"]["version"]
        .as_i64()
        .expect("a version");

    let queue = "mutation($id: ID!, $v: Int) { transitionTicket(input: {ticketId: $id, to: QUEUED, expectedVersion: $v}) { ticket { status version } } }";
    let body = w
        .app
        .graphql(queue, json!({ "id": id, "v": version }), Some(&staff))
        .await;
    assert_eq!(
        body["data"]["transitionTicket"]["ticket"]["status"], "QUEUED",
        "{body}"
    );
    assert_eq!(
        body["data"]["transitionTicket"]["ticket"]["version"],
        version + 1
    );

    // A screen still showing the first version.
    let cancel = "mutation($id: ID!, $v: Int) { cancelTicket(ticketId: $id, reason: \"duplicate\", expectedVersion: $v) { ticket { status } } }";
    let body = w
        .app
        .graphql(cancel, json!({ "id": id, "v": version }), Some(&staff))
        .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
    let after = w
        .app
        .graphql(TICKET, json!({ "id": id }), Some(&staff))
        .await;
    assert_eq!(
        after["data"]["ticket"]["version"],
        version + 1,
        "nothing written"
    );
    assert_eq!(
        after["data"]["ticket"]["events"]["nodes"],
        body_events_after_one_step(),
        "only the first step's event"
    );
}

/// The history of a fixture ticket (written without events) after one
/// status change.
fn body_events_after_one_step() -> Value {
    json!([{ "kind": "STATUS_CHANGED", "note": null }])
}

#[tokio::test]
async fn reads_answer_null_and_writes_not_found_for_missing_and_hidden_tickets_alike() {
    let w = world().await;
    let hidden = w.app.ticket_in(&w.beta_member, TicketStatus::Review).await;
    let hidden = partnerdesk::relay::to_global_id("Ticket", hidden.id).to_string();
    let missing = partnerdesk::relay::to_global_id("Ticket", 999_999).to_string();
    let token = w.token(&w.member).await;
    for id in [&hidden, &missing] {
        let body = w
            .app
            .graphql(TICKET, json!({ "id": id }), Some(&token))
            .await;
        assert!(body["errors"].is_null(), "{body}");
        assert!(body["data"]["ticket"].is_null(), "{body}");
        let body = w
            .app
            .graphql(
                "mutation($id: ID!) { cancelTicket(ticketId: $id, reason: \"x\") { ticket { id } } }",
                json!({ "id": id }),
                Some(&token),
            )
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    }
    // A malformed id is the caller's mistake: VALIDATION, naming it.
    let body = w
        .app
        .graphql(TICKET, json!({ "id": "nonsense" }), Some(&token))
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "id");
    let body = w
        .app
        .graphql(
            "mutation { cancelTicket(ticketId: \"nonsense\", reason: \"x\") { ticket { id } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "ticketId");
}

#[tokio::test]
async fn ship_order_takes_one_input_and_a_bad_date_names_its_field() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::ReadyToShip).await;
    let id = partnerdesk::relay::to_global_id("Ticket", ticket.id).to_string();
    let staff = w.token(&w.staff).await;
    let body = w
        .app
        .graphql(
            "mutation($id: ID!) { shipOrder(input: {ticketId: $id, deviceModel: \"T480\", serialNumber: \"SN1\", shippedAt: \"last tuesday\"}) { ticket { status } } }",
            json!({ "id": id }),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.shippedAt",
        "{body}"
    );
    assert_eq!(field(&body, "input.shippedAt")["reason"], "INVALID_FORMAT");
    // The same through a variable.
    let body = w
        .app
        .graphql(
            "mutation($input: ShipOrderInput!) { shipOrder(input: $input) { ticket { status } } }",
            json!({ "input": { "ticketId": id, "deviceModel": "T480", "serialNumber": "SN1", "shippedAt": "soon" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("shippedAt")
            || body["errors"][0]["extensions"]["field"] == "input.shippedAt",
        "{body}"
    );

    let at = w.app.now().to_rfc3339();
    let body = w
        .app
        .graphql(
            "mutation($id: ID!, $at: DateTime!) { shipOrder(input: {ticketId: $id, deviceModel: \"T480\", serialNumber: \"SN1\", shippedAt: $at, trackingNumber: \"99.1\"}) { ticket { status events { nodes { kind note } } } } }",
            json!({ "id": id, "at": at }),
            Some(&staff),
        )
        .await;
    let ticket = &body["data"]["shipOrder"]["ticket"];
    assert_eq!(ticket["status"], "READY_FOR_BILLING", "{body}");
    // The note is worded in the reader's language (this staff user reads French).
    assert_eq!(ticket["events"]["nodes"][0]["kind"], "SHIPPED", "{body}");
    assert_eq!(
        ticket["events"]["nodes"][0]["note"], "Numéro de suivi 99.1",
        "{body}"
    );
}

#[tokio::test]
async fn a_public_comment_writes_an_event_the_partner_sees_and_an_internal_one_leaves_no_trace() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let id = partnerdesk::relay::to_global_id("Ticket", ticket.id).to_string();
    let staff = w.token(&w.staff).await;
    let member = w.token(&w.member).await;
    let comment = "mutation($id: ID!, $v: CommentVisibility!) { addComment(ticketId: $id, body: \"hello\", visibility: $v) { comment { id } } }";
    let before = w
        .app
        .graphql(TICKET, json!({ "id": id }), Some(&member))
        .await;

    w.app.clock.advance(chrono::Duration::minutes(5));
    w.app
        .graphql(comment, json!({ "id": id, "v": "INTERNAL" }), Some(&staff))
        .await;
    let after_internal = w
        .app
        .graphql(TICKET, json!({ "id": id }), Some(&member))
        .await;
    assert_eq!(
        after_internal["data"], before["data"],
        "no trace for the partner"
    );

    w.app.clock.advance(chrono::Duration::minutes(5));
    w.app
        .graphql(comment, json!({ "id": id, "v": "PUBLIC" }), Some(&member))
        .await;
    let after = w
        .app
        .graphql(TICKET, json!({ "id": id }), Some(&member))
        .await;
    let kinds: Vec<&str> = after["data"]["ticket"]["events"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    // (The fixture ticket was written without its CREATED event.)
    assert_eq!(kinds, ["COMMENTED"], "{after}");
    assert_ne!(
        after["data"]["ticket"]["updatedAt"], before["data"]["ticket"]["updatedAt"],
        "a visible change moves updatedAt"
    );
}

#[tokio::test]
async fn a_transition_note_can_be_kept_internal() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let id = partnerdesk::relay::to_global_id("Ticket", ticket.id).to_string();
    let staff = w.token(&w.staff).await;
    let member = w.token(&w.member).await;
    let body = w
        .app
        .graphql(
            "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: QUEUED, note: \"supplier late\", noteVisibility: INTERNAL}) { ticket { status } } }",
            json!({ "id": id }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        body["data"]["transitionTicket"]["ticket"]["status"], "QUEUED",
        "{body}"
    );
    let seen = w
        .app
        .graphql(TICKET, json!({ "id": id }), Some(&member))
        .await;
    assert_eq!(
        seen["data"]["ticket"]["events"]["nodes"],
        body_events_after_one_step(),
        "{seen}"
    );
    assert_eq!(seen["data"]["ticket"]["commentCount"], 0, "{seen}");
    let staff_view = w
        .app
        .graphql(TICKET, json!({ "id": id }), Some(&staff))
        .await;
    assert_eq!(
        staff_view["data"]["ticket"]["commentCount"], 1,
        "{staff_view}"
    );

    // A partner cannot hide a note from itself: FORBIDDEN... it cannot
    // transition at all, and a public note is the default.
    let body = w
        .app
        .graphql(
            "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: REVIEW, note: \"x\", noteVisibility: INTERNAL}) { ticket { status } } }",
            json!({ "id": id }),
            Some(&member),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn a_certificate_on_a_standard_order_is_refused_and_nothing_is_written() {
    let w = world().await;
    let token = w.token(&w.member).await;
    let body = w
        .app
        .graphql_multipart(
            ORDER,
            json!({ "input": {
                "recipientName": "Amina Haddad", "street": "Lorrainestrasse 12",
                "postalCode": "3013", "city": "Bern", "phone": "079 123 45 67",
                "forLearning": false, "certificate": null
            } }),
            vec![crate::helpers::TestFile {
                variable: "variables.input.certificate",
                name: "lehrvertrag.pdf",
                bytes: crate::helpers::pdf(2048),
            }],
            Some(&token),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        field(&body, "input.certificate")["reason"],
        "NOT_ALLOWED",
        "{body}"
    );
    assert_eq!(tickets_count(&w.app).await, 0);
}

const USERS: &str = "query($id: ID!) { user(id: $id) { invitationPending } }";
const RESEND: &str =
    "mutation($id: ID!) { resendInvitation(userId: $id) { user { id invitationPending } } }";

#[tokio::test]
async fn an_invitation_is_pending_resent_then_accepted() {
    let w = world().await;
    let manager = w.token(&w.manager).await;
    let body = w
        .app
        .graphql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id invitationPending } } }",
            json!({ "input": {
                "organisationId": partnerdesk::relay::to_global_id("Organisation", w.alpha.id).to_string(),
                "email": "new@alpha.example", "displayName": "Nina New", "role": "PARTNER_MEMBER"
            } }),
            Some(&manager),
        )
        .await;
    let user = &body["data"]["createUser"]["user"];
    assert_eq!(user["invitationPending"], true, "{body}");
    let id = user["id"].as_str().expect("id").to_owned();
    let first = w.app.emailed_token("new@alpha.example").await;

    // Who may resend: the organisation's manager and ADMIN; not STAFF, not
    // a member; another organisation's user does not exist for a manager.
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let body = w
        .app
        .graphql(RESEND, json!({ "id": id }), Some(&member))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = w
        .app
        .graphql(RESEND, json!({ "id": id }), Some(&staff))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let beta_id = partnerdesk::relay::to_global_id("User", w.beta_member.user.id).to_string();
    let body = w
        .app
        .graphql(RESEND, json!({ "id": beta_id }), Some(&manager))
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let body = w
        .app
        .graphql(RESEND, json!({ "id": "nonsense" }), Some(&manager))
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");

    let body = w
        .app
        .graphql(RESEND, json!({ "id": id }), Some(&manager))
        .await;
    assert_eq!(
        body["data"]["resendInvitation"]["user"]["invitationPending"], true,
        "{body}"
    );
    let second = w.app.emailed_token("new@alpha.example").await;
    assert_ne!(first, second);

    let reset = "mutation($t: String!) { resetPassword(token: $t, newPassword: \"my own chosen password\") { ok } }";
    let body = w.app.graphql(reset, json!({ "t": first }), None).await;
    assert_eq!(
        error_code(&body),
        Some("VALIDATION"),
        "the first link no longer works: {body}"
    );
    let body = w.app.graphql(reset, json!({ "t": second }), None).await;
    assert_eq!(body["data"]["resetPassword"]["ok"], true, "{body}");
    w.app
        .login("new@alpha.example", "my own chosen password")
        .await;

    let body = w
        .app
        .graphql(USERS, json!({ "id": id }), Some(&manager))
        .await;
    assert_eq!(body["data"]["user"]["invitationPending"], false, "{body}");
    let body = w
        .app
        .graphql(RESEND, json!({ "id": id }), Some(&manager))
        .await;
    assert_eq!(
        error_code(&body),
        Some("CONFLICT"),
        "accepted already: {body}"
    );
    // A colleague knows the user by name only.
    let body = w
        .app
        .graphql(USERS, json!({ "id": id }), Some(&member))
        .await;
    assert!(
        body["data"]["user"]["invitationPending"].is_null(),
        "{body}"
    );
}

/// The texts the server writes into a ticket (its subject, and the notes
/// of shipping, invoicing and payment) are worded in each reader's
/// language at every read, not once in the creator's: the German creator,
/// the Italian staff member and an English colleague each read their own.
#[tokio::test]
async fn server_written_texts_follow_each_readers_language() {
    let w = world().await;
    set_locale(&w.app, w.member.user.id, Locale::De).await;
    set_locale(&w.app, w.staff.user.id, Locale::It).await;
    set_locale(&w.app, w.manager.user.id, Locale::En).await;
    let member = w.token(&w.member).await;
    let staff = w.token(&w.staff).await;
    let manager = w.token(&w.manager).await;
    let ok = |body: Value| {
        assert!(body["errors"].is_null(), "{body}");
        body["data"].clone()
    };

    let ordered = ok(w
        .app
        .graphql(
            ORDER,
            json!({ "input": {
                "recipientName": "Zoé Müller", "street": "Rue du Lac 3",
                "postalCode": "1003", "city": "Lausanne", "phone": "+41 21 123 45 67"
            } }),
            Some(&member),
        )
        .await);
    let id = ordered["orderLaptop"]["ticket"]["id"].clone();
    ok(w.app
        .graphql(
            "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { status } } }",
            json!({ "id": id }),
            Some(&staff),
        )
        .await);
    ok(w.app
        .graphql(
            "mutation($id: ID!, $at: DateTime!) { shipOrder(input: {ticketId: $id, deviceModel: \"T480\", serialNumber: \"SN1\", shippedAt: $at, trackingNumber: \"99.1\"}) { ticket { status } } }",
            json!({ "id": id, "at": w.app.now().to_rfc3339() }),
            Some(&staff),
        )
        .await);
    let invoices = ok(w
        .app
        .graphql(
            "{ invoices(first: 1) { nodes { id number } } }",
            json!({}),
            Some(&staff),
        )
        .await);
    let invoice = invoices["invoices"]["nodes"][0].clone();
    let number = invoice["number"].as_str().expect("an invoice number");
    ok(w.app
        .graphql(
            "mutation($id: ID!, $at: DateTime!) { markInvoicePaid(id: $id, paidAt: $at) { invoice { status } } }",
            json!({ "id": invoice["id"], "at": w.app.now().to_rfc3339() }),
            Some(&staff),
        )
        .await);

    let read = |token: String| {
        let app = &w.app;
        let id = id.clone();
        async move {
            let body = app
                .graphql(
                    "query($id: ID!) { ticket(id: $id) { subject events { nodes { kind to note } } } }",
                    json!({ "id": id }),
                    Some(&token),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            let ticket = body["data"]["ticket"].clone();
            let notes: Vec<Value> = ticket["events"]["nodes"]
                .as_array()
                .expect("events")
                .iter()
                .filter(|e| !e["note"].is_null())
                .map(|e| e["note"].clone())
                .collect();
            (ticket["subject"].clone(), notes)
        }
    };
    let expect = |subject: &str, tracking: &str, issued: String, paid: String| {
        (
            Value::from(subject),
            vec![
                Value::from(tracking),
                Value::from(issued),
                Value::from(paid),
            ],
        )
    };
    assert_eq!(
        read(member.clone()).await,
        expect(
            "Laptop für Zoé Müller",
            "Sendungsnummer 99.1",
            format!("Rechnung {number}"),
            format!("Rechnung {number} bezahlt"),
        )
    );
    assert_eq!(
        read(staff).await,
        expect(
            "Portatile per Zoé Müller",
            "Numero di tracciamento 99.1",
            format!("Fattura {number}"),
            format!("Fattura {number} pagata"),
        )
    );
    assert_eq!(
        read(manager).await,
        expect(
            "Laptop for Zoé Müller",
            "Tracking number 99.1",
            format!("Invoice {number}"),
            format!("Invoice {number} paid"),
        )
    );

    // The creator's email about the shipment says it in German too.
    let outbox = entity::email_outbox::Entity::find()
        .all(&w.app.state.db)
        .await
        .expect("read the outbox");
    assert!(
        outbox
            .iter()
            .any(|e| e.to_address == w.member.user.email
                && e.body_text.contains("Sendungsnummer 99.1")),
        "no German shipping email: {outbox:?}"
    );
}
