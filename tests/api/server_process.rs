//! The server as its own process, started as an operator starts it:
//! `partnerdesk serve` with its settings in the environment and the demo
//! data seeded. Its standard output gives the address and the demo logins;
//! its standard error, the log, is kept for the test to read.

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::databases::TestDatabase;
use crate::helpers::TEST_JWT_SECRET;

/// How long the server may take to migrate, seed and listen.
const START: Duration = Duration::from_secs(60);

/// A demo login, as `serve` prints it.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: String,
    pub email: String,
    pub password: String,
}

/// A running `partnerdesk serve`, killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub logins: Vec<DemoLogin>,
    log: Arc<Mutex<String>>,
    /// The server's database (dropped after the process).
    pub database: TestDatabase,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `serve` on a database of its own with `env` added to the
    /// settings, and waits until it listens.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = TestDatabase::empty(dir.path()).await;
        let mut command = Command::new(env!("CARGO_BIN_EXE_partnerdesk"));
        command
            .arg("serve")
            .env_remove("RUST_LOG")
            .env("DATABASE_URL", &database.url)
            .env("PARTNERDESK_DATA_DIR", dir.path())
            .env("PARTNERDESK_BIND", "127.0.0.1:0")
            .env("SEED_DEMO_DATA", "true")
            .env("JWT_SECRET", TEST_JWT_SECRET)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("run serve");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        tokio::spawn({
            let log = log.clone();
            async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let mut logins = Vec::new();
        let address = tokio::time::timeout(START, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("partnerdesk listening on ") {
                    let url = rest.split_whitespace().next().expect("an address");
                    return Some(url.trim_end_matches('/').to_owned());
                }
                // `  <role> <email> <password> <organisation>`
                let words: Vec<&str> = line.split_whitespace().collect();
                if line.starts_with("  ") && words.len() >= 4 && words[1].contains('@') {
                    logins.push(DemoLogin {
                        role: words[0].to_owned(),
                        email: words[1].to_owned(),
                        password: words[2].to_owned(),
                    });
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let server = Self {
            child,
            address: String::new(),
            logins,
            log,
            database,
            _dir: dir,
        };
        let Some(address) = address else {
            panic!("the server never said where it listens:\n{}", server.log());
        };
        // Keep draining, so that the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { address, ..server }
    }

    /// `host:port` of the public address.
    pub fn host(&self) -> &str {
        self.address.trim_start_matches("http://")
    }

    /// The first demo login of `role` (`ADMIN`, `PARTNER_MEMBER`, …).
    pub fn login_of(&self, role: &str) -> &DemoLogin {
        self.logins
            .iter()
            .find(|login| login.role == role)
            .unwrap_or_else(|| panic!("a demo {role} among {:?}", self.logins))
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sends SIGTERM, as a service manager stopping the server does.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the server runs");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid}: {status}");
    }

    /// Waits for the process to exit, at most `within`.
    pub async fn exited(&mut self, within: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(within, self.child.wait())
            .await
            .ok()
            .map(|status| status.expect("wait for the server"))
    }
}
