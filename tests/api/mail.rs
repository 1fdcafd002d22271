//! The outbox worker: emails written to the log when no mail server is
//! configured, and (tests/smtp_sink.py, Python's aiosmtpd) delivered to a
//! real SMTP server, which refuses and recovers, with two workers that never
//! send one email twice, and an attachment that arrives byte for byte.
//! Reset links are never in clear in the outbox, before or after delivery.

use std::time::Duration;

use entity::email_outbox;
use entity::enums::{EmailKind, EmailStatus, Locale};
use partnerdesk::config::{Config, SmtpUrl};
use partnerdesk::notifications::{self, EmailAttachment, OutgoingEmail};
use partnerdesk::state::AppState;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
use serde_json::json;

use crate::helpers::{TestApp, World, sent_text, spawn_app_configured, world_on};

const REQUEST_RESET: &str = "mutation($e: String!) { requestPasswordReset(email: $e) { message } }";

/// Runs the worker of the test app, looking at the outbox every 20 ms.
pub fn with_worker(config: &mut Config) {
    config.mail.worker = true;
    config.mail.poll_interval = Duration::from_millis(20);
}

/// The outbox, oldest first.
pub async fn outbox(app: &TestApp) -> Vec<email_outbox::Model> {
    email_outbox::Entity::find()
        .order_by_asc(email_outbox::Column::Id)
        .all(&app.state.db)
        .await
        .expect("read the outbox")
}

/// Waits (10 s at most) until the email `id` has left PENDING, or has been
/// attempted `attempts` times, and returns it.
pub async fn settled(app: &TestApp, id: i64, attempts: i32) -> email_outbox::Model {
    for _ in 0..500 {
        let row = email_outbox::Entity::find_by_id(id)
            .one(&app.state.db)
            .await
            .expect("read the outbox")
            .expect("the email exists");
        if row.status != EmailStatus::Pending
            || (row.attempts >= attempts && row.leased_until.is_none())
        {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("email {id} was not delivered in 10 s");
}

async fn reset_requested(world: &World) -> email_outbox::Model {
    let body = world
        .app
        .graphql(REQUEST_RESET, json!({ "e": world.member.email }), None)
        .await;
    assert!(body["errors"].is_null(), "{body}");
    email_outbox::Entity::find()
        .filter(email_outbox::Column::Kind.eq(EmailKind::PasswordReset))
        .order_by_desc(email_outbox::Column::Id)
        .one(&world.app.state.db)
        .await
        .expect("read the outbox")
        .expect("a reset email was queued")
}

#[tokio::test]
async fn without_a_mail_server_emails_are_logged_and_marked_logged() {
    let world = world_on(spawn_app_configured(with_worker).await).await;
    let queued = reset_requested(&world).await;
    let row = settled(&world.app, queued.id, 1).await;
    assert_eq!(row.status, EmailStatus::Logged, "{row:?}");
    assert_eq!(row.attempts, 1);
    assert_eq!(row.sent_at, Some(world.app.now()));
    assert!(row.leased_until.is_none());
    assert!(row.last_error.is_none());
}

/// The token of a reset email, from its sealed body.
fn token_of(app: &TestApp, row: &email_outbox::Model) -> String {
    let text = sent_text(app, row);
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .split_whitespace()
        .next()
        .expect("a token")
        .to_owned()
}

#[tokio::test]
async fn a_reset_token_is_never_in_clear_in_the_outbox() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    let queued = reset_requested(&world).await;
    let token = token_of(&world.app, &queued);
    assert!(token.len() >= 40, "{token}");
    let stored = format!("{queued:?}");
    assert!(
        !stored.contains(&token),
        "the stored row shows the token: {stored}"
    );
    assert!(!queued.body_text.contains("token="), "{}", queued.body_text);
    assert!(
        queued
            .body_text
            .contains(notifications::templates::LINK_LEFT_OUT),
        "{}",
        queued.body_text
    );
    assert!(queued.body_sealed.is_some());

    let _worker = start_worker(&world.app);
    let delivered = settled(&world.app, queued.id, 1).await;
    assert_eq!(delivered.status, EmailStatus::Logged);
    assert_eq!(
        delivered.body_sealed, None,
        "the sealed body goes once delivered"
    );
    let stored = format!("{delivered:?}");
    assert!(!stored.contains(&token), "{stored}");
    assert!(!stored.contains("token="), "{stored}");
}

#[tokio::test]
async fn without_the_worker_emails_stay_pending() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    let queued = reset_requested(&world).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rows = outbox(&world.app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, queued.id);
    assert_eq!(rows[0].status, EmailStatus::Pending);
    assert_eq!(rows[0].attempts, 0);
}

