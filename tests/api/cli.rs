//! The binary's subcommands, run as a user would.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use partnerdesk::clock::ManualClock;
use partnerdesk::startup::Application;
use serde_json::json;

use crate::databases::TestDatabase;
use crate::helpers::{TEST_JWT_SECRET, test_config, test_start};

fn partnerdesk(
    database_url: &str,
    data_dir: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnerdesk"))
        .args(args)
        .env("RUST_LOG", "off")
        .env("DATABASE_URL", database_url)
        .env("PARTNERDESK_DATA_DIR", data_dir)
        .env("JWT_SECRET", TEST_JWT_SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

#[tokio::test]
async fn create_user_bootstraps_the_first_admin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = TestDatabase::empty(dir.path()).await;
    let url = database.url.clone();
    let output = partnerdesk(
        &url,
        dir.path(),
        &[
            "create-user",
            "--email",
            "First.Admin@Provider.example",
            "--name",
            "First Admin",
            "--organisation",
            "WLW",
            "--password-stdin",
        ],
        Some("the first admin's passphrase\n"),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let again = partnerdesk(
        &url,
        dir.path(),
        &[
            "create-user",
            "--email",
            "first.admin@provider.example",
            "--name",
            "Twin",
        ],
        None,
    );
    assert!(!again.status.success(), "a taken email is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("input.email"));

    let app = Application::build(
        test_config(url, dir.path()),
        Arc::new(ManualClock::new(test_start())),
    )
    .await
    .expect("build app");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({
            "query": "mutation { login(email: \"first.admin@provider.example\", password: \"the first admin's passphrase\") { user { role organisation { name kind } } } }"
        }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["data"]["login"]["user"],
        json!({ "role": "ADMIN", "organisation": { "name": "WLW", "kind": "PROVIDER" } }),
        "{body}"
    );
}

#[tokio::test]
async fn seed_scale_generates_once_prints_logins_and_wipes_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = TestDatabase::empty(dir.path()).await;
    let url = database.url.clone();
    let output = partnerdesk(&url, dir.path(), &["seed", "--scale", "small"], None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("generated the small data set (seed 1)"),
        "{stdout}"
    );
    assert!(stdout.contains("60 tickets"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("every generated user's password is "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the password is printed");
    assert_eq!(password.len(), 16);
    for role in ["Admin", "Staff", "PartnerManager", "PartnerMember"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(role)),
            "a {role} login: {stdout}"
        );
    }
    // Not in a terminal: plain progress lines on stderr.
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("rows/s"),
        "progress lines"
    );

    let again = partnerdesk(&url, dir.path(), &["seed", "--scale", "small"], None);
    assert!(!again.status.success(), "a database with data is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--wipe"));

    let wiped = partnerdesk(
        &url,
        dir.path(),
        &["seed", "--scale", "small", "--seed", "2", "--wipe"],
        None,
    );
    assert!(
        wiped.status.success(),
        "{}",
        String::from_utf8_lossy(&wiped.stderr)
    );
    assert!(String::from_utf8_lossy(&wiped.stdout).contains("(seed 2)"));
}

#[test]
fn export_schema_prints_the_sdl() {
    let output = Command::new(env!("CARGO_BIN_EXE_partnerdesk"))
        .arg("export-schema")
        .output()
        .expect("run the binary");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        partnerdesk::graphql::sdl()
    );
}
