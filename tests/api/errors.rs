//! The error envelope: every error leaves through `AppError`, with its
//! code, its HTTP status, and INTERNAL logged with the request id and its
//! cause kept from the client.

use sea_orm::ConnectionTrait as _;
use serde_json::json;

use crate::helpers::{PASSWORD, world};
use crate::logs;

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("ASCII request id")
        .to_owned()
}

#[tokio::test]
async fn an_internal_error_on_the_authentication_path_is_logged_and_not_explained() {
    logs::capture();
    let w = world().await;
    let token = w.app.login(&w.member.email, PASSWORD).await;
    // The token is checked against its user on every request: without the
    // table, that read fails.
    w.app
        .state
        .db
        .execute_unprepared("ALTER TABLE users RENAME TO users_gone")
        .await
        .expect("rename");
    let response = w
        .app
        .graphql_response("{ viewer { displayName } }", json!({}), Some(&token))
        .await;
    assert_eq!(response.status(), 500);
    let id = request_id(&response);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(
        body,
        json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] }),
        "nothing of the cause"
    );
    let lines = logs::lines_with(&id);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("internal error") && line.contains("users")),
        "the cause is logged with request id {id}: {lines:#?}"
    );
}

#[tokio::test]
async fn an_internal_error_in_a_resolver_is_logged_and_not_explained() {
    logs::capture();
    let w = world().await;
    let token = w.app.login(&w.staff.email, PASSWORD).await;
    w.app
        .state
        .db
        .execute_unprepared("ALTER TABLE tickets RENAME TO tickets_gone")
        .await
        .expect("rename");
    let response = w
        .app
        .graphql_response("{ tickets { totalCount } }", json!({}), Some(&token))
        .await;
    assert_eq!(response.status(), 200, "a GraphQL response");
    let id = request_id(&response);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(body["errors"][0]["message"], "internal error", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"],
        json!({ "code": "INTERNAL" })
    );
    assert!(!body.to_string().contains("tickets_gone"), "{body}");
    assert!(!body.to_string().contains("table"), "{body}");
    let lines = logs::lines_with(&id);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("internal error") && line.contains("tickets")),
        "the cause is logged with request id {id}: {lines:#?}"
    );
}

async fn post(
    app: &crate::helpers::TestApp,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    app.client
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

async fn error_of(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert!(
        body.get("data").is_none(),
        "a request error has no data: {body}"
    );
    (status, body["errors"][0].clone())
}

#[tokio::test]
async fn a_malformed_request_is_a_validation_error_with_status_400() {
    let w = world().await;
    for body in ["{\"query\": ", "[1, 2]", "not json", "{\"query\": 42}"] {
        let (status, error) =
            error_of(post(&w.app, "application/json", body.to_owned()).await).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["extensions"]["code"], "VALIDATION", "{body}: {error}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}: {error}"
        );
    }
}

#[tokio::test]
async fn transport_errors_keep_their_status_and_use_the_api_codes() {
    let w = world().await;
    let padding = "x".repeat(partnerdesk::http::MAX_BODY_BYTES + 1);
    let too_large = post(
        &w.app,
        "application/json",
        format!("{{\"query\":\"{{ __typename }}\",\"extensions\":{{\"pad\":\"{padding}\"}}}}"),
    )
    .await;
    let (status, error) = error_of(too_large).await;
    assert_eq!(status, 413);
    assert_eq!(
        error,
        json!({ "message": "request body too large", "extensions": { "code": "VALIDATION" } })
    );

    let over_get = w
        .app
        .client
        .get(format!("{}/graphql", w.app.address))
        .query(&[(
            "query",
            "mutation { requestPasswordReset(email: \"a@b.ch\") }",
        )])
        .send()
        .await
        .expect("request");
    assert_eq!(over_get.headers()["allow"], "POST");
    let (status, error) = error_of(over_get).await;
    assert_eq!(status, 405);
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");

    let bad_token = w
        .app
        .graphql_response("{ viewer { displayName } }", json!({}), Some("not-a-token"))
        .await;
    assert_eq!(bad_token.headers()["www-authenticate"], "Bearer");
    let (status, error) = error_of(bad_token).await;
    assert_eq!(status, 401);
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED", "{error}");
}

/// axum answers HEAD through the GET route; a HEAD request with a JSON
/// body once ran the mutation in it. Every method but POST is queries only.
#[tokio::test]
async fn a_head_request_never_runs_a_mutation() {
    use sea_orm::{EntityTrait as _, PaginatorTrait as _};
    let w = world().await;
    let token = w.token(&w.member).await;
    let give = json!({
        "query": "mutation { giveFeedback(message: \"sent by HEAD\") { feedback { id } } }",
    });
    w.app
        .client
        .head(format!("{}/graphql", w.app.address))
        .bearer_auth(&token)
        .json(&give)
        .send()
        .await
        .expect("request");
    let with_query = w
        .app
        .client
        .head(format!("{}/graphql", w.app.address))
        .bearer_auth(&token)
        .query(&[("query", give["query"].as_str().expect("query"))])
        .send()
        .await
        .expect("request");
    assert_eq!(with_query.status(), 405);
    let stored = entity::feedback::Entity::find()
        .count(&w.app.state.db)
        .await
        .expect("count feedback");
    assert_eq!(stored, 0, "no feedback may be written by a HEAD request");
}
