//! `GET /metrics`: a scrape is valid Prometheus text, shows the requests
//! just made by their operation name and outcome, and has every family;
//! with `METRICS_BIND` it is served there and not on the public address.
//!
//! The recorder is one per process, so figures of other tests running in
//! the same binary add up: these tests look for their own operation names
//! and assert lower bounds of the shared counters.

use std::collections::BTreeMap;

use entity::enums::{OrganisationKind, Role, TicketVisibility};
use partnerdesk::auth::service;
use partnerdesk::error::AppError;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_configured, world};
use crate::live::{LiveClient, subscribed};

/// Every family the issue asks for, by the name and type a scrape gives it.
const FAMILIES: [(&str, &str); 9] = [
    ("partnerdesk_graphql_requests_total", "counter"),
    ("partnerdesk_graphql_request_duration_seconds", "histogram"),
    ("partnerdesk_graphql_request_sql_statements", "histogram"),
    ("partnerdesk_db_pool_connections_in_use", "gauge"),
    ("partnerdesk_db_pool_connections_idle", "gauge"),
    ("partnerdesk_outbox_pending_emails", "gauge"),
    ("partnerdesk_outbox_oldest_pending_age_seconds", "gauge"),
    ("partnerdesk_login_throttle_refusals_total", "counter"),
    ("partnerdesk_subscriptions_open", "gauge"),
];

/// One sample line: its metric name, labels and value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape, parsed strictly: every line is a `# HELP`, a `# TYPE` or a
/// sample of a family whose type was declared before it.
#[derive(Debug, Default)]
struct Scrape {
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut scrape = Self::default();
        for (number, line) in text.lines().enumerate() {
            let at = || format!("line {}: {line:?}", number + 1);
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# ") {
                let (keyword, rest) = rest.split_once(' ').unwrap_or_else(|| panic!("{}", at()));
                let (name, rest) = rest.split_once(' ').unwrap_or_else(|| panic!("{}", at()));
                assert!(is_metric_name(name), "bad family name, {}", at());
                match keyword {
                    "HELP" => assert!(!rest.trim().is_empty(), "empty help, {}", at()),
                    "TYPE" => {
                        assert!(
                            ["counter", "gauge", "histogram", "summary", "untyped"].contains(&rest),
                            "bad type, {}",
                            at()
                        );
                        let previous = scrape.types.insert(name.to_owned(), rest.to_owned());
                        assert!(previous.is_none(), "family typed twice, {}", at());
                    }
                    _ => panic!("unknown comment, {}", at()),
                }
                continue;
            }
            assert!(!line.starts_with('#'), "{}", at());
            let sample = parse_sample(line).unwrap_or_else(|| panic!("bad sample, {}", at()));
            let family = scrape
                .family_of(&sample.name)
                .unwrap_or_else(|| panic!("sample of an undeclared family, {}", at()));
            if scrape.types[&family] == "histogram" && sample.name.ends_with("_bucket") {
                assert!(
                    sample.labels.contains_key("le"),
                    "bucket without le, {}",
                    at()
                );
            }
            scrape.samples.push(sample);
        }
        scrape
    }

    /// The declared family a sample name belongs to.
    fn family_of(&self, name: &str) -> Option<String> {
        if self.types.contains_key(name) {
            return Some(name.to_owned());
        }
        ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
            let family = name.strip_suffix(suffix)?;
            matches!(
                self.types.get(family).map(String::as_str),
                Some("histogram" | "summary")
            )
            .then(|| family.to_owned())
        })
    }

    /// The value of the sample named `name` whose labels include `labels`;
    /// `None` when there is none.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `name{label="value",…} value`, label values with `\\`, `\"`, `\n`
