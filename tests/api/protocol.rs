//! GraphQL over HTTP as the specification has it, and the document limits
//! that keep a small request from holding the server: the fragment bomb,
//! the alias and root-field caps, `Accept` and the request-error shape.

use std::sync::Arc;
use std::time::{Duration, Instant};

use partnerdesk::query_limits::{DEFAULT_MAX_ALIASES, DEFAULT_MAX_ROOT_FIELDS};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app, world};

/// `query { ...F<levels> }`, each fragment spreading the one below twice:
/// the 1 KB document of the report, 2^25 paths once inlined.
fn fragment_bomb(levels: usize) -> String {
    let mut query = format!("query {{ ...F{levels} }} fragment F0 on Query {{ __typename }}");
    for i in 1..=levels {
        let below = i - 1;
        query.push_str(&format!(
            " fragment F{i} on Query {{ ...F{below} ...F{below} }}"
        ));
    }
    query
}

/// POSTs `body` as JSON with `accept` (none when `None`).
async fn post(app: &TestApp, body: &Value, accept: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().await.expect("request")
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_fragment_bomb_is_refused_by_the_expansion_bound_before_validation() {
    let app = Arc::new(spawn_app().await);
    let query = fragment_bomb(25);
    assert!(query.len() <= 1100, "the report's 1 KB document");
    let validations = app.state.validations.get();

    let started = Instant::now();
    let bomb = {
        let app = app.clone();
        tokio::spawn(async move {
            let response = post(
                &app,
                &json!({ "query": query }),
                Some("application/graphql-response+json"),
            )
            .await;
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("JSON");
            (status, body, started.elapsed())
        })
    };
    // Half a second later in the report; here at once, the harder case.
    let health_started = Instant::now();
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("healthz");
    let health_time = health_started.elapsed();
    assert_eq!(health.status(), 200);
    let (status, body, bomb_time) = bomb.await.expect("the bomb's task");

    println!(
        "fragment bomb (25 levels): refused in {bomb_time:?}; concurrent /healthz in {health_time:?}"
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none(), "a request error: {body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{body}");
    assert_eq!(error["extensions"]["limit"], "fragmentExpansions", "{body}");
    assert_eq!(
        app.state.validations.get(),
        validations,
        "the library's validation never ran"
    );
    let ceiling = Duration::from_secs(1);
    assert!(bomb_time < ceiling, "refused in {bomb_time:?}");
    assert!(
        health_time < ceiling,
        "/healthz answered in {health_time:?}"
    );

    // An ordinary document does reach validation (the counter counts).
    let ok = post(&app, &json!({ "query": "{ __typename }" }), None).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(app.state.validations.get(), validations + 1);
}

#[tokio::test]
async fn accept_application_json_gets_application_json() {
    let app = spawn_app().await;
    let query = json!({ "query": "{ __typename }" });
    for accept in [
        Some("application/json"),
        None,
        Some("*/*"),
        Some("text/html"),
        Some("application/graphql-response+json;q=0.5, application/json"),
    ] {
        let response = post(&app, &query, accept).await;
        assert_eq!(response.status(), 200, "{accept:?}");
        assert!(
            content_type(&response).starts_with("application/json"),
            "{accept:?}: {}",
            content_type(&response)
        );
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body, json!({ "data": { "__typename": "Query" } }));
    }
    for accept in [
        "application/graphql-response+json",
        "application/graphql-response+json, application/json;q=0.9",
    ] {
        let response = post(&app, &query, Some(accept)).await;
        assert_eq!(response.status(), 200, "{accept}");
        assert!(
            content_type(&response).starts_with("application/graphql-response+json"),
            "{accept}: {}",
            content_type(&response)
        );
    }
}

