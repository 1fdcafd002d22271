//! A PostgreSQL 15 cluster of a test's own, on a free loopback port under
//! a temporary directory, run as the `postgres` user (like `.ci/run`),
//! never the shared server: for the tests that stop, pause or replicate
//! the database.
//!
//! They need PostgreSQL 15's server binaries (`/usr/lib/postgresql/15/bin`,
//! or `PARTNERDESK_PGBIN`), `runuser` and root. They are skipped with a
//! notice unless `PARTNERDESK_REPLICA_TESTS=1` (set by `.ci/run`), which
//! makes them mandatory.

use std::path::{Path, PathBuf};
use std::process::Command;

use sea_orm::{Database, DatabaseConnection};

/// Set to `1` to run the tests of own clusters (and fail when they cannot).
pub const REQUIRED: &str = "PARTNERDESK_REPLICA_TESTS";
const PGBIN: &str = "/usr/lib/postgresql/15/bin";

/// A PostgreSQL cluster of the test's own, stopped when dropped.
pub struct Cluster {
    pub bin: PathBuf,
    pub data: PathBuf,
    pub port: u16,
    /// Where the server's socket goes.
    socket_dir: PathBuf,
}

impl Cluster {
    /// A fresh cluster in `root/name`, initialised but not started. `root`
    /// is made the `postgres` user's.
    pub fn init(bin: &Path, root: &Path, name: &str) -> Self {
        chown_to_postgres(root);
        let cluster = Self::at(bin, root, name);
        as_postgres(
            &bin.join("initdb"),
            &["-D", path(&cluster.data), "-A", "trust", "-U", "postgres"],
        );
        cluster
    }

    /// A cluster whose data directory `root/name` is made by the caller
    /// (a base backup).
    pub fn at(bin: &Path, root: &Path, name: &str) -> Self {
        Self {
            bin: bin.to_owned(),
            data: root.join(name),
            port: free_port(),
            socket_dir: root.to_owned(),
        }
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server and waits until it accepts connections; `extra`
    /// are more `-c name=value` options.
    pub fn start(&self, extra: &str) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off {extra}",
            self.port,
            self.socket_dir.display()
        );
        let log = self.data.with_extension("log");
        as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                path(&self.data),
                "-l",
                path(&log),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash would: no checkpoint, every
    /// connection cut.
    pub fn stop_immediately(&self) {
        as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", path(&self.data), "-m", "immediate", "-w", "stop"],
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", path(&self.data), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn chown_to_postgres(p: &Path) {
    let status = Command::new("chown")
        .args(["postgres:postgres", path(p)])
        .status()
        .expect("chown");
    assert!(status.success(), "chown {}", p.display());
}

/// Runs `program` as the `postgres` user; panics with its output if it fails.
pub fn as_postgres(program: &Path, args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed: {}{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The server binaries, or `None` (with a notice naming `test`) to skip.
pub fn postgres_bin(test: &str) -> Option<PathBuf> {
    let required = std::env::var(REQUIRED).is_ok_and(|v| v == "1");
    if !required {
        println!("{test} skipped: set {REQUIRED}=1 to run it (it starts PostgreSQL clusters)");
        return None;
    }
    let bin =
        std::env::var_os("PARTNERDESK_PGBIN").map_or_else(|| PathBuf::from(PGBIN), PathBuf::from);
    assert!(
        bin.join("pg_ctl").is_file(),
        "{REQUIRED}=1 but there is no {}",
        bin.join("pg_ctl").display()
    );
    Some(bin)
}

pub async fn connect(url: &str) -> DatabaseConnection {
    Database::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}
