//! Production mode and the headers of every response: no introspection,
//! suggestions, IDE or GET queries in production; CORS for listed origins
//! only; `nosniff`, HSTS behind https, and no server banner anywhere.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_configured};

/// What `--production` resolves to (the mapping itself is unit-tested in
/// `src/config.rs`).
async fn spawn_production(graphql_get: bool) -> TestApp {
    spawn_app_configured(|config| {
        config.production = true;
        config.introspection = false;
        config.seed_demo_data = false;
        config.graphql_get = graphql_get;
    })
    .await
}

fn error_messages(body: &Value) -> String {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn production_refuses_introspection_and_suggests_no_field() {
    let development = spawn_app().await;
    let production = spawn_production(false).await;
    let introspection = "{ __schema { queryType { name } } }";
    let typo = "{ viewr { id } }";

    let open = development.graphql(introspection, json!({}), None).await;
    assert_eq!(open["data"]["__schema"]["queryType"]["name"], "Query");
    let suggested = development.graphql(typo, json!({}), None).await;
    assert!(
        error_messages(&suggested).contains("Did you mean"),
        "development suggests the field: {suggested}"
    );

    // The library answers the introspection fields with null.
    let closed = production.graphql(introspection, json!({}), None).await;
    assert!(closed["data"]["__schema"].is_null(), "{closed}");
    assert!(!closed.to_string().contains("\"Query\""), "{closed}");
    let by_type = production
        .graphql(
            "{ __type(name: \"Ticket\") { fields { name } } }",
            json!({}),
            None,
        )
        .await;
    assert!(by_type["data"]["__type"].is_null(), "{by_type}");
    let unsuggested = production.graphql(typo, json!({}), None).await;
    let messages = error_messages(&unsuggested);
    assert!(!messages.is_empty(), "{unsuggested}");
    assert!(!messages.contains("Did you mean"), "{unsuggested}");
    assert!(!messages.contains("viewer"), "{unsuggested}");
}

#[tokio::test]
async fn production_serves_no_ide() {
    let development = spawn_app().await;
    let production = spawn_production(false).await;
    for path in ["/", "/playground/app.js", "/playground/app.css"] {
        let open = development
            .client
            .get(format!("{}{path}", development.address))
            .send()
            .await
            .expect("request");
        assert_eq!(open.status(), StatusCode::OK, "development serves {path}");
        let closed = production
            .client
            .get(format!("{}{path}", production.address))
            .send()
            .await
            .expect("request");
        assert_eq!(closed.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn production_takes_graphql_over_post_only_unless_get_is_allowed() {
    let production = spawn_production(false).await;
    for method in [Method::GET, Method::HEAD] {
        let response = production
            .client
            .request(method.clone(), format!("{}/graphql", production.address))
            .query(&[("query", "{ __typename }")])
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(response.headers()["allow"], "POST", "{method}");
        if method == Method::GET {
            let body: Value = response.json().await.expect("JSON");
            assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
            assert!(body.get("data").is_none(), "{body}");
        }
    }
    let post = production.graphql("{ __typename }", json!({}), None).await;
    assert_eq!(post["data"]["__typename"], "Query");

    let with_get = spawn_production(true).await;
    let body: Value = with_get
        .client
        .get(format!("{}/graphql", with_get.address))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

#[tokio::test]
async fn production_keeps_the_alias_and_root_field_caps() {
    let production = spawn_production(false).await;
    let aliases = (0..=partnerdesk::query_limits::DEFAULT_MAX_ALIASES)
        .map(|i| format!("a{i}: __typename"))
        .collect::<Vec<_>>()
        .join(" ");
    let body = production
        .graphql(&format!("{{ {aliases} }}"), json!({}), None)
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body}"
    );
    assert!(
        body["errors"][0]["extensions"]["limit"].is_string(),
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
}

const PORTAL: &str = "https://portal.example";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight")
}

#[tokio::test]
async fn cors_allows_listed_origins_only() {
    let app = spawn_app_configured(|config| {
        config.cors_allowed_origins = vec![
            reqwest::header::HeaderValue::from_static(PORTAL),
            reqwest::header::HeaderValue::from_static("http://localhost:3000"),
        ];
    })
    .await;
    let allowed = preflight(&app, PORTAL).await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], PORTAL);
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .expect("ASCII");
    assert!(methods.contains("POST"), "{methods}");
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .expect("ASCII")
        .to_ascii_lowercase();
    for name in ["authorization", "content-type"] {
        assert!(allowed_headers.contains(name), "{allowed_headers}");
    }
    assert!(headers.get("access-control-allow-credentials").is_none());

    let refused = preflight(&app, "https://evil.example").await;
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "another origin gets no allowance: {:?}",
        refused.headers()
    );

    // The request itself: the listed origin may read the answer.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", PORTAL)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["access-control-allow-origin"], PORTAL);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .expect("ASCII")
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn without_allowed_origins_there_is_no_cors() {
    let app = spawn_app().await;
    let response = preflight(&app, PORTAL).await;
    assert!(!response.status().is_success(), "{}", response.status());
    assert!(
        response
            .headers()
            .keys()
            .all(|name| !name.as_str().starts_with("access-control-")),
        "{:?}",
        response.headers()
    );
}

/// Responses of every kind: pages, API answers and refusals, health,
/// unknown paths and methods.
async fn sample_responses(app: &TestApp) -> Vec<(String, reqwest::Response)> {
    let url = |path: &str| format!("{}{path}", app.address);
    let mut requests = Vec::new();
    for path in [
        "/",
        "/healthz",
        "/readyz",
        "/metrics",
        "/nowhere",
        "/attachments/x",
    ] {
        requests.push((format!("GET {path}"), app.client.get(url(path))));
    }
    let post = || app.client.post(url("/graphql"));
    requests.extend([
        (
            "POST /graphql".to_owned(),
            post().json(&json!({ "query": "{ __typename }" })),
        ),
        (
            "POST /graphql text/plain".to_owned(),
            post().header("content-type", "text/plain").body("{"),
        ),
        (
            "POST /graphql malformed".to_owned(),
            post()
                .header("content-type", "application/json")
                .body("{ not json"),
        ),
        (
            "POST /graphql bad token".to_owned(),
            post()
                .bearer_auth("not-a-token")
                .json(&json!({ "query": "{ tickets { totalCount } }" })),
        ),
        (
            "DELETE /healthz".to_owned(),
            app.client.delete(url("/healthz")),
        ),
    ]);
    let mut responses = Vec::new();
    for (what, request) in requests {
        let response = request.send().await.expect(&what);
        responses.push((what, response));
    }
    responses
}

#[tokio::test]
async fn every_response_says_nosniff_and_names_no_server() {
    // The test server's public URL is https: HSTS is on.
    let app = spawn_app().await;
    let version = env!("CARGO_PKG_VERSION");
    for (what, response) in sample_responses(&app).await {
        let headers = response.headers().clone();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(
            headers["strict-transport-security"], "max-age=31536000",
            "{what}"
        );
        assert!(headers.get("server").is_none(), "{what}: {headers:?}");
        assert!(headers.get("x-powered-by").is_none(), "{what}: {headers:?}");
        let body = response.text().await.expect("body").to_ascii_lowercase();
        for banner in ["axum", "hyper", "tower", "async-graphql", "partnerdesk/"] {
            assert!(!body.contains(banner), "{what} names `{banner}`: {body}");
        }
        assert!(
            !body.contains(&format!("partnerdesk {version}")),
            "{what}: {body}"
        );
        for (name, value) in &headers {
            let value = value.to_str().unwrap_or_default().to_ascii_lowercase();
            assert!(
                !value.contains("axum") && !value.contains("hyper"),
                "{what}: {name}: {value}"
            );
        }
    }
}

#[tokio::test]
async fn hsts_only_behind_https() {
    let app = spawn_app_configured(|config| {
        config.public_url = "http://127.0.0.1:8080".to_owned();
    })
    .await;
    for (what, response) in sample_responses(&app).await {
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(
            response
                .headers()
                .get("strict-transport-security")
                .is_none(),
            "{what}"
        );
    }
}