/// Python's aiosmtpd running tests/smtp_sink.py on a free loopback port:
/// a real SMTP server that keeps what it accepts and refuses on demand.
pub struct SmtpSink {
    child: std::process::Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// A Python interpreter that has aiosmtpd: `PARTNERDESK_PYTHON`, else
/// `python3` on the PATH, else the system's.
fn python_with_aiosmtpd() -> Option<String> {
    let candidates = std::env::var("PARTNERDESK_PYTHON")
        .into_iter()
        .chain(["python3".to_owned(), "/usr/bin/python3".to_owned()]);
    for python in candidates {
        let found = std::process::Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if found {
            return Some(python);
        }
    }
    None
}

impl SmtpSink {
    /// Starts the server; `None` (with a notice) when aiosmtpd is missing,
    /// unless `PARTNERDESK_SMTP_TESTS=1` makes the tests mandatory.
    pub async fn start() -> Option<Self> {
        let Some(python) = python_with_aiosmtpd() else {
            assert!(
                std::env::var("PARTNERDESK_SMTP_TESTS").as_deref() != Ok("1"),
                "PARTNERDESK_SMTP_TESTS=1 and no python3 with aiosmtpd (apt-get install python3-aiosmtpd)"
            );
            eprintln!(
                "skipped: no python3 with aiosmtpd for the SMTP tests (apt-get install python3-aiosmtpd; PARTNERDESK_SMTP_TESTS=1 makes them mandatory)"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let messages = dir.path().join("messages");
        std::fs::create_dir(&messages).expect("messages dir");
        let port_file = dir.path().join("port");
        let child = std::process::Command::new(python)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py"))
            .arg(&port_file)
            .arg(&messages)
            .arg(dir.path().join("refuse"))
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut sink = Self {
            child,
            dir,
            port: 0,
        };
        for _ in 0..300 {
            if let Ok(port) = std::fs::read_to_string(&port_file) {
                sink.port = port.trim().parse().expect("a port");
                return Some(sink);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP server did not start in 15 s");
    }

    /// Delivers the test app's outbox to this server, with its worker.
    pub fn configure(&self, config: &mut Config) {
        with_worker(config);
        config.mail.smtp = Some(
            SmtpUrl::parse(&format!("smtp://127.0.0.1:{}?tls=none", self.port))
                .expect("a valid SMTP_URL"),
        );
        config.mail.from = "Service Desk <desk@provider.example>"
            .parse()
            .expect("a mailbox");
    }

    /// From now on, answer every message with 451 (or accept again).
    pub fn refuse(&self, refuse: bool) {
        let flag = self.dir.path().join("refuse");
        if refuse {
            std::fs::write(flag, b"").expect("refuse");
        } else {
            std::fs::remove_file(flag).expect("accept again");
        }
    }

    /// From now on, answer every message with `answer` (an SMTP reply).
    pub fn answer(&self, answer: &str) {
        std::fs::write(self.dir.path().join("refuse"), answer).expect("refuse");
    }

    /// The messages accepted so far, as received, in order.
    pub fn messages(&self) -> Vec<String> {
        let mut numbered: Vec<(u32, String)> = std::fs::read_dir(self.dir.path().join("messages"))
            .expect("read the messages")
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                let n = name.strip_suffix(".eml")?.parse().ok()?;
                Some((n, name))
            })
            .collect();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(_, name)| {
                let bytes = std::fs::read(self.dir.path().join("messages").join(name))
                    .expect("read a message");
                String::from_utf8_lossy(&bytes).into_owned()
            })
            .collect()
    }

    /// A file the server wrote: `<n>.txt` (the text, decoded) or
    /// `<n>.<attachment name>` (an attachment, decoded).
    pub fn file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join("messages").join(name)).expect("a received file")
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_reset_email_reaches_the_mail_server() {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let world = world_on(spawn_app_configured(|c| sink.configure(c)).await).await;
    let queued = reset_requested(&world).await;
    let row = settled(&world.app, queued.id, 1).await;
    assert_eq!(row.status, EmailStatus::Sent, "{row:?}");
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.is_none());
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains(&format!("To: {}", world.member.email)),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("From: \"Service Desk\" <desk@provider.example>")
            || messages[0].contains("From: Service Desk <desk@provider.example>"),
        "{}",
        messages[0]
    );
    let text = String::from_utf8(sink.file("1.txt")).expect("utf-8 text");
    let token = token_of(&world.app, &queued);
    assert!(
        text.contains(&format!(
            "https://desk.example/reset-password?token={token}"
        )),
        "the delivered email carries the link: {text}"
    );
    assert_eq!(row.body_sealed, None);
    assert!(!format!("{row:?}").contains(&token));
}

