//! Memory under a login flood: a server started as its own process keeps
//! its resident set bounded while 100 logins arrive 16 at a time, and
//! gives nothing back late (the figure after the flood counts too).
//!
//! Each login costs an argon2id hash with 19 MiB of working memory; the
//! figure guarded here is the process's `VmRSS` from `/proc`, sampled
//! throughout, not what the allocator believes it holds.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::databases::TestDatabase;
use crate::helpers::{PASSWORD, TEST_JWT_SECRET};

/// The bound, during the flood and after it.
const MAX_RESIDENT_MIB: u64 = 150;
const LOGINS: usize = 100;
const CONCURRENCY: usize = 16;

/// A server process, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(database_url: &str, data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_partnerdesk"));
    command
        .env("RUST_LOG", "off")
        .env("DATABASE_URL", database_url)
        .env("PARTNERDESK_DATA_DIR", data_dir)
        .env("PARTNERDESK_BIND", "127.0.0.1:0")
        .env("SEED_DEMO_DATA", "false")
        .env("JWT_SECRET", TEST_JWT_SECRET);
    command
}

fn create_user(database_url: &str, data_dir: &std::path::Path, email: &str) {
    let mut child = binary(database_url, data_dir)
        .args([
            "create-user",
            "--email",
            email,
            "--name",
            "Flood",
            "--organisation",
            "WLW",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run create-user");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write the password");
    let output = child.wait_with_output().expect("wait for create-user");
    assert!(
        output.status.success(),
        "create-user: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts `serve` and waits for the line that names its address.
fn serve(database_url: &str, data_dir: &std::path::Path) -> Server {
    let mut child = binary(database_url, data_dir)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut server = Server {
        child,
        address: String::new(),
    };
    for line in lines.by_ref() {
        let line = line.expect("read the server's output");
        if let Some(rest) = line.strip_prefix("partnerdesk listening on ") {
            let url = rest.split_whitespace().next().expect("an address");
            server.address = url.trim_end_matches('/').to_owned();
            break;
        }
    }
    assert!(
        !server.address.is_empty(),
        "the server never said where it listens"
    );
    // Keep draining, so that the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    server
}

/// The process's resident set in KiB, from `/proc/<pid>/status`.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_keeps_the_resident_set_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = TestDatabase::empty(dir.path()).await;
    // One account per client: login throttling counts an attempt in
    // flight against its (account, address) pair, so sixteen at once on
    // one account would be refused before any hash ran.
    let emails: Vec<String> = (0..CONCURRENCY)
        .map(|client| format!("flood-{client}@provider.example"))
        .collect();
    for email in &emails {
        create_user(&database.url, dir.path(), email);
    }
    let server = serve(&database.url, dir.path());
    let pid = server.child.id();
    let idle = resident_kib(pid);

    // Sampled on a thread of its own, so that a busy runtime cannot make
    // it miss the peak.
    let peak = Arc::new(AtomicU64::new(idle));
    let flooding = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, flooding) = (peak.clone(), flooding.clone());
        std::thread::spawn(move || {
            while flooding.load(Ordering::Relaxed) {
                peak.fetch_max(resident_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    let client = reqwest::Client::new();
    let url = format!("{}/graphql", server.address);
    // Sixteen clients, each logging in again as soon as it is answered,
    // until a hundred logins have been made.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = emails
        .iter()
        .map(|email| {
            let body = json!({
                "query": "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { user { id } } }",
                "variables": { "email": email, "password": PASSWORD },
            });
            let (client, url, next) = (client.clone(), url.clone(), next.clone());
            tokio::spawn(async move {
                let mut slowest = Duration::ZERO;
                while next.fetch_add(1, Ordering::Relaxed) < LOGINS {
                    let sent = Instant::now();
                    let response: Value = client
                        .post(&url)
                        .json(&body)
                        .send()
                        .await
                        .expect("login request")
                        .json()
                        .await
                        .expect("login response");
                    assert!(
                        response["data"]["login"]["user"]["id"].is_string(),
                        "login failed: {response}"
                    );
                    slowest = slowest.max(sent.elapsed());
                }
                slowest
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for client in clients {
        slowest = slowest.max(client.await.expect("a client"));
    }
    let flood = started.elapsed();
    flooding.store(false, Ordering::Relaxed);
    sampler.join().expect("sampler");

    // What the process keeps once the flood is over.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = resident_kib(pid);
    let peak = peak.load(Ordering::Relaxed).max(after);
    println!(
        "login flood: {LOGINS} logins, {CONCURRENCY} at a time, in {flood:.2?} \
         (slowest {slowest:.2?}); resident idle {} MiB, peak {} MiB, after {} MiB",
        idle / 1024,
        peak / 1024,
        after / 1024
    );
    assert!(
        peak <= MAX_RESIDENT_MIB * 1024,
        "peak resident set {} MiB > {MAX_RESIDENT_MIB} MiB",
        peak / 1024
    );
    assert!(
        after <= MAX_RESIDENT_MIB * 1024,
        "resident set after the flood {} MiB > {MAX_RESIDENT_MIB} MiB",
        after / 1024
    );
    drop(server);
    drop(database);
}
