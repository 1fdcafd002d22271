//! The server audits of the `graphql-http` npm package (the GraphQL over
//! HTTP specification's audit suite) against a running server: no failure,
//! no warning.
//!
//! Needs Node and the package: `.ci/run` installs it into a temporary
//! directory, points `NODE_PATH` at its `node_modules` and sets
//! `PARTNERDESK_NODE_TESTS=1`, which makes the test mandatory. Without that
//! variable the test prints a notice and skips.

use crate::helpers::spawn_app;

pub async fn run() {
    if std::env::var("PARTNERDESK_NODE_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "notice: graphql-http audits skipped (set PARTNERDESK_NODE_TESTS=1 with graphql-http \
             on NODE_PATH, as .ci/run does)"
        );
        return;
    }
    let app = spawn_app().await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/graphql-http-audit.cjs"
    );
    let output = tokio::process::Command::new("node")
        .arg(script)
        .arg(format!("{}/graphql", app.address))
        .output()
        .await
        .expect("run node (PARTNERDESK_NODE_TESTS=1 needs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "graphql-http audits failed or warned:\n{stdout}\n{stderr}"
    );
}