#[tokio::test]
async fn a_refused_email_is_retried_after_the_backoff_then_delivered() {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let world = world_on(spawn_app_configured(|c| sink.configure(c)).await).await;
    let app = &world.app;
    sink.refuse(true);
    let queued = reset_requested(&world).await;
    let row = settled(app, queued.id, 1).await;
    assert_eq!(row.status, EmailStatus::Pending, "{row:?}");
    assert_eq!(row.attempts, 1);
    let error = row.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("451"),
        "the server's answer is kept: {error}"
    );
    assert_eq!(
        row.next_attempt_at,
        app.now() + chrono::Duration::seconds(30)
    );
    // Not before the backoff: the clock has not moved.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = settled(app, queued.id, 1).await;
    assert_eq!(
        (waiting.status, waiting.attempts),
        (EmailStatus::Pending, 1)
    );
    assert!(sink.messages().is_empty());

    sink.refuse(false);
    app.clock.advance(chrono::Duration::seconds(30));
    let row = settled(app, queued.id, 2).await;
    assert_eq!(row.status, EmailStatus::Sent, "{row:?}");
    assert_eq!(row.attempts, 2);
    assert!(row.last_error.is_none());
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn an_email_refused_at_every_attempt_is_dead_after_the_last() {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let world = world_on(
        spawn_app_configured(|c| {
            sink.configure(c);
            c.mail.max_attempts = 3;
        })
        .await,
    )
    .await;
    let app = &world.app;
    sink.refuse(true);
    let queued = reset_requested(&world).await;
    for (attempt, wait) in [(1, 30), (2, 60)] {
        let row = settled(app, queued.id, attempt).await;
        assert_eq!((row.status, row.attempts), (EmailStatus::Pending, attempt));
        assert_eq!(
            row.next_attempt_at,
            app.now() + chrono::Duration::seconds(wait)
        );
        app.clock.advance(chrono::Duration::seconds(wait));
    }
    let row = settled(app, queued.id, 3).await;
    assert_eq!(
        (row.status, row.attempts),
        (EmailStatus::Dead, 3),
        "{row:?}"
    );
    sink.refuse(false);
    app.clock.advance(chrono::Duration::hours(24));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let row = settled(app, queued.id, 3).await;
    assert_eq!((row.status, row.attempts), (EmailStatus::Dead, 3));
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn an_email_the_server_rejects_for_good_is_dead_at_once() {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let world = world_on(spawn_app_configured(|c| sink.configure(c)).await).await;
    let app = &world.app;
    sink.answer("550 5.1.1 No such mailbox");
    let queued = reset_requested(&world).await;
    let row = settled(app, queued.id, 1).await;
    assert_eq!(
        (row.status, row.attempts),
        (EmailStatus::Dead, 1),
        "{row:?}"
    );
    let error = row.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("550"),
        "the server's answer is kept: {error}"
    );
    assert!(sink.messages().is_empty());
    // ADMIN finds it among the dead emails.
    let admin = world.token(&world.admin).await;
    let body = app
        .graphql(EMAILS, json!({ "status": "DEAD" }), Some(&admin))
        .await;
    assert_eq!(body["data"]["emails"]["totalCount"], 1, "{body}");
    assert_eq!(body["data"]["emails"]["nodes"][0]["kind"], "PASSWORD_RESET");
}

