//! Hostile HTTP: what an attacker sends to `/graphql` is refused with the
//! right status and code, without reading more than the limits allow,
//! while ordinary requests keep being answered and memory stays bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::helpers::{TestApp, spawn_app};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// `{ a { a { … } } }`, `levels` deep.
fn nested(levels: usize) -> String {
    format!("{{ {}{} }}", "a { ".repeat(levels), "}".repeat(levels))
}

fn aliases(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
    format!("{{ {} }}", fields.join(" "))
}

fn huge_string_literal(bytes: usize) -> String {
    format!("{{ __type(name: \"{}\") {{ name }} }}", "x".repeat(bytes))
}

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

async fn send(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    try_send(app, content_type, body).await.expect("request")
}

/// [`send`], or the transport error when the server closed the connection
/// before the client finished sending (as it does for a body it refuses
/// by its length).
async fn try_send(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Result<(u16, Value)> {
    try_send_with(&app.client, app, content_type, body).await
}

async fn try_send_with(
    client: &reqwest::Client,
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Result<(u16, Value)> {
    let mut request = client
        .post(format!("{}/graphql", app.address))
        .header("accept", GRAPHQL_RESPONSE)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

fn query_body(query: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "query": query })).expect("JSON")
}

#[tokio::test]
async fn hostile_requests_are_refused_with_the_right_status_and_code() {
    let app = spawn_app().await;
    let json = Some("application/json");
    let deep_json = format!(
        "{{\"query\":\"{{ __typename }}\",\"variables\":{{\"v\":{}1{}}}}}",
        "[".repeat(1_000),
        "]".repeat(1_000)
    );
    // (what, content type, body, status, the limit named)
    type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("malformed JSON", json, b"{\"query\": ".to_vec(), 400, None),
        (
            "a JSON string",
            json,
            b"\"{ __typename }\"".to_vec(),
            400,
            None,
        ),
        (
            "invalid UTF-8",
            json,
            b"{\"query\": \"{ \xff\xfe }\"}".to_vec(),
            400,
            None,
        ),
        (
            "a batched array",
            json,
            b"[{\"query\": \"{ __typename }\"}, {\"query\": \"{ __typename }\"}]".to_vec(),
            400,
            None,
        ),
        (
            "JSON nested 1,000 deep",
            json,
            deep_json.into_bytes(),
            400,
            None,
        ),
        (
            "text/plain",
            Some("text/plain"),
            query_body("{ __typename }"),
            415,
            None,
        ),
        (
            "no content type",
            None,
            query_body("{ __typename }"),
            415,
            None,
        ),
        (
            "a charset JSON does not have",
            Some("application/json; charset=latin1"),
            query_body("{ __typename }"),
            415,
            None,
        ),
        (
            "form data",
            Some("application/x-www-form-urlencoded"),
            b"query=%7B__typename%7D".to_vec(),
            415,
            None,
        ),
        (
            "a query nested 1,000 deep",
            json,
            query_body(&nested(1_000)),
            400,
            Some("nesting"),
        ),
        (
            "10,000 aliases",
            json,
            query_body(&aliases(10_000)),
            400,
            Some("documentBytes"),
        ),
        (
            "a huge string literal",
            json,
            query_body(&huge_string_literal(900 * 1024)),
            400,
            Some("documentBytes"),
        ),
        (
            "the fragment bomb",
            json,
            query_body(&fragment_bomb(25)),
            400,
            Some("fragmentExpansions"),
        ),
    ];
    for (what, content_type, body, status, limit) in cases {
        let started = Instant::now();
        let (got, body) = send(&app, content_type, body).await;
        assert_eq!(got, status, "{what}: {body}");
        assert!(body.get("data").is_none(), "{what}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{what}: {body}"
        );
        if let Some(limit) = limit {
            assert_eq!(
                body["errors"][0]["extensions"]["limit"], limit,
                "{what}: {body}"
            );
        }
        println!("{what}: {got} in {:?}", started.elapsed());
    }
    // 100 aliases fit the tokens but not the alias cap.
    let (status, body) = send(&app, json, query_body(&aliases(100))).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["limit"], "aliases",
        "{body}"
    );
}