/// escapes, the value a float (or `+Inf`, `-Inf`, `NaN`).
fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return None;
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inner.strip_prefix('}') {
                rest = after;
                break;
            }
            let (label, after) = inner.split_once("=\"")?;
            if !is_metric_name(label) || label.contains(':') {
                return None;
            }
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next()?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        _ => return None,
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.insert(label.to_owned(), value);
            inner = &after[end + 1..];
            inner = inner.strip_prefix(',').unwrap_or(inner);
        }
    }
    let value = rest.strip_prefix(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        other => other.parse().ok()?,
    };
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

async fn scrape(app: &TestApp, base: &str) -> Scrape {
    let response = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Scrape::parse(&response.text().await.expect("body"))
}

fn assert_every_family(scrape: &Scrape) {
    for (family, kind) in FAMILIES {
        assert_eq!(
            scrape.types.get(family).map(String::as_str),
            Some(kind),
            "family {family}"
        );
        assert!(
            scrape.family_of(family).is_some()
                && scrape
                    .samples
                    .iter()
                    .any(|s| scrape.family_of(&s.name).as_deref() == Some(family)),
            "no sample of {family}"
        );
    }
}

#[tokio::test]
async fn a_scrape_is_prometheus_text_with_the_requests_just_made_and_every_family() {
    let app = spawn_app().await;
    let provider = app
        .create_organisation(
            "Provider",
            OrganisationKind::Provider,
            TicketVisibility::Organisation,
        )
        .await;
    let admin = app.create_user(&provider, Role::Admin, "Ada Admin").await;
    let token = app.login(&admin.email, PASSWORD).await;

    let ok = app
        .graphql(
            "query MetricsProbeTickets { tickets(first: 5) { totalCount } viewer { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    // Named by `operationName` among several operations.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({
            "query": "query MetricsProbeDenied { tickets { totalCount } } query Unused { __typename }",
            "operationName": "MetricsProbeDenied",
        }))
        .send()
        .await
        .expect("request");
    let denied: serde_json::Value = response.json().await.expect("json");
    assert_eq!(crate::helpers::error_code(&denied), Some("UNAUTHENTICATED"));
    // A password-reset request queues an email: the outbox has a backlog.
    let reset = app
        .graphql(
            "mutation MetricsProbeReset($e: String!) { requestPasswordReset(email: $e) { message } }",
            json!({ "e": admin.email }),
            None,
        )
        .await;
    assert!(reset.get("errors").is_none(), "{reset}");
    // Six guesses from one address: the sixth is refused by throttling.
    let addr = "192.0.2.200";
    for guess in 0..6 {
        let outcome = service::login(&app.state, &admin.email, "wrong guess", addr).await;
        match (guess, outcome) {
            (0..5, Err(AppError::BadCredentials)) | (5, Err(AppError::RateLimited { .. })) => {}
            (guess, other) => panic!("guess {guess}: {:?}", other.err()),
        }
    }

    let scrape = scrape(&app, &app.address).await;
    assert_every_family(&scrape);
    let ok_labels = [("operation", "MetricsProbeTickets"), ("outcome", "ok")];
    assert_eq!(
        scrape.value("partnerdesk_graphql_requests_total", &ok_labels),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(
            "partnerdesk_graphql_requests_total",
            &[
                ("operation", "MetricsProbeDenied"),
                ("outcome", "UNAUTHENTICATED")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(
            "partnerdesk_graphql_request_duration_seconds_count",
            &ok_labels
        ),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(
            "partnerdesk_graphql_request_duration_seconds_bucket",
            &[
                ("operation", "MetricsProbeTickets"),
                ("outcome", "ok"),
                ("le", "+Inf")
            ]
        ),
        Some(1.0)
    );
    // The viewer's lookup, the page and its count: at least three
    // statements, all of them this request's.
    let statements = scrape
        .value(
            "partnerdesk_graphql_request_sql_statements_sum",
            &[("operation", "MetricsProbeTickets")],
        )
        .expect("statements of the request");
    assert!((3.0..50.0).contains(&statements), "{statements}");
    assert!(
        scrape
            .value(
                "partnerdesk_graphql_request_sql_statements_sum",
                &[("operation", "MetricsProbeDenied")],
            )
            .is_some_and(|n| n < 3.0),
        "a refused request runs no more than the token check"
    );
    assert!(
        scrape
            .value(
                "partnerdesk_login_throttle_refusals_total",
                &[("limit", "account_address")]
            )
            .is_some_and(|n| n >= 1.0)
    );
    for gauge in [
        "partnerdesk_db_pool_connections_in_use",
        "partnerdesk_db_pool_connections_idle",
    ] {
        assert!(
            scrape
                .value(gauge, &[("pool", "primary")])
                .is_some_and(|n| n >= 0.0),
            "{gauge}"
        );
    }

    // The outbox gauges are the process's, set by each scrape: another
    // test's scrape may land between this one's reading and rendering.
    let mut backlog = None;
    for _ in 0..5 {
        let scrape = self::scrape(&app, &app.address).await;
        let pending = scrape.value("partnerdesk_outbox_pending_emails", &[]);
        if pending.is_some_and(|n| n >= 1.0) {
            backlog = scrape.value("partnerdesk_outbox_oldest_pending_age_seconds", &[]);
            break;
        }
    }
    assert!(
        backlog.is_some_and(|age| age >= 0.0),
        "the queued reset email shows as a backlog"
    );
}

#[tokio::test]
async fn with_metrics_bind_metrics_are_served_there_and_not_on_the_public_address() {
    let app = spawn_app_configured(|config| {
        config.metrics_bind = Some("127.0.0.1:0".parse().expect("address"));
    })
    .await;
    let metrics_address = app
        .metrics_address
        .clone()
        .expect("a metrics address when METRICS_BIND is set");
    let public = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("public scrape");
    assert_eq!(public.status(), 404);
    let body = app
        .graphql("query MetricsProbeBound { __typename }", json!({}), None)
        .await;
    assert_eq!(body["data"]["__typename"], "Query");
    let scrape = scrape(&app, &metrics_address).await;
    assert_every_family(&scrape);
    assert_eq!(
        scrape.value(
            "partnerdesk_graphql_requests_total",
            &[("operation", "MetricsProbeBound"), ("outcome", "ok")]
        ),
        Some(1.0)
    );
    // The metrics address serves nothing else.
    let graphql = app
        .client
        .post(format!("{metrics_address}/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("graphql on the metrics address");
    assert_eq!(graphql.status(), 404);
}

#[tokio::test]
async fn in_production_the_public_address_never_serves_metrics() {
    let app = spawn_app_configured(|config| config.production = true).await;
    assert!(app.metrics_address.is_none());
    let public = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("public scrape");
    assert_eq!(public.status(), 404);
}

/// The open-subscriptions gauge of `app`'s scrapes: the gauge is the
/// process's, set by each scrape, so another test's scrape may land between
/// this one's reading and rendering; a few tries see this app's figure.
async fn subscriptions_open(app: &TestApp, expected: f64) -> Option<f64> {
    let mut seen = None;
    for _ in 0..5 {
        seen = scrape(app, &app.address)
            .await
            .value("partnerdesk_subscriptions_open", &[]);
        if seen == Some(expected) {
            break;
        }
    }
    seen
}

#[tokio::test]
async fn a_scrape_counts_the_subscriptions_open_on_the_instance() {
    let w = world().await;
    let token = w.token(&w.member).await;
    let mut live = LiveClient::with_token(&w.app.address, &token).await;
    let query = "subscription { ticketEvents { kind } }";
    live.subscribe("1", query, json!({})).await;
    live.subscribe("2", query, json!({})).await;
    subscribed(&w.app, 2).await;
    assert_eq!(subscriptions_open(&w.app, 2.0).await, Some(2.0));

    live.complete("2").await;
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while w.app.state.live.subscribers() > 1 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the completed subscription closes");
    assert_eq!(subscriptions_open(&w.app, 1.0).await, Some(1.0));
}