#[tokio::test]
async fn two_workers_never_send_one_email_twice() {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let world = world_on(
        spawn_app_configured(|c| {
            sink.configure(c);
            c.mail.worker = false;
        })
        .await,
    )
    .await;
    let app = &world.app;
    const EMAILS: usize = 40;
    for n in 0..EMAILS {
        notifications::enqueue(
            &app.state.db,
            OutgoingEmail {
                organisation_id: world.alpha.id,
                user_id: Some(world.member.user.id),
                kind: EmailKind::StatusChanged,
                to: world.member.email.clone(),
                locale: Locale::En,
                subject: format!("Email {n}"),
                body: format!("Body {n}\n"),
            },
            app.now(),
        )
        .await
        .expect("queue");
    }
    // Two workers, each with a pool of its own, like two instances.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let mut workers = Vec::new();
    for _ in 0..2 {
        let (db, _) = partnerdesk::db::connect(&app.state.config)
            .await
            .expect("a second pool");
        let state = AppState {
            db,
            ..app.state.clone()
        };
        let mut stopped = stopped.clone();
        workers.push(partnerdesk::mail::Worker::spawn(state, async move {
            let _ = stopped.changed().await;
        }));
    }
    for _ in 0..1500 {
        let rows = outbox(app).await;
        if rows.iter().all(|r| r.status != EmailStatus::Pending) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(stop);
    for worker in workers {
        worker.await.expect("the worker stops");
    }
    let rows = outbox(app).await;
    let twice: Vec<(i64, EmailStatus, i32)> = rows
        .iter()
        .filter(|r| r.status != EmailStatus::Sent || r.attempts != 1)
        .map(|r| (r.id, r.status, r.attempts))
        .collect();
    assert!(twice.is_empty(), "claimed more than once: {twice:?}");
    let messages = sink.messages();
    assert_eq!(messages.len(), EMAILS, "each email sent exactly once");
    let subjects: std::collections::HashSet<&str> = messages
        .iter()
        .filter_map(|m| m.lines().find_map(|l| l.strip_prefix("Subject: ")))
        .collect();
    assert_eq!(subjects.len(), EMAILS, "{subjects:?}");
}

#[tokio::test]
async fn an_attachment_arrives_byte_for_byte() {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let world = world_on(spawn_app_configured(|c| sink.configure(c)).await).await;
    let app = &world.app;
    // Accents, CRLF and bare LF, a quote, a line longer than SMTP's 998
    // octets, and no final newline: all must survive.
    let csv = format!(
        "number;organisation;total\r\n2026-000042;\"Zürich, Genève\";1234.56\n{};x",
        "é".repeat(700)
    );
    notifications::enqueue_with_attachment(
        &app.state.db,
        OutgoingEmail {
            organisation_id: world.alpha.id,
            user_id: None,
            kind: EmailKind::InvoiceIssued,
            to: "billing@alpha.example".to_owned(),
            locale: Locale::De,
            subject: "Rechnung 2026-000042".to_owned(),
            body: "Guten Tag\n".to_owned(),
        },
        Some(EmailAttachment {
            name: "2026-000042.csv".to_owned(),
            content_type: "text/csv; charset=utf-8".to_owned(),
            body: csv.clone(),
        }),
        app.now(),
    )
    .await
    .expect("queue");
    let id = outbox(app).await[0].id;
    let row = settled(app, id, 1).await;
    assert_eq!(row.status, EmailStatus::Sent, "{row:?}");
    assert_eq!(sink.file("1.2026-000042.csv"), csv.into_bytes());
}

const EMAILS: &str = "query($status: EmailStatus, $first: Int) {
  emails(status: $status, first: $first) {
    totalCount
    nodes { id kind to subject status attempts lastError nextAttemptAt createdAt sentAt attachmentName }
  }
}";

