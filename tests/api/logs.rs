//! The server's log lines, captured in memory, so that a test can check
//! what was logged for one of its requests (by its `x-request-id`).
//!
//! One global subscriber serves the whole test binary: spans of every level
//! (the request span carries the request id), events of WARN and above,
//! and the SQL statements of the apps that log them (`LOG_SQL`).

use std::io;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing_subscriber::Layer as _;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

static CAPTURED: OnceLock<Buffer> = OnceLock::new();

/// Where an app with `LOG_SQL` logs its statements.
const SQL_TARGET: &str = "partnerdesk::sql";

/// Starts capturing, once per test binary; call it before the requests
/// whose lines a test reads.
pub fn capture() {
    CAPTURED.get_or_init(|| {
        let buffer = Buffer::default();
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(buffer.clone())
            .with_ansi(false)
            .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                meta.is_span()
                    || *meta.level() <= tracing::Level::WARN
                    || meta.target() == SQL_TARGET
            }));
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .expect("the log capture is the only global subscriber of the tests");
        buffer
    });
}

/// The captured lines that contain `needle`.
pub fn lines_with(needle: &str) -> Vec<String> {
    let Some(buffer) = CAPTURED.get() else {
        return Vec::new();
    };
    let bytes = buffer.0.lock().unwrap_or_else(PoisonError::into_inner);
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// The SQL statements request `id` ran (it must come from an app with
/// `log_sql` on), as logged: each with its values written in.
pub fn statements_of(id: &str) -> Vec<String> {
    let marker = format!("{SQL_TARGET}: statement sql=");
    lines_with(id)
        .into_iter()
        .filter_map(|line| {
            let (_, sql) = line.split_once(&marker)?;
            let sql = sql.rsplit_once(" elapsed_us=").map_or(sql, |(sql, _)| sql);
            Some(sql.to_owned())
        })
        .collect()
}
