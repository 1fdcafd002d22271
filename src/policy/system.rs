//! Reads that bypass [`super::Scope`], each named for its one purpose:
//! those that happen before a viewer exists (authenticating a token,
//! logging in, resetting a password), uniqueness checks that must see every
//! tenant, and the recipients of emails. Each returns only what its
//! caller's step needs; none is reachable from a GraphQL read. The
//! audience of a notice to staff is one: the partner whose action it
//! reports may read neither the staff nor the provider. The mail
//! worker's claim of a due email is one too: it acts for no viewer. The
//! `login_attempts` table (throttling) is no tenant data and is read by
//! `auth::throttle` itself.

use entity::enums::{Locale, Role, TicketVisibility};
use entity::{organisations, user_profiles, users};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::Viewer;

/// What the per-request token check reads of the user named by a token's
/// `sub`: enough to refuse a revoked token and to build the [`Viewer`],
/// and the user's language for the request's messages. Never the password
/// hash, the email or the name: whatever else a request needs of its user
/// it loads like any other user (through the scope and its loaders).
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct TokenHolder {
    pub user_id: i64,
    pub organisation_id: i64,
    pub role: Role,
    pub locale: Locale,
    pub is_active: bool,
    pub token_version: i32,
    /// The organisation's `ticket_visibility` now.
    pub ticket_visibility: TicketVisibility,
}

impl TokenHolder {
    /// The viewer a request with a valid token acts for.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.user_id,
            organisation_id: self.organisation_id,
            role: self.role,
            ticket_visibility: self.ticket_visibility,
        }
    }
}

/// The holder of a token's `sub`, for the per-request viewer check: one
/// statement, by primary key, joined to its organisation, with only the
/// columns of [`TokenHolder`]. `None` if the user no longer exists. Read
/// on every request, never cached, so that a revocation written through
/// any instance applies to the very next request on every instance.
pub async fn user_for_token(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<TokenHolder>, DbErr> {
    users::Entity::find_by_id(user_id)
        .select_only()
        .column_as(users::Column::Id, "user_id")
        .columns([
            users::Column::OrganisationId,
            users::Column::Role,
            users::Column::Locale,
            users::Column::IsActive,
            users::Column::TokenVersion,
        ])
        .column(organisations::Column::TicketVisibility)
        .inner_join(organisations::Entity)
        .into_model::<TokenHolder>()
        .one(db)
        .await
}

/// The account with this (already lower-cased) login email, for login,
/// password reset, and the uniqueness check of a new login.
pub async fn user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await
}

/// For a password-reset request: the account with this (already
/// lower-cased) login email, if any, and a stand-in account (the oldest)
/// in one statement. The request then does the same work for the stand-in
/// as for a real account and rolls it back, so that its cost does not tell
/// whether the address has an account. `None` when there are no users.
/// Without the password hash: the request never needs it.
pub async fn user_by_email_with_stand_in(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<(Option<user_profiles::Model>, user_profiles::Model)>, DbErr> {
    let oldest = Query::select()
        .expr(Func::min(Expr::col(users::Column::Id)))
        .from(users::Entity)
        .to_owned();
    let rows = user_profiles::Entity::find()
        .filter(
            Condition::any()
                .add(user_profiles::Column::Email.eq(email))
                .add(user_profiles::Column::Id.in_subquery(oldest)),
        )
        .order_by_asc(user_profiles::Column::Id)
        .limit(2)
        .all(db)
        .await?;
    let account = rows.iter().find(|u| u.email == email).cloned();
    Ok(rows.into_iter().next().map(|stand_in| (account, stand_in)))
}

/// An organisation by exact name: the `create-user` command, and the
/// uniqueness check of organisation names.
pub async fn organisation_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<organisations::Model>, DbErr> {
    organisations::Entity::find()
        .filter(organisations::Column::Name.eq(name))
        .one(db)
        .await
}

/// A user by id, whoever asks, without the password hash: the recipient
/// of an email about a ticket, the holder of a reset token. Never returned
/// to a client as such.
pub async fn user_by_id(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<user_profiles::Model>, DbErr> {
    user_profiles::Entity::find_by_id(user_id).one(db).await
}

/// A user by id with its password hash: only for checking the current
/// password before changing it.
pub async fn account_by_id(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(user_id).one(db).await
}

/// How many attachments, of any organisation, use the stored blob `key`:
/// whether *anyone* still needs the bytes decides if a failed upload may
/// delete them. Only a count leaves this function, never a row.
pub async fn blob_reference_count(db: &impl ConnectionTrait, key: &str) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait as _;
    entity::attachments::Entity::find()
        .filter(entity::attachments::Column::StorageKey.eq(key))
        .count(db)
        .await
}

/// A password-reset or invitation token by the SHA-256 of its secret.
pub async fn reset_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<entity::password_reset_tokens::Model>, DbErr> {
    entity::password_reset_tokens::Entity::find()
        .filter(entity::password_reset_tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Whether any organisation exists (the demo seed fills only an empty
/// database).
pub async fn has_organisations(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait as _;
    Ok(organisations::Entity::find().count(db).await? > 0)
}

/// How many password-reset links were sent to a user since `since`.
pub async fn reset_links_sent_since(
    db: &impl ConnectionTrait,
    user_id: i64,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<u64, DbErr> {
    use entity::password_reset_tokens as tokens;
    use sea_orm::PaginatorTrait as _;
    tokens::Entity::find()
        .filter(tokens::Column::UserId.eq(user_id))
        .filter(tokens::Column::Purpose.eq(entity::enums::ResetPurpose::Reset))
        .filter(tokens::Column::CreatedAt.gt(since))
        .count(db)
        .await
}

/// What waits in the email outbox, all organisations together: for the
/// operators' metrics, which show counts and an age, never a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Emails waiting to be sent (or retried).
    pub pending: u64,
    /// When the oldest of them was queued.
    pub oldest: Option<chrono::DateTime<chrono::Utc>>,
}

/// The outbox backlog, in one statement.
pub async fn outbox_backlog(db: &impl ConnectionTrait) -> Result<OutboxBacklog, DbErr> {
    use entity::email_outbox as outbox;
    use entity::enums::EmailStatus;
    let row: Option<(i64, Option<chrono::DateTime<chrono::Utc>>)> = outbox::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::count(Expr::col(outbox::Column::Id))),
            "pending",
        )
        .column_as(
            Expr::from(Func::min(Expr::col(outbox::Column::CreatedAt))),
            "oldest",
        )
        .filter(outbox::Column::Status.eq(EmailStatus::Pending))
        .into_tuple()
        .one(db)
        .await?;
    let (pending, oldest) = row.unwrap_or((0, None));
    Ok(OutboxBacklog {
        pending: u64::try_from(pending).unwrap_or(0),
        oldest,
    })
}

/// A staff user who asked to hear of partners' actions
/// (`staffNotifications`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecipient {
    pub user_id: i64,
    pub email: String,
    pub locale: Locale,
}

/// Who hears of a partner's action, and the names a notice shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffNoticeAudience {
    /// The active STAFF and ADMIN users who opted in, by id.
    pub staff: Vec<StaffRecipient>,
    /// The display name of the partner who acted.
    pub author_name: String,
    /// The name of the partner organisation concerned.
    pub organisation_name: String,
    /// The provider organisation's language (the oldest provider's, should
    /// there be several); `None` without a provider organisation.
    pub provider_locale: Option<Locale>,
}