/// Queues a status email to `to`.
async fn queue_email(world: &World, subject: &str) -> email_outbox::Model {
    notifications::enqueue(
        &world.app.state.db,
        OutgoingEmail {
            organisation_id: world.alpha.id,
            user_id: Some(world.member.user.id),
            kind: EmailKind::StatusChanged,
            to: world.member.email.clone(),
            locale: Locale::En,
            subject: subject.to_owned(),
            body: "Body\n".to_owned(),
        },
        world.app.now(),
    )
    .await
    .expect("queue");
    email_outbox::Entity::find()
        .order_by_desc(email_outbox::Column::Id)
        .one(&world.app.state.db)
        .await
        .expect("read the outbox")
        .expect("queued")
}

#[tokio::test]
async fn an_admin_reads_the_dead_emails_and_their_last_error() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    let app = &world.app;
    let kept = queue_email(&world, "Still pending").await;
    let doomed = queue_email(&world, "Given up").await;
    // The worker's own path: claimed twice, failed at the last attempt.
    let lease = Duration::from_secs(300);
    let claimed = partnerdesk::mail::outbox::claim(&app.state.db, app.now(), lease)
        .await
        .expect("claim")
        .expect("a due email");
    assert_eq!(claimed.id, kept.id, "the oldest due email first");
    partnerdesk::mail::outbox::failed(
        &app.state.db,
        &claimed,
        "451 try later",
        Some(app.now() + chrono::Duration::hours(1)),
    )
    .await
    .expect("record");
    let claimed = partnerdesk::mail::outbox::claim(&app.state.db, app.now(), lease)
        .await
        .expect("claim")
        .expect("a due email");
    assert_eq!(claimed.id, doomed.id);
    partnerdesk::mail::outbox::failed(&app.state.db, &claimed, "550 no such user", None)
        .await
        .expect("record");

    let admin = world.token(&world.admin).await;
    let body = app
        .graphql(EMAILS, json!({ "status": "DEAD" }), Some(&admin))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["emails"]["totalCount"], 1, "{body}");
    let dead = &body["data"]["emails"]["nodes"][0];
    assert_eq!(dead["subject"], "Given up");
    assert_eq!(dead["status"], "DEAD");
    assert_eq!(dead["kind"], "STATUS_CHANGED");
    assert_eq!(dead["to"], world.member.email.as_str());
    assert_eq!(dead["attempts"], 1);
    assert_eq!(dead["lastError"], "550 no such user");
    assert!(dead["sentAt"].is_null());

    let body = app.graphql(EMAILS, json!({}), Some(&admin)).await;
    assert_eq!(body["data"]["emails"]["totalCount"], 2, "{body}");
    let subjects: Vec<&str> = body["data"]["emails"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["subject"].as_str())
        .collect();
    assert_eq!(subjects.len(), 2);
    assert!(subjects.contains(&"Still pending"), "{subjects:?}");
    let pending = app
        .graphql(EMAILS, json!({ "status": "PENDING" }), Some(&admin))
        .await;
    assert_eq!(
        pending["data"]["emails"]["nodes"][0]["lastError"], "451 try later",
        "{pending}"
    );
}

