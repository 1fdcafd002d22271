//! The database out of reach: requests fail fast with HTTP 503 and
//! SERVICE_UNAVAILABLE (never INTERNAL, never a hang), `/readyz` says 503
//! at once while `/healthz` says 200.
//!
//! Here on the test's own database, SQLite or PostgreSQL, by closing the
//! server's pool.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{error_code, world};

/// Generous: a closed pool refuses at once; this only catches a hang.
const CEILING: Duration = Duration::from_secs(3);

#[tokio::test]
async fn a_closed_pool_answers_service_unavailable_within_the_ceiling_not_internal() {
    let w = world().await;
    let token = w.token(&w.member).await;
    w.app.state.db.close_by_ref().await.expect("close the pool");

    let started = Instant::now();
    let response = w
        .app
        .graphql_response(
            "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id } } }",
            json!({ "input": {
                "recipientName": "Amina Haddad", "street": "Bahnhofstrasse 1",
                "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
            } }),
            Some(&token),
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(error_code(&body), Some("SERVICE_UNAVAILABLE"), "{body}");
    assert!(!body.to_string().contains("pool"), "no cause shown: {body}");
    assert!(elapsed < CEILING, "{elapsed:?}");

    // Anonymous, a query that reads a table: the same answer.
    let response = w
        .app
        .graphql_response(
            "mutation { login(email: \"nobody@example.com\", password: \"not the password\") { token } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert_eq!(error_code(&body), Some("SERVICE_UNAVAILABLE"), "{body}");

    let get = |path: &'static str| {
        let url = format!("{}{path}", w.app.address);
        let client = w.app.client.clone();
        async move {
            let started = Instant::now();
            let status = client.get(url).send().await.expect("request").status();
            (status.as_u16(), started.elapsed())
        }
    };
    let (ready, ready_after) = get("/readyz").await;
    assert_eq!(ready, 503);
    assert!(ready_after < CEILING, "{ready_after:?}");
    assert_eq!(get("/healthz").await.0, 200);
}
