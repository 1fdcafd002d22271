//! A bad setting stops the binary at start with one line naming it.

use std::process::Command;

fn run_with(env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_partnerdesk"))
        .arg("serve")
        .env_clear()
        .env("RUST_LOG", "off")
        .env("PARTNERDESK_DATA_DIR", dir.path())
        .env("PARTNERDESK_BIND", "127.0.0.1:0")
        .envs(env.iter().copied())
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

fn assert_one_line_naming(stderr: &str, setting: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line, got: {stderr}");
    assert!(
        lines[0].starts_with(&format!("error: {setting}: ")),
        "the line names {setting}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "no panic trace: {stderr}");
}

const GOOD_SECRET: &str = "a-secret-that-is-long-enough-for-hs256!";

#[test]
fn malformed_database_url_is_named() {
    let (ok, stderr) = run_with(&[("DATABASE_URL", "mysql//nope"), ("JWT_SECRET", GOOD_SECRET)]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "DATABASE_URL");
}

#[test]
fn unreachable_database_is_named() {
    let (ok, stderr) = run_with(&[
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:9/nowhere"),
        ("JWT_SECRET", GOOD_SECRET),
    ]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "DATABASE_URL");
}

#[test]
fn short_jwt_secret_is_named() {
    let (ok, stderr) = run_with(&[("JWT_SECRET", "short")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "JWT_SECRET");
}

#[test]
fn production_without_jwt_secret_is_refused_naming_it() {
    let (ok, stderr) = run_with(&[("PARTNERDESK_ENV", "production")]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "JWT_SECRET");
}

#[test]
fn production_with_the_demo_seed_is_refused_naming_it() {
    for production in [
        ("PARTNERDESK_ENV", "production"),
        ("PARTNERDESK_ENV", "development"),
    ] {
        let (ok, stderr) = run_with(&[
            production,
            ("JWT_SECRET", GOOD_SECRET),
            ("SEED_DEMO_DATA", "true"),
            ("DATABASE_URL", "mysql//refused-before-any-connection"),
        ]);
        assert!(!ok);
        let expected = if production.1 == "production" {
            "SEED_DEMO_DATA"
        } else {
            "DATABASE_URL"
        };
        assert_one_line_naming(&stderr, expected);
    }
    // The flag is the same as the variable.
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_partnerdesk"))
        .args(["serve", "--production", "--seed-demo-data", "true"])
        .env_clear()
        .env("RUST_LOG", "off")
        .env("PARTNERDESK_DATA_DIR", dir.path())
        .env("JWT_SECRET", GOOD_SECRET)
        .output()
        .expect("run the binary");
    assert!(!output.status.success());
    assert_one_line_naming(&String::from_utf8_lossy(&output.stderr), "SEED_DEMO_DATA");
}

#[test]
fn a_malformed_cors_origin_is_named() {
    let (ok, stderr) = run_with(&[
        ("JWT_SECRET", GOOD_SECRET),
        ("CORS_ALLOWED_ORIGINS", "https://portal.example/app"),
    ]);
    assert!(!ok);
    assert_one_line_naming(&stderr, "CORS_ALLOWED_ORIGINS");
}

#[test]
fn help_lists_every_setting() {
    let output = Command::new(env!("CARGO_BIN_EXE_partnerdesk"))
        .arg("--help")
        .output()
        .expect("run the binary");
    let help = String::from_utf8_lossy(&output.stdout);
    for variable in [
        "DATABASE_URL",
        "DATABASE_MAX_CONNECTIONS",
        "REPORTS_DATABASE_URL",
        "PARTNERDESK_DATA_DIR",
        "ATTACHMENT_STORE",
        "PARTNERDESK_BIND",
        "JWT_SECRET",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "TOKEN_TTL_MINUTES",
        "LOG_FORMAT",
        "GRAPHQL_INTROSPECTION",
        "SEED_DEMO_DATA",
        "TRUSTED_PROXIES",
        "PARTNERDESK_PUBLIC_URL",
        "PARTNERDESK_ENV",
        "--production",
        "GRAPHQL_GET",
        "CORS_ALLOWED_ORIGINS",
    ] {
        assert!(help.contains(variable), "--help lists {variable}");
    }
    for command in ["serve", "migrate", "seed", "export-schema"] {
        assert!(help.contains(command), "--help lists {command}");
    }
}
