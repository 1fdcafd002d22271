//! Where a claimed email goes: the SMTP server of `SMTP_URL`, or the log.
//! Builds the MIME message (plain text, and the attachment as a base64 part
//! so that its bytes arrive exactly as stored).

use entity::email_outbox;
use entity::enums::EmailStatus;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::config::MailConfig;

/// A delivery channel.
pub enum Sender {
    /// The log: each email is written there and marked LOGGED.
    Log,
    /// An SMTP server.
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

/// What became of one attempt.
#[derive(Debug)]
pub enum Outcome {
    /// Accepted by the mail server (SENT) or written to the log (LOGGED).
    Delivered(EmailStatus),
    /// Not delivered; `permanent` when no retry can help (the row itself
    /// cannot be sent as written).
    Failed { error: String, permanent: bool },
}

impl Sender {
    /// The channel `mail` configures.
    pub fn from_config(mail: &MailConfig) -> Result<Self, lettre::transport::smtp::Error> {
        Ok(match &mail.smtp {
            None => Self::Log,
            Some(url) => Self::Smtp {
                transport: Box::new(
                    AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())?.build(),
                ),
                from: mail.from.clone(),
            },
        })
    }

    /// For the log: where emails go, without credentials.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Log => "the log",
            Self::Smtp { .. } => "the SMTP server of SMTP_URL",
        }
    }

    /// Delivers `row`, whose full body is `body` (its `body_text`, or its
    /// sealed body opened). The log gets `body_text`, which never holds a
    /// token.
    pub async fn deliver(&self, row: &email_outbox::Model, body: &str) -> Outcome {
        match self {
            Self::Log => {
                super::log_line(row);
                Outcome::Delivered(EmailStatus::Logged)
            }
            Self::Smtp { transport, from } => {
                let message = match message(from, row, body) {
                    Ok(message) => message,
                    Err(error) => {
                        return Outcome::Failed {
                            error,
                            permanent: true,
                        };
                    }
                };
                match transport.send(message).await {
                    Ok(_) => Outcome::Delivered(EmailStatus::Sent),
                    // A 5xx answer (no such mailbox, refused sender) will
                    // not change by retrying; anything else (4xx, the
                    // connection) may.
                    Err(e) => Outcome::Failed {
                        error: e.to_string(),
                        permanent: e.is_permanent(),
                    },
                }
            }
        }
    }
}

/// The MIME message of `row` with `body` as its text.
pub fn message(from: &Mailbox, row: &email_outbox::Model, body: &str) -> Result<Message, String> {
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e| format!("the recipient address cannot be used: {e}"))?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone());
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned());
    let built = match (&row.attachment_name, &row.attachment_body) {
        (Some(name), Some(content)) => {
            let content_type = row
                .attachment_content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            let content_type = ContentType::parse(content_type)
                .map_err(|e| format!("the attachment's content type cannot be used: {e}"))?;
            let bytes = Body::new_with_encoding(
                content.as_bytes().to_vec(),
                ContentTransferEncoding::Base64,
            )
            .map_err(|_| "the attachment cannot be encoded".to_owned())?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(text)
                    .singlepart(Attachment::new(name.clone()).body(bytes, content_type)),
            )
        }
        _ => builder.singlepart(text),
    };
    built.map_err(|e| format!("the message cannot be built: {e}"))
}