/// For a notice to staff of what partner `author_id` did for
/// `organisation_id`: the staff who opted in and the names the notice
/// shows, in two statements; `None` (after one) when there is no desk
/// address and nobody opted in, so that a partner's action costs one
/// statement more where nobody listens.
pub async fn staff_notice_audience(
    db: &impl ConnectionTrait,
    author_id: i64,
    organisation_id: i64,
    desk: bool,
) -> Result<Option<StaffNoticeAudience>, DbErr> {
    use entity::enums::OrganisationKind;
    let people = user_profiles::Entity::find()
        .filter(
            Condition::any()
                .add(user_profiles::Column::Id.eq(author_id))
                .add(
                    Condition::all()
                        .add(user_profiles::Column::StaffNotifications.eq(true))
                        .add(user_profiles::Column::IsActive.eq(true))
                        .add(user_profiles::Column::Role.is_in([Role::Staff, Role::Admin])),
                ),
        )
        .order_by_asc(user_profiles::Column::Id)
        .all(db)
        .await?;
    let author_name = people
        .iter()
        .find(|u| u.id == author_id)
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let staff: Vec<StaffRecipient> = people
        .into_iter()
        .filter(|u| {
            u.staff_notifications && u.is_active && matches!(u.role, Role::Staff | Role::Admin)
        })
        .map(|u| StaffRecipient {
            user_id: u.id,
            email: u.email,
            locale: u.locale,
        })
        .collect();
    if !desk && staff.is_empty() {
        return Ok(None);
    }
    let organisations = organisations::Entity::find()
        .filter(
            Condition::any()
                .add(organisations::Column::Id.eq(organisation_id))
                .add(organisations::Column::Kind.eq(OrganisationKind::Provider)),
        )
        .order_by_asc(organisations::Column::Id)
        .all(db)
        .await?;
    let organisation_name = organisations
        .iter()
        .find(|o| o.id == organisation_id)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let provider_locale = organisations
        .iter()
        .find(|o| o.kind == OrganisationKind::Provider)
        .map(|o| o.locale);
    Ok(Some(StaffNoticeAudience {
        staff,
        author_name,
        organisation_name,
        provider_locale,
    }))
}

/// For the mail worker: leases the oldest due PENDING email until `until`
/// and counts the attempt, in one statement; `None` when nothing is due.
/// On PostgreSQL, `SKIP LOCKED` makes a concurrent claimer pass over the
/// row this one is taking instead of waiting for it and then taking it
/// too; SQLite has one writer at a time, so the statement is the claim.
pub async fn claim_due_email(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Option<entity::email_outbox::Model>, DbErr> {
    use sea_orm::{DatabaseBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE email_outbox SET leased_until = $1, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM email_outbox \
               WHERE status = 'PENDING' AND next_attempt_at <= $2 \
                 AND (leased_until IS NULL OR leased_until <= $2) \
               ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        }
        _ => {
            "UPDATE email_outbox SET leased_until = ?1, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM email_outbox \
               WHERE status = 'PENDING' AND next_attempt_at <= ?2 \
                 AND (leased_until IS NULL OR leased_until <= ?2) \
               ORDER BY next_attempt_at, id LIMIT 1) \
             RETURNING *"
        }
    };
    entity::email_outbox::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            [until.into(), now.into()],
        ))
        .one(db)
        .await
}