#[tokio::test]
async fn only_an_admin_may_read_the_outbox() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    queue_email(&world, "Private").await;
    for user in [
        &world.staff,
        &world.manager,
        &world.member,
        &world.beta_member,
    ] {
        let token = world.token(user).await;
        let body = world.app.graphql(EMAILS, json!({}), Some(&token)).await;
        assert_eq!(
            crate::helpers::error_code(&body),
            Some("FORBIDDEN"),
            "{}: {body}",
            user.email
        );
        assert!(body["data"].is_null(), "{body}");
        assert!(!body.to_string().contains("Private"), "{body}");
    }
    let body = world.app.graphql(EMAILS, json!({}), None).await;
    assert_eq!(
        crate::helpers::error_code(&body),
        Some("UNAUTHENTICATED"),
        "{body}"
    );
}

#[tokio::test]
async fn bad_outbox_arguments_are_refused_naming_the_argument() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    let admin = world.token(&world.admin).await;
    let body = world
        .app
        .graphql(EMAILS, json!({ "status": "LOST" }), Some(&admin))
        .await;
    assert!(body["data"].is_null(), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("status") || m.contains("LOST")),
        "{body}"
    );
    let body = world
        .app
        .graphql(EMAILS, json!({ "first": 101 }), Some(&admin))
        .await;
    assert_eq!(
        crate::helpers::error_code(&body),
        Some("VALIDATION"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "first", "{body}");
}

/// Runs a worker of its own over `app`'s database (as another instance,
/// or the server after a restart would), until the returned sender drops.
fn start_worker(app: &TestApp) -> tokio::sync::watch::Sender<()> {
    let (stop, mut stopped) = tokio::sync::watch::channel(());
    let mut state = app.state.clone();
    state.config = std::sync::Arc::new(Config {
        mail: partnerdesk::config::MailConfig {
            poll_interval: Duration::from_millis(20),
            ..state.config.mail.clone()
        },
        ..(*state.config).clone()
    });
    partnerdesk::mail::Worker::spawn(state, async move {
        let _ = stopped.changed().await;
    });
    stop
}

async fn row(app: &TestApp, id: i64) -> email_outbox::Model {
    email_outbox::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("read the outbox")
        .expect("the email exists")
}

#[tokio::test]
async fn an_email_whose_sender_died_is_sent_once_its_lease_expires() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    let app = &world.app;
    let queued = queue_email(&world, "Orphaned").await;
    // A sender claims it, then dies (a crash, a restart) without recording
    // anything.
    let lease = app.state.config.mail.lease;
    let claimed = partnerdesk::mail::outbox::claim(&app.state.db, app.now(), lease)
        .await
        .expect("claim")
        .expect("a due email");
    assert_eq!(claimed.id, queued.id);
    let _worker = start_worker(app);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = row(app, queued.id).await;
    assert_eq!(
        (held.status, held.attempts),
        (EmailStatus::Pending, 1),
        "nobody else takes a leased email"
    );
    app.clock
        .advance(chrono::Duration::from_std(lease).expect("lease"));
    let row_now = settled(app, queued.id, 2).await;
    assert_eq!(
        (row_now.status, row_now.attempts),
        (EmailStatus::Logged, 2),
        "{row_now:?}"
    );
    // The dead sender, coming back late, cannot overwrite the outcome.
    partnerdesk::mail::outbox::failed(&app.state.db, &claimed, "late", None)
        .await
        .expect("record");
    assert_eq!(row(app, queued.id).await.status, EmailStatus::Logged);
}

#[tokio::test]
async fn emails_queued_before_a_restart_are_delivered_after_it() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    let app = &world.app;
    // Queued while no worker runs (the server is down, or not delivering).
    let first = queue_email(&world, "Before the restart, 1").await;
    let second = queue_email(&world, "Before the restart, 2").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(row(app, first.id).await.status, EmailStatus::Pending);
    // The server comes back: a new worker over the same database.
    let _worker = start_worker(app);
    for id in [first.id, second.id] {
        let delivered = settled(app, id, 1).await;
        assert_eq!(
            (delivered.status, delivered.attempts),
            (EmailStatus::Logged, 1)
        );
    }
}
