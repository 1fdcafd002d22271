//! What the server logs: one span per request, carrying its request id,
//! operation name, viewer and organisation; and never a secret. A whole
//! login, password reset and order flow runs against the real binary at
//! the most verbose level, and its captured log is searched for every
//! password, token, reset link and `Authorization` header the flow used.

use serde_json::{Value, json};

use crate::server_process::ServerProcess;

const ORDER: &str = "mutation PlaceOrder($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }";

/// A client of the server process that keeps each answer's request id.
struct Client {
    http: reqwest::Client,
    address: String,
}

impl Client {
    /// Sends `query` with `variables` (and `token` as a bearer token);
    /// returns the body and the `x-request-id` of the answer.
    async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> (Value, String) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let id = request_id(&response);
        (response.json().await.expect("JSON"), id)
    }

    async fn login(&self, email: &str, password: &str) -> (Value, String) {
        self.graphql(
            "mutation LogIn($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": email, "p": password }),
            None,
        )
        .await
    }
}

fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned()
}

fn token_of(body: &Value) -> String {
    body["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {body}"))
        .to_owned()
}

/// The log lines of request `id` (the lines inside its span).
fn lines_of<'a>(log: &'a str, id: &str) -> Vec<&'a str> {
    log.lines().filter(|line| line.contains(id)).collect()
}

#[cfg(unix)]
#[tokio::test]
async fn a_login_reset_and_order_flow_logs_one_span_per_request_and_no_secret() {
    // No outbox worker: a delivered reset email keeps no link to read back
    // (the worker's own log line shows the email with its link removed).
    let mut server = ServerProcess::start(&[("RUST_LOG", "trace"), ("MAIL_WORKER", "false")]).await;
    let client = Client {
        http: reqwest::Client::new(),
        address: server.address.clone(),
    };
    let member = server.login_of("PartnerMember").clone();
    let new_password = "a new passphrase, never logged";
    let wrong_password = "a wrong guess, never logged";

    // Logins: a wrong one, then the right one.
    let (refused, _) = client.login(&member.email, wrong_password).await;
    assert!(refused["errors"].is_array(), "{refused}");
    let (body, _) = client.login(&member.email, &member.password).await;
    let token = token_of(&body);

    // Who am I, and an order: requests with the viewer in their span.
    let (viewer, viewer_request) = client
        .graphql(
            "query WhoAmI { viewer { id organisation { id } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert!(viewer["data"]["viewer"]["id"].is_string(), "{viewer}");
    let (ordered, order_request) = client
        .graphql(
            ORDER,
            json!({ "input": {
                "recipientName": "Amina Haddad", "street": "Lorrainestrasse 12", "postalCode": "3013",
                "city": "Bern", "phone": "079 123 45 67", "forLearning": false,
            } }),
            Some(&token),
        )
        .await;
    assert!(
        ordered["data"]["orderLaptop"]["ticket"]["id"].is_string(),
        "{ordered}"
    );
    // A token that is no token, in the Authorization header.
    let forged = "forged.token.never-logged";
    let (forged_answer, _) = client
        .graphql("query Forged { viewer { id } }", json!({}), Some(forged))
        .await;
    assert!(forged_answer["errors"].is_array(), "{forged_answer}");

    // The reset: requested, the emailed link opened, the password reset.
    let (requested, _) = client
        .graphql(
            "mutation RequestReset($e: String!) { requestPasswordReset(email: $e) { message } }",
            json!({ "e": member.email }),
            None,
        )
        .await;
    assert!(requested["errors"].is_null(), "{requested}");
    let db = sea_orm::Database::connect(&server.database.url)
        .await
        .expect("open the server's database");
    let key = partnerdesk::mail::seal::BodyKey::derive(&secrecy::SecretString::from(
        crate::helpers::TEST_JWT_SECRET,
    ));
    let link = crate::helpers::emailed_link(&db, &key, &member.email).await;
    db.close().await.ok();
    let reset_token = link
        .split_once("token=")
        .map(|(_, token)| token.to_owned())
        .expect("a token in the link");
    let page = client
        .http
        .get(format!(
            "{}/reset-password?token={reset_token}",
            server.address
        ))
        .send()
        .await
        .expect("the reset page");
    assert_eq!(page.status(), 200);
    let (reset, _) = client
        .graphql(
            "mutation Reset($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }",
            json!({ "t": reset_token, "p": new_password }),
            None,
        )
        .await;
    assert_eq!(reset["data"]["resetPassword"]["ok"], true, "{reset}");
    let (body, _) = client.login(&member.email, new_password).await;
    let new_token = token_of(&body);
    let (_, _) = client
        .graphql("query Again { viewer { id } }", json!({}), Some(&new_token))
        .await;

    // The process ends, so that everything it logged is in.
    server.terminate();
    let status = server
        .exited(std::time::Duration::from_secs(30))
        .await
        .expect("the server exits");
    assert_eq!(status.code(), Some(0));
    let log = server.log();
    assert!(log.lines().count() > 20, "a verbose log:\n{log}");

    for (what, secret) in [
        ("the demo password", member.password.as_str()),
        ("a wrong password", wrong_password),
        ("the new password", new_password),
        ("an access token", token.as_str()),
        ("the new access token", new_token.as_str()),
        ("a forged token", forged),
        ("the reset token", reset_token.as_str()),
        ("the reset link", link.as_str()),
        ("a reset link", "reset-password?token="),
        ("a reset token parameter", "token="),
        ("an Authorization header", "authorization:"),
        ("an Authorization header", "authorization="),
        ("a bearer token", "bearer "),
    ] {
        let lowercase = log.to_lowercase();
        let found = lowercase.find(&secret.to_lowercase());
        assert!(
            found.is_none(),
            "the log shows {what}: {}",
            found
                .map(|at| log[at.saturating_sub(200)..(at + 200).min(log.len())].to_owned())
                .unwrap_or_default()
        );
    }
    // Nor the part of a JWT that proves it (its signature).
    let signature = token.rsplit('.').next().expect("a signature");
    assert!(
        !log.contains(signature),
        "the log shows a token's signature"
    );

    // One span per request: the order's lines carry its request id, its
    // operation, the viewer and the organisation.
    let viewer_id = member_ids(&viewer);
    for (request, operation) in [(&order_request, "PlaceOrder"), (&viewer_request, "WhoAmI")] {
        let lines = lines_of(&log, request);
        assert!(!lines.is_empty(), "no line of request {request}:\n{log}");
        let answered = lines
            .iter()
            .find(|line| line.contains("finished processing request"))
            .unwrap_or_else(|| panic!("the request's last line: {lines:#?}"));
        for field in [
            format!("operation={operation}"),
            format!("viewer={}", viewer_id.0),
            format!("organisation={}", viewer_id.1),
        ] {
            assert!(answered.contains(&field), "{field} in {answered}");
        }
    }
}

/// The viewer's user and organisation ids (database ids, as the log
/// shows them) from `{ viewer { id organisation { id } } }`.
fn member_ids(viewer: &Value) -> (i64, i64) {
    let id = |global: &Value| -> i64 {
        let global = global.as_str().expect("an id");
        partnerdesk::relay::from_global_id(&async_graphql::ID::from(global))
            .map(|(_, id)| id)
            .unwrap_or_else(|| panic!("a global id: {global}"))
    };
    (
        id(&viewer["data"]["viewer"]["id"]),
        id(&viewer["data"]["viewer"]["organisation"]["id"]),
    )
}
