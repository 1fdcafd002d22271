//! Notices to the provider's staff: a partner ordered a laptop, commented
//! on a ticket, reported a delivery issue or sent feedback. Each notice
//! goes to the desk address of `STAFF_NOTIFY_EMAIL` (in the provider
//! organisation's `locale`) and to every active STAFF or ADMIN user who
//! opted in (`staffNotifications`), in that user's language, through the
//! outbox, on the transaction of the change: a change that rolls back
//! queues nothing.
//!
//! Invariants:
//! - only a partner's action notifies staff: what staff do themselves
//!   (an order on a partner's behalf, a reply, an INTERNAL note, their own
//!   feedback) notifies no one here; [`notify_staff`] checks it, so that
//!   the rule has one home;
//! - one email per address: a staff user whose login is the desk address
//!   gets one notice, not two;
//! - the recipients, the provider's language and the partner's name are
//!   system reads of `policy::system`: the partner who acts may not read
//!   any of them.

use chrono::{DateTime, Utc};
use entity::enums::{EmailKind, Locale};
use sea_orm::ConnectionTrait;

use super::templates::{self, StaffNews};
use super::{OutgoingEmail, enqueue};
use crate::domain::Email;
use crate::error::AppResult;
use crate::policy::{self, Viewer};

/// The language of the desk address when there is no provider
/// organisation to take it from.
const DESK_FALLBACK_LOCALE: Locale = Locale::En;

/// A partner's action that staff hear about.
#[derive(Debug, Clone, Copy)]
pub struct StaffNotice<'a> {
    /// Who acted; staff acting notify no one.
    pub author: &'a Viewer,
    /// The partner organisation concerned (the ticket's, the feedback's).
    pub organisation_id: i64,
    pub news: StaffNews<'a>,
}

/// Queues `notice` for the desk address `desk` (if any) and every staff
/// user who opted in, on `db`, which must be the change's transaction.
/// Does nothing when the author is staff.
pub async fn notify_staff(
    db: &impl ConnectionTrait,
    desk: Option<&Email>,
    notice: StaffNotice<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if notice.author.is_staff() {
        return Ok(());
    }
    let Some(audience) = policy::system::staff_notice_audience(
        db,
        notice.author.user_id,
        notice.organisation_id,
        desk.is_some(),
    )
    .await?
    else {
        return Ok(());
    };
    let mut sent: Vec<&str> = Vec::new();
    if let Some(desk) = desk {
        let locale = audience.provider_locale.unwrap_or(DESK_FALLBACK_LOCALE);
        let email = staff_email(&notice, None, desk.as_str(), locale, &audience);
        enqueue(db, email, now).await?;
        sent.push(desk.as_str());
    }
    for user in &audience.staff {
        if sent.contains(&user.email.as_str()) {
            continue;
        }
        let email = staff_email(
            &notice,
            Some(user.user_id),
            &user.email,
            user.locale,
            &audience,
        );
        enqueue(db, email, now).await?;
        sent.push(&user.email);
    }
    Ok(())
}

fn staff_email(
    notice: &StaffNotice<'_>,
    user_id: Option<i64>,
    to: &str,
    locale: Locale,
    audience: &policy::system::StaffNoticeAudience,
) -> OutgoingEmail {
    let (subject, body) = templates::staff_email(
        locale,
        &audience.organisation_name,
        &audience.author_name,
        notice.news,
    );
    OutgoingEmail {
        organisation_id: notice.organisation_id,
        user_id,
        kind: EmailKind::StaffNotification,
        to: to.to_owned(),
        locale,
        subject,
        body,
    }
}
