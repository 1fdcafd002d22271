//! The outbox as ADMIN sees it: `emails(status:)`, to watch deliveries and
//! find the DEAD ones. Neither body nor attachment is shown (a body may
//! still hold a token before delivery); the rule that only ADMIN reads it
//! lives in `policy` ([`crate::policy::Scope::emails`]).

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::email_outbox;
use sea_orm::ColumnTrait as _;

use crate::context::ContextExt as _;
use crate::error::AppResult;
use crate::relay::{self, Page, PageArgs, SortKey, SortValue};

pub const TYPE_NAME: &str = "Email";

/// Delivery state of an email.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::EmailStatus")]
pub enum EmailStatus {
    /// Waiting for its first attempt, or for the next one after a failure.
    Pending,
    /// Accepted by the mail server of `SMTP_URL`.
    Sent,
    /// Written to the server's log: no mail server is configured.
    Logged,
    /// Given up: every attempt failed, or it cannot be sent as written.
    Dead,
}

/// Why an email was written.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::EmailKind")]
pub enum EmailKind {
    /// A password-reset link.
    PasswordReset,
    /// An invitation to a new account, with a link to set its password.
    Invite,
    /// A ticket's status changed.
    StatusChanged,
    /// Staff replied on a ticket.
    StaffReply,
    /// An invoice was issued (its CSV attached).
    InvoiceIssued,
    /// A notice to the provider's staff: an order, a partner's comment, a
    /// delivery issue, feedback.
    StaffNotification,
}

/// An email of the outbox, with its delivery state.
#[derive(Debug, Clone)]
pub struct Email(pub email_outbox::Model);

/// An email the server wrote: to whom, about what, and how its delivery
/// went. Its text is not shown.
#[Object]
impl Email {
    /// Global object id.
    async fn id(&self) -> ID {
        relay::to_global_id(TYPE_NAME, self.0.id)
    }

    /// Why it was written.
    async fn kind(&self) -> EmailKind {
        self.0.kind.into()
    }

    /// The recipient's address.
    async fn to(&self) -> &str {
        &self.0.to_address
    }

    /// The subject line.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// Where its delivery stands.
    async fn status(&self) -> EmailStatus {
        self.0.status.into()
    }

    /// Delivery attempts so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// What the mail server answered at the last failed attempt; null
    /// after a delivery.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// The earliest time of the next attempt (meaningful while PENDING).
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }

    /// When it was queued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the mail server accepted it, or it was logged.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    /// The file name of its attachment (an invoice's CSV), if any.
    async fn attachment_name(&self) -> Option<&str> {
        self.0.attachment_name.as_deref()
    }
}

#[derive(Default)]
pub struct MailQuery;

#[Object]
impl MailQuery {
    /// The email outbox, newest first, optionally in one delivery state
    /// (`DEAD`: the emails given up). ADMIN only: FORBIDDEN for everyone
    /// else.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    async fn emails(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the emails in this delivery state.")] status: Option<EmailStatus>,
        #[graphql(
            desc = "How many items to return from the start of the list, or after `after`: 0 to 100. A page holds 20 items when neither `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "Start after this cursor (an edge's `cursor`, or `pageInfo.endCursor` to get the next page)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end of the list, or before `before`: 0 to 100. Not together with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "End before this cursor (an edge's `cursor`, or `pageInfo.startCursor` to get the previous page)."
        )]
        before: Option<String>,
    ) -> AppResult<Page<Email>> {
        let emails = ctx.scope()?.emails()?;
        let args = PageArgs::parse(first, after, last, before)?;
        let emails = match status {
            Some(status) => emails
                .filter(email_outbox::Column::Status.eq(entity::enums::EmailStatus::from(status))),
            None => emails,
        };
        relay::paginate(
            &ctx.state()?.db,
            emails,
            SortKey {
                column: email_outbox::Column::CreatedAt,
                id: email_outbox::Column::Id,
                descending: true,
                value_of: |row: &email_outbox::Model| SortValue::Time(row.created_at),
            },
            args,
            Email,
        )
        .await
    }
}
