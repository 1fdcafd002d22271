use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn readyz_checks_the_database() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    app.state.db.clone().close().await.expect("close pool");
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("request");
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id");
    assert!(!id.is_empty());
    let other = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("request");
    assert_ne!(other.headers().get("x-request-id"), Some(id));
}

#[tokio::test]
async fn typename_answers_on_post_and_get() {
    let app = spawn_app().await;
    let body = app
        .graphql("{ __typename }", serde_json::json!({}), None)
        .await;
    assert_eq!(body["data"]["__typename"], "Query");
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["data"]["__typename"], "Query");
}

#[tokio::test]
async fn get_refuses_mutations() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { login(email: \"a@b.ch\", password: \"x\") { token } }",
        )])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let padding = "x".repeat(partnerdesk::http::MAX_BODY_BYTES + 1);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\":\"{{ __typename }}\",\"extensions\":{{\"pad\":\"{padding}\"}}}}"
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn the_ide_is_served_without_external_assets() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(html.contains("<html"), "an HTML page");
    assert!(!html.contains("https://"), "no external asset in the page");
    assert!(!html.contains("http://"), "no external asset in the page");
}
