//! Delivery of the outbox: a background worker that claims due emails in
//! `email_outbox`, sends them over SMTP (or writes them to the log when no
//! mail server is configured) and records the outcome in the same row.
//!
//! Invariants:
//! - all delivery state lives in the row (`status`, `attempts`,
//!   `next_attempt_at`, `leased_until`, `last_error`): a restarted server,
//!   or another instance, carries on where the last one stopped;
//! - at least once: a row leaves PENDING only after the mail server accepted
//!   it (SENT), it was logged (LOGGED), or its last attempt failed (DEAD);
//! - one sender at a time: a worker leases a row before sending it
//!   ([`outbox::claim`]); PostgreSQL skips rows another transaction is
//!   claiming (`FOR UPDATE SKIP LOCKED`), SQLite has a single writer. Only
//!   the lease holder records the outcome, and an expired lease (a sender
//!   that died) makes the row claimable again;
//! - each attempt counts when it is claimed, so an email that crashes its
//!   sender cannot be retried forever;
//! - on shutdown the worker finishes the send in progress, then returns.

pub mod graphql;
pub mod outbox;
pub mod seal;
pub mod sender;

use std::future::Future;
use std::time::Duration;

use entity::email_outbox;
use tokio::task::JoinHandle;

use crate::state::AppState;
use sender::{Outcome, Sender};

/// The outbox worker.
pub struct Worker;

impl Worker {
    /// Starts delivering the outbox of `state`'s database until `shutdown`
    /// completes; the send in progress at that moment is finished first.
    pub fn spawn(
        state: AppState,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        tokio::spawn(run(state, shutdown))
    }
}

async fn run(state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) {
    let sender = match Sender::from_config(&state.config.mail) {
        Ok(sender) => sender,
        Err(e) => {
            tracing::error!(error = %e, "the outbox worker cannot start");
            return;
        }
    };
    tracing::info!(to = sender.describe(), "outbox worker started");
    let mut shutdown = std::pin::pin!(shutdown);
    let poll = state.config.mail.poll_interval;
    loop {
        // Everything due is sent before the next pause; the shutdown is
        // looked at between two sends, never during one.
        let pause = match deliver_next(&state, &sender).await {
            Ok(true) => Duration::ZERO,
            Ok(false) => poll,
            Err(e) => {
                tracing::warn!(error = %e, "outbox worker: the database failed; trying again");
                poll
            }
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("outbox worker stopped");
}

/// Claims one due email and delivers it; `false` when none was due.
pub async fn deliver_next(state: &AppState, sender: &Sender) -> Result<bool, sea_orm::DbErr> {
    let mail = &state.config.mail;
    let now = state.clock.now();
    let Some(row) = outbox::claim(&state.db, now, mail.lease).await? else {
        return Ok(false);
    };
    let outcome = match &row.body_sealed {
        None => sender.deliver(&row, &row.body_text).await,
        Some(sealed) => match state.body_key.open(sealed) {
            Ok(body) => sender.deliver(&row, &body).await,
            Err(e) => Outcome::Failed {
                error: e.to_string(),
                permanent: true,
            },
        },
    };
    let now = state.clock.now();
    match outcome {
        Outcome::Delivered(status) => {
            tracing::info!(email_id = row.id, status = ?status, "email delivered");
            outbox::delivered(&state.db, &row, status, now).await?;
        }
        Outcome::Failed { error, permanent } => {
            let dead = permanent || row.attempts >= saturating_i32(mail.max_attempts);
            tracing::warn!(
                email_id = row.id,
                attempt = row.attempts,
                dead,
                error = %error,
                "email not delivered"
            );
            let retry_at = now + backoff(mail.retry_base, row.attempts);
            outbox::failed(&state.db, &row, &error, (!dead).then_some(retry_at)).await?;
        }
    }
    Ok(true)
}

fn saturating_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// Wait after the `attempts`-th failed attempt: `base`, doubled for each
/// attempt after the first, at most six hours.
pub fn backoff(base: Duration, attempts: i32) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let wait = base.saturating_mul(1 << doublings).min(MAX_BACKOFF);
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6))
}

/// `text` with every web link replaced: what the log may show of a body.
pub fn without_links(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                format!("[link removed]{}", &word[trimmed.len()..])
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// What the log shows of an email written to it.
fn log_line(row: &email_outbox::Model) {
    tracing::info!(
        email_id = row.id,
        kind = ?row.kind,
        to = %row.to_address,
        subject = %row.subject,
        body = %without_links(&row.body_text),
        attachment = row.attachment_name.as_deref().unwrap_or(""),
        "email written to the log (no SMTP_URL set)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_six_hours() {
        let base = Duration::from_secs(30);
        let secs: Vec<i64> = (1..=12).map(|n| backoff(base, n).num_seconds()).collect();
        assert_eq!(
            secs,
            [
                30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600
            ]
        );
        assert_eq!(backoff(base, i32::MAX).num_seconds(), 21600);
        assert_eq!(backoff(base, 0).num_seconds(), 30);
    }

    #[test]
    fn links_are_removed_and_the_rest_kept() {
        let body = "Hello,\n\nopen https://desk.example/reset-password?token=abc123 now:\nhttp://x.example\n\nBye\n";
        let shown = without_links(body);
        assert!(!shown.contains("abc123"), "{shown}");
        assert!(!shown.contains("x.example"), "{shown}");
        assert_eq!(
            shown,
            "Hello,\n\nopen [link removed] now:\n[link removed]\n\nBye\n"
        );
    }
}