/// Reads an HTTP response's head (and what follows of it) from `stream`.
async fn read_response(stream: &mut tokio::net::tcp::OwnedReadHalf) -> String {
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buffer[..n]),
        }
        let text = String::from_utf8_lossy(&response);
        if text.contains("\r\n\r\n") && text.contains("}]}") {
            break;
        }
    }
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_read_whole() {
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://").to_owned();

    // 100 MiB announced, 64 KiB sent: the answer comes without the rest.
    let stream = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        100 * 1024 * 1024
    );
    write.write_all(head.as_bytes()).await.expect("head");
    write
        .write_all(&vec![b' '; 64 * 1024])
        .await
        .expect("a little body");
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), read_response(&mut read))
        .await
        .expect("an answer before the body is sent");
    println!("declared 100 MiB: answered in {:?}", started.elapsed());
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"code\":\"VALIDATION\""), "{response}");

    // Chunked, no length: the answer comes once the limit is passed, and
    // the server stops reading; the client cannot send its 100 MiB.
    let stream = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    write.write_all(head.as_bytes()).await.expect("head");
    let sent = Arc::new(AtomicU64::new(0));
    let writer = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let chunk = vec![b' '; 64 * 1024];
            let frame_head = format!("{:x}\r\n", chunk.len());
            for _ in 0..1_600 {
                let ok = write.write_all(frame_head.as_bytes()).await.is_ok()
                    && write.write_all(&chunk).await.is_ok()
                    && write.write_all(b"\r\n").await.is_ok();
                if !ok {
                    return;
                }
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        })
    };
    let response = tokio::time::timeout(Duration::from_secs(20), read_response(&mut read))
        .await
        .expect("an answer");
    let sent_when_answered = sent.load(Ordering::Relaxed);
    writer.abort();
    println!(
        "chunked: answered after {} KiB sent",
        sent_when_answered / 1024
    );
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        sent_when_answered < 20 * 1024 * 1024,
        "answered after {sent_when_answered} bytes"
    );
}

/// Resident memory of this process (the server runs in it), in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_batch_leaves_ordinary_queries_answered_and_memory_bounded() {
    let app = Arc::new(spawn_app().await);
    let baseline = resident_kib();
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(resident_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let ordinary = {
        let (app, done) = (app.clone(), done.clone());
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            let mut answered = 0u32;
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let body = app
                    .graphql("{ __typename viewer { id } }", json!({}), None)
                    .await;
                assert_eq!(body["data"]["__typename"], "Query", "{body}");
                worst = worst.max(started.elapsed());
                answered += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (worst, answered)
        })
    };

    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", query_body(&fragment_bomb(25))),
        ("application/json", query_body(&nested(1_000))),
        ("application/json", query_body(&aliases(10_000))),
        (
            "application/json",
            query_body(&huge_string_literal(900 * 1024)),
        ),
        ("application/json", vec![b' '; 3 * 1024 * 1024]),
        ("text/plain", query_body("{ __typename }")),
    ];
    let hostile = Arc::new(hostile);
    let started = Instant::now();
    let mut attackers = Vec::new();
    for attacker in 0..8 {
        let (app, hostile) = (app.clone(), hostile.clone());
        attackers.push(tokio::spawn(async move {
            // Its own connections: the server closes one whose body it
            // refused unread, and a pooled client would reuse it.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("client");
            for round in 0..15 {
                let (content_type, body) = &hostile[(attacker + round) % hostile.len()];
                match try_send_with(&client, &app, Some(content_type), body.clone()).await {
                    Ok((status, _)) => assert!((400..500).contains(&status), "refused: {status}"),
                    // Refused by its length while still being sent.
                    Err(e) => assert!(body.len() > partnerdesk::http::MAX_BODY_BYTES, "{e}"),
                }
            }
        }));
    }
    for attacker in attackers {
        attacker.await.expect("attacker");
    }
    let batch_time = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let (worst, answered) = ordinary.await.expect("ordinary queries");
    sampler.await.expect("sampler");
    let peak = peak.load(Ordering::Relaxed);
    let growth_mib = peak.saturating_sub(baseline) / 1024;
    println!(
        "hostile batch: 120 requests in {batch_time:?}; {answered} ordinary queries in parallel, \
         worst {worst:?}; resident memory {} MiB before, peak {} MiB (+{growth_mib} MiB)",
        baseline / 1024,
        peak / 1024
    );
    assert!(answered > 0, "ordinary queries ran during the batch");
    assert!(
        worst < Duration::from_secs(5),
        "worst ordinary latency {worst:?}"
    );
    assert!(growth_mib < 256, "resident memory grew by {growth_mib} MiB");
}
