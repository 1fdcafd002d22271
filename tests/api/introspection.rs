//! Introspection passes the depth limit, data does not get its headroom.
//!
//! The IDE at `/` and every GraphQL tool introspect the schema, anonymously,
//! with queries nesting deeper than any data query needs. They must get the
//! schema; a query nesting deeper still, or data nesting past the data
//! limit, must not.

use partnerdesk::graphql::{MAX_COMPLEXITY, MAX_DEPTH, MAX_INTROSPECTION_DEPTH};
use serde_json::{Value, json};

use crate::helpers::{error_code, spawn_app};

/// The IDE's own introspection query, as the page sends it.
fn ide_introspection_query() -> &'static str {
    let script = include_str!("../../src/playground/core.mjs");
    let start = "INTROSPECTION_QUERY = `";
    let from = script
        .find(start)
        .expect("the IDE defines INTROSPECTION_QUERY")
        + start.len();
    let len = script[from..]
        .find('`')
        .expect("the query's closing backtick");
    &script[from..from + len]
}

/// graphql-js's `getIntrospectionQuery()`, as every GraphQL tool sends it.
const GRAPHQL_JS_INTROSPECTION: &str = include_str!("fixtures/graphql-js-introspection.graphql");

/// `field { field { … field } }`, `levels` deep.
fn nested(field: &str, levels: usize, leaf: &str) -> String {
    let mut query = leaf.to_owned();
    for _ in 0..levels {
        query = format!("{field} {{ {query} }}");
    }
    query
}

/// Asserts a full schema: the root types and `Query`'s fields with their
/// wrapped types.
fn assert_schema(body: &Value) {
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query", "{body}");
    assert_eq!(schema["mutationType"]["name"], "Mutation", "{body}");
    let types = schema["types"].as_array().expect("types");
    let query = types
        .iter()
        .find(|t| t["name"] == "Query")
        .expect("the Query type");
    let tickets = query["fields"]
        .as_array()
        .expect("Query's fields")
        .iter()
        .find(|f| f["name"] == "tickets")
        .expect("Query.tickets");
    // `TicketConnection!`: the wrapper and what it wraps.
    assert_eq!(tickets["type"]["kind"], "NON_NULL");
    assert_eq!(tickets["type"]["ofType"]["name"], "TicketConnection");
}

fn assert_too_deep(body: &Value) {
    assert_eq!(error_code(body), Some("VALIDATION"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested too deep")),
        "{body}"
    );
    assert!(body["data"].is_null(), "{body}");
}

#[tokio::test]
async fn the_ide_gets_the_schema_anonymously() {
    let app = spawn_app().await;
    let body = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({
            "query": ide_introspection_query(),
            "operationName": "IntrospectionQuery",
        }))
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("JSON body");
    assert_schema(&body);
}

#[tokio::test]
async fn graphql_js_standard_introspection_gets_the_schema() {
    let app = spawn_app().await;
    let body = app.graphql(GRAPHQL_JS_INTROSPECTION, json!({}), None).await;
    assert_schema(&body);
}

#[tokio::test]
async fn deeper_introspection_is_refused() {
    let app = spawn_app().await;
    // One level past the bound, and far past it.
    for levels in [MAX_INTROSPECTION_DEPTH - 1, 30] {
        let query = format!(
            "{{ __type(name: \"Query\") {{ {} }} }}",
            nested("ofType", levels, "name")
        );
        assert_too_deep(&app.graphql(&query, json!({}), None).await);
    }
    // At the bound, it passes.
    let query = format!(
        "{{ __type(name: \"Query\") {{ {} }} }}",
        nested("ofType", MAX_INTROSPECTION_DEPTH - 2, "name")
    );
    let body = app.graphql(&query, json!({}), None).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__type"]["ofType"], Value::Null, "{body}");
}

#[tokio::test]
async fn data_keeps_its_own_depth_limit() {
    let app = spawn_app().await;
    // `ticketByReference { relatedTicket { … id } }`: one field per level.
    let data = |depth: usize| {
        format!(
            "ticketByReference(reference: \"GEM-1\") {{ {} }}",
            nested("relatedTicket", depth - 2, "id")
        )
    };
    let body = app
        .graphql(&format!("{{ {} }}", data(MAX_DEPTH + 1)), json!({}), None)
        .await;
    assert_too_deep(&body);
    // Introspection next to it lends it no headroom.
    let body = app
        .graphql(
            &format!(
                "{{ __schema {{ types {{ name }} }} {} }}",
                data(MAX_DEPTH + 1)
            ),
            json!({}),
            None,
        )
        .await;
    assert_too_deep(&body);
    // Nor through a fragment spread at the root.
    let body = app
        .graphql(
            &format!(
                "{{ ...Root }} fragment Root on Query {{ {} }}",
                data(MAX_DEPTH + 1)
            ),
            json!({}),
            None,
        )
        .await;
    assert_too_deep(&body);
    // At the limit, the query runs (and, anonymous, is refused for that).
    let body = app
        .graphql(&format!("{{ {} }}", data(MAX_DEPTH)), json!({}), None)
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

#[tokio::test]
async fn introspection_keeps_the_query_limits() {
    let app = spawn_app().await;
    // Two fields per alias, each within every depth bound: more than the
    // complexity limit allows. The document limits, which bound every
    // query at least as tightly (a document expands to at most as many
    // selections as the complexity limit), refuse it first, before the
    // library's validation runs.
    let validations = app.state.validations.get();
    let aliases: String = (0..MAX_COMPLEXITY / 2 + 1)
        .map(|i| format!("a{i}: __schema {{ description }} "))
        .collect();
    let body = app
        .graphql(&format!("{{ {aliases} }}"), json!({}), None)
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert!(
        body["errors"][0]["extensions"]["limit"].is_string(),
        "refused by a document limit: {body}"
    );
    assert_eq!(app.state.validations.get(), validations);
}