#[tokio::test]
async fn request_errors_under_graphql_response_json_are_4xx_without_data() {
    let w = world().await;
    let app = &w.app;
    let cases = [
        ("parse", json!({ "query": "{" })),
        ("validation", json!({ "query": "{ noSuchField }" })),
        (
            "variable coercion",
            json!({ "query": "query Q($id: ID!) { __typename }", "variables": { "id": null } }),
        ),
        ("limit", json!({ "query": fragment_bomb(12) })),
    ];
    for (what, request) in &cases {
        let response = post(app, request, Some("application/graphql-response+json")).await;
        assert_eq!(response.status(), 400, "{what}");
        assert!(
            content_type(&response).starts_with("application/graphql-response+json"),
            "{what}"
        );
        let body: Value = response.json().await.expect("JSON");
        assert!(body.get("data").is_none(), "{what}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{what}: {body}"
        );

        // The same under application/json: 200, still no data entry.
        let response = post(app, request, Some("application/json")).await;
        assert_eq!(response.status(), 200, "{what}");
        let body: Value = response.json().await.expect("JSON");
        assert!(body.get("data").is_none(), "{what}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{what}: {body}"
        );
    }

    // An error during execution is not a request error: 200 with data.
    let response = post(
        app,
        &json!({ "query": "{ tickets { totalCount } }" }),
        Some("application/graphql-response+json"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("data").is_some(), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

/// `n` aliases of `tickets`, a root field whose every call reads the
/// database.
fn aliased_tickets(n: usize) -> String {
    let fields: Vec<String> = (0..n)
        .map(|i| format!("t{i}: tickets(first: 100) {{ totalCount edges {{ node {{ id }} }} }}"))
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn a_hundred_aliases_of_an_expensive_field_are_refused_before_any_sql_but_authentication() {
    let w = world().await;
    let token = w.app.login(&w.staff.email, PASSWORD).await;
    // What authentication alone costs: a query that reads no tenant data.
    let before = w.app.state.statements.get();
    let body = w
        .app
        .graphql("{ __typename }", json!({}), Some(&token))
        .await;
    assert_eq!(body["data"]["__typename"], "Query");
    let authentication = w.app.state.statements.get() - before;

    let before = w.app.state.statements.get();
    let body = w
        .app
        .graphql(&aliased_tickets(100), json!({}), Some(&token))
        .await;
    let statements = w.app.state.statements.get() - before;
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "aliases",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["max"],
        DEFAULT_MAX_ALIASES as u64
    );
    assert!(
        statements <= authentication,
        "{statements} statements ran; authentication alone runs {authentication}"
    );

    // Within the cap the same field runs.
    let body = w
        .app
        .graphql(&aliased_tickets(3), json!({}), Some(&token))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn root_fields_are_capped_with_or_without_aliases() {
    let app = spawn_app().await;
    let fields = "viewer { id } ".repeat(DEFAULT_MAX_ROOT_FIELDS + 1);
    let body = app
        .graphql(
            &format!("{{ ... on Query {{ {fields} }} }}"),
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "rootFields",
        "{body}"
    );
    let fields = "viewer { id } ".repeat(DEFAULT_MAX_ROOT_FIELDS);
    let body = app
        .graphql(
            &format!("{{ ... on Query {{ {fields} }} }}"),
            json!({}),
            None,
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn the_alias_cap_is_a_setting() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_partnerdesk"))
        .arg("--help")
        .output()
        .expect("run the binary");
    let help = String::from_utf8_lossy(&output.stdout);
    for setting in ["GRAPHQL_MAX_ALIASES", "GRAPHQL_MAX_ROOT_FIELDS"] {
        assert!(help.contains(setting), "--help lists {setting}: {help}");
    }
    let readme = include_str!("../../README.md");
    for setting in ["GRAPHQL_MAX_ALIASES", "GRAPHQL_MAX_ROOT_FIELDS"] {
        assert!(readme.contains(setting), "the README documents {setting}");
    }

    // A server with a larger cap runs what the default refuses.
    let app = crate::helpers::spawn_app_configured(|config| {
        config.graphql_max_aliases = 120;
        config.graphql_max_root_fields = 120;
    })
    .await;
    let query = format!(
        "{{ {} }}",
        (0..100)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let body = app.graphql(&query, json!({}), None).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["a99"], "Query");
}

#[tokio::test]
async fn graphql_http_server_audits_pass() {
    crate::graphql_http_audit::run().await;
}

const UPLOAD: &str = "mutation($ticketId: ID!, $file: Upload!) {
  uploadAttachment(ticketId: $ticketId, file: $file) { attachment { id } }
}";

/// A multipart part: `(name, file name, bytes)`.
type Part<'a> = (String, Option<&'a str>, Vec<u8>);

/// A multipart request built part by part.
async fn multipart(app: &TestApp, token: &str, parts: Vec<Part<'_>>) -> (u16, Value) {
    use reqwest::multipart::{Form, Part};
    let mut form = Form::new();
    for (name, file_name, bytes) in parts {
        let mut part = Part::bytes(bytes);
        if let Some(file_name) = file_name {
            part = part.file_name(file_name.to_owned());
        }
        form = form.part(name, part);
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("multipart request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn attachment_rows(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait as _, PaginatorTrait as _};
    entity::attachments::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count attachments")
}

#[tokio::test]
async fn multipart_parts_are_capped_and_refused_before_anything_is_written() {
    let w = world().await;
    let token = w.app.login(&w.member.email, PASSWORD).await;
    let ticket = w
        .app
        .ticket_in(&w.member, entity::enums::TicketStatus::Review)
        .await;
    let ticket_id = partnerdesk::relay::to_global_id("Ticket", ticket.id).0;
    let operations = |pad: usize| {
        json!({
            "query": UPLOAD,
            "variables": { "ticketId": ticket_id, "file": null },
            "extensions": { "pad": " ".repeat(pad) },
        })
        .to_string()
        .into_bytes()
    };
    let map = |n: usize| {
        let entries: serde_json::Map<String, Value> = (0..n)
            .map(|i| (i.to_string(), json!([format!("variables.file{i}")])))
            .collect();
        Value::Object(entries).to_string().into_bytes()
    };
    let one_file = || json!({ "0": ["variables.file"] }).to_string().into_bytes();
    let pdf = crate::helpers::pdf(1024);
    let mib = 1024 * 1024;

    let cases: Vec<(&str, Vec<Part>, u16)> = vec![
        (
            "an operations part over 1 MiB",
            vec![
                ("operations".into(), None, operations(mib)),
                ("map".into(), None, one_file()),
                ("0".into(), Some("a.pdf"), pdf.clone()),
            ],
            413,
        ),
        (
            "a map part over 1 MiB",
            vec![
                ("operations".into(), None, operations(0)),
                (
                    "map".into(),
                    None,
                    format!(
                        "{{\"0\": [\"variables.file\"], \"x\": \"{}\"}}",
                        " ".repeat(mib)
                    )
                    .into_bytes(),
                ),
                ("0".into(), Some("a.pdf"), pdf.clone()),
            ],
            413,
        ),
        (
            "three files declared",
            vec![
                ("operations".into(), None, operations(0)),
                ("map".into(), None, map(3)),
                ("0".into(), Some("a.pdf"), pdf.clone()),
                ("1".into(), Some("b.pdf"), pdf.clone()),
                ("2".into(), Some("c.pdf"), pdf.clone()),
            ],
            400,
        ),
        (
            "one file declared, 30 sent",
            std::iter::once(("operations".to_owned(), None, operations(0)))
                .chain(std::iter::once(("map".to_owned(), None, one_file())))
                .chain((0..30).map(|i| (i.to_string(), Some("x.pdf"), vec![b'%'])))
                .collect(),
            400,
        ),
        (
            "the declared file sent twice",
            vec![
                ("operations".into(), None, operations(0)),
                ("map".into(), None, one_file()),
                ("0".into(), Some("a.pdf"), pdf.clone()),
                ("0".into(), Some("a.pdf"), pdf.clone()),
            ],
            400,
        ),
        (
            "the declared file missing",
            vec![
                ("operations".into(), None, operations(0)),
                ("map".into(), None, one_file()),
            ],
            400,
        ),
        (
            "the map before operations",
            vec![
                ("map".into(), None, one_file()),
                ("operations".into(), None, operations(0)),
                ("0".into(), Some("a.pdf"), pdf.clone()),
            ],
            400,
        ),
        (
            "a file used at 1,000 paths",
            vec![
                ("operations".into(), None, operations(0)),
                (
                    "map".into(),
                    None,
                    json!({ "0": vec!["variables.file"; 1_000] })
                        .to_string()
                        .into_bytes(),
                ),
                ("0".into(), Some("a.pdf"), pdf.clone()),
            ],
            400,
        ),
    ];
    for (what, parts, status) in cases {
        let (got, body) = multipart(&w.app, &token, parts).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{what}: {body}"
        );
        assert!(body.get("data").is_none(), "{what}: {body}");
        assert_eq!(attachment_rows(&w.app).await, 0, "{what}: nothing written");
    }

    // Just under the limits, the upload goes through.
    let (status, body) = multipart(
        &w.app,
        &token,
        vec![
            ("operations".into(), None, operations(mib - 4096)),
            ("map".into(), None, one_file()),
            ("0".into(), Some("a.pdf"), pdf),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["uploadAttachment"]["attachment"]["id"].is_string(),
        "{body}"
    );
    assert_eq!(attachment_rows(&w.app).await, 1);
}

#[tokio::test]
async fn the_costliest_admitted_document_validates_within_its_budget() {
    let app = spawn_app().await;
    // 7 levels of fragments spreading the one below twice: 254 expansions
    // and about 4,100 selections once inlined, just under the bounds.
    let mut query = String::from("query { viewer { ...F7 } } fragment F0 on User { ");
    query.push_str(&"id displayName ".repeat(15));
    query.push('}');
    for i in 1..=7 {
        let below = i - 1;
        query.push_str(&format!(
            " fragment F{i} on User {{ ...F{below} ...F{below} }}"
        ));
    }
    let validations = app.state.validations.get();
    let started = Instant::now();
    let body = app.graphql(&query, json!({}), None).await;
    let elapsed = started.elapsed();
    println!("the costliest admitted document: validated and answered in {elapsed:?}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["viewer"], Value::Null, "anonymous: {body}");
    assert_eq!(app.state.validations.get(), validations + 1);
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
}
