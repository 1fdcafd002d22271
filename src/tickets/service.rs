//! Ticket services: listing with filters; creating and changing tickets
//! (each change one transaction with its event and its emails).

use chrono::{DateTime, Utc};
use entity::enums::{
    CommentVisibility, EmailKind, Locale, NoteTemplate, OrganisationKind, Role, SubjectTemplate,
    TicketEventKind, TicketKind, TicketStatus,
};
use entity::{comments, invoice_lines, orders, tickets, user_profiles};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait as _, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    Iterable as _, QueryFilter, Statement, TransactionTrait,
};

use super::events::{self, NewEvent};
use super::reference::GemReference;
use super::workflow::{self, Action, Actor};
use crate::attachments;
use crate::attachments::service::PreparedFile;
use crate::domain::{ParsedOrder, multi_line, optional_single_line, single_line};
use crate::error::{AppError, AppResult, FieldErrors, Invalid};
use crate::i18n::EventNote;
use crate::live::LiveEvent;
use crate::notifications::staff::{self, StaffNotice};
use crate::notifications::templates::{self, StaffNews, TicketNews};
use crate::notifications::{self, OutgoingEmail};
use crate::policy::{self, Scope, Viewer};
use crate::state::AppState;

/// Criteria of a ticket list, parsed.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub statuses: Option<Vec<TicketStatus>>,
    pub kinds: Option<Vec<TicketKind>>,
    pub organisation_id: Option<i64>,
    pub created_by_id: Option<i64>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    pub shipped_after: Option<DateTime<Utc>>,
    pub shipped_before: Option<DateTime<Utc>>,
    pub for_learning: Option<bool>,
    pub has_invoice: Option<bool>,
    pub waiting_for_staff: Option<bool>,
    pub mine: Option<bool>,
    pub search: Option<String>,
}

/// `[after, before)`, refused when empty by construction (`before` not
/// later than `after`), naming `before`'s field.
fn check_range(
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    field: &'static str,
    after_field: &str,
) -> AppResult<()> {
    match (after, before) {
        (Some(after), Some(before)) if before <= after => Err(AppError::validation(
            field,
            Invalid::out_of_range(format!("must be later than {after_field}")),
        )),
        _ => Ok(()),
    }
}

/// `expr` within `[after, before)`.
fn in_range<C: ColumnTrait>(
    column: C,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> Condition {
    let mut condition = Condition::all();
    if let Some(after) = after {
        condition = condition.add(column.gte(after));
    }
    if let Some(before) = before {
        condition = condition.add(column.lt(before));
    }
    condition
}

/// `tickets.id` of the outer select, for subqueries correlated with it.
fn outer_ticket_id() -> Expr {
    Expr::col((tickets::Entity, tickets::Column::Id))
}

/// The filter as one condition, added to the scope's own (the search over
/// recipient names goes through the scope's orders too).
pub fn filter_condition(scope: &Scope, filter: ListFilter) -> AppResult<Condition> {
    let mut condition = Condition::all();
    if let Some(statuses) = filter.statuses {
        condition = condition.add(tickets::Column::Status.is_in(statuses));
    }
    if let Some(kinds) = filter.kinds {
        condition = condition.add(tickets::Column::Kind.is_in(kinds));
    }
    if let Some(id) = filter.organisation_id {
        condition = condition.add(tickets::Column::OrganisationId.eq(id));
    }
    if let Some(id) = filter.created_by_id {
        condition = condition.add(tickets::Column::CreatedById.eq(id));
    }
    check_range(
        filter.created_after,
        filter.created_before,
        "filter.createdBefore",
        "createdAfter",
    )?;
    check_range(
        filter.updated_after,
        filter.updated_before,
        "filter.updatedBefore",
        "updatedAfter",
    )?;
    check_range(
        filter.shipped_after,
        filter.shipped_before,
        "filter.shippedBefore",
        "shippedAfter",
    )?;
    condition = condition
        .add(in_range(
            tickets::Column::CreatedAt,
            filter.created_after,
            filter.created_before,
        ))
        .add(in_range(
            tickets::Column::UpdatedAt,
            filter.updated_after,
            filter.updated_before,
        ));
    if filter.shipped_after.is_some() || filter.shipped_before.is_some() {
        let shipped = scope
            .orders()
            .filter(in_range(
                orders::Column::ShippedAt,
                filter.shipped_after,
                filter.shipped_before,
            ))
            .ids(orders::Column::TicketId);
        condition = condition.add(shipped.contain(tickets::Column::Id));
    }
    if let Some(for_learning) = filter.for_learning {
        let orders = scope
            .orders()
            .filter(orders::Column::ForLearning.eq(for_learning))
            .ids(orders::Column::TicketId);
        condition = condition.add(orders.contain(tickets::Column::Id));
    }
    if let Some(has_invoice) = filter.has_invoice {
        // Through the viewer's invoice lines: for a viewer who may not
        // see invoices, no ticket has one.
        let invoiced = scope
            .invoice_lines()
            .filter(invoice_lines::Column::IsLive.eq(true))
            .ids(invoice_lines::Column::TicketId);
        condition = condition.add(if has_invoice {
            invoiced.contain(tickets::Column::Id)
        } else {
            invoiced.exclude(tickets::Column::Id)
        });
    }
    if let Some(waiting) = filter.waiting_for_staff {
        let waiting_condition = waiting_for_staff(scope);
        condition = condition.add(if waiting {
            waiting_condition
        } else {
            waiting_condition.not()
        });
    }
    if let Some(mine) = filter.mine {
        let me = scope.viewer().user_id;
        condition = condition.add(if mine {
            tickets::Column::CreatedById.eq(me)
        } else {
            tickets::Column::CreatedById.ne(me)
        });
    }
    if let Some(search) = filter.search {
        let search = search.trim().to_lowercase();
        if search.chars().count() > 100 {
            return Err(AppError::validation(
                "filter.search",
                Invalid::too_long(100),
            ));
        }
        // Nothing searched holds a control character, and PostgreSQL
        // refuses NUL in a query's text.
        if search.chars().any(char::is_control) {
            return Err(AppError::validation(
                "filter.search",
                Invalid::format("a search has no control characters"),
            ));
        }
        for word in search.split_whitespace() {
            let pattern = format!("%{}%", escape_like(word));
            let like = |column: Expr| {
                Expr::expr(Func::lower(column)).like(LikeExpr::new(pattern.clone()).escape('\\'))
            };
            let recipients = scope
                .orders()
                .filter(like(Expr::col((
                    orders::Entity,
                    orders::Column::RecipientName,
                ))))
                .ids(orders::Column::TicketId);
            condition = condition.add(
                Condition::any()
                    .add(like(Expr::col((
                        tickets::Entity,
                        tickets::Column::Reference,
                    ))))
                    .add(like(Expr::col((
                        tickets::Entity,
                        tickets::Column::InternalReference,
                    ))))
                    .add(recipients.contain(tickets::Column::Id)),
            );
        }
    }
    Ok(condition)
}

/// The number of a ticket's `GEM-<n>` reference, for sorting (`GEM-10`
/// after `GEM-9`).
pub fn reference_number() -> Expr {
    Func::cast_as(
        Func::cust("SUBSTR").args([
            Expr::col((tickets::Entity, tickets::Column::Reference)),
            Expr::val(5_i32), // after `GEM-`,
        ]),
        "BIGINT",
    )
    .into()
}

/// A ticket's status as its place in the workflow: REVIEW, QUEUED,
/// READY_TO_SHIP, READY_FOR_BILLING, BILLED, then CANCELLED.
pub fn workflow_position() -> Expr {
    let position = |status| match status {
        TicketStatus::Review => 0_i64,
        TicketStatus::Queued => 1,
        TicketStatus::ReadyToShip => 2,
        TicketStatus::ReadyForBilling => 3,
        TicketStatus::Billed => 4,
        TicketStatus::Cancelled => 5,
    };
    TicketStatus::iter()
        .fold(CaseStatement::new(), |case, status| {
            case.case(
                tickets::Column::Status.eq(status),
                Expr::val(position(status)),
            )
        })
        .finally(Expr::val(i64::MAX))
        .into()
}

/// When the ticket's order shipped, read through the viewer's orders;
/// for a ticket not shipped (or without an order) a date beyond every
/// real one in the direction of the sort, so that such tickets come last
/// both ways.
pub fn shipped_at_or_last(scope: &Scope, descending: bool) -> Expr {
    let shipped = scope
        .orders()
        .filter(Expr::col((orders::Entity, orders::Column::TicketId)).eq(outer_ticket_id()))
        .ids(orders::Column::ShippedAt)
        .single();
    let never = if descending {
        DateTime::<Utc>::from_timestamp(-62_135_596_800, 0) // 0001-01-01
    } else {
        DateTime::<Utc>::from_timestamp(253_402_214_400, 0) // 9999-12-31
    };
    Func::coalesce([shipped, Expr::val(never.unwrap_or_default())]).into()
}

/// The ticket's latest PUBLIC comment (the latest written, by time then
/// id) is a partner's: the ticket waits for the provider. Never NULL, so
/// that its negation holds for tickets without public comments.
fn waiting_for_staff(scope: &Scope) -> Condition {
    let last_public_author = scope
        .comments()
        .filter(comments::Column::Visibility.eq(CommentVisibility::Public))
        .filter(Expr::col((comments::Entity, comments::Column::TicketId)).eq(outer_ticket_id()))
        .order_by_desc(comments::Column::CreatedAt)
        .order_by_desc(comments::Column::Id)
        .limit(1)
        .ids(comments::Column::AuthorId)
        .single();
    let partners = scope
        .users()
        .filter(user_profiles::Column::Role.is_in([Role::PartnerMember, Role::PartnerManager]))
        .ids(user_profiles::Column::Id);
    Condition::all()
        .add(partners.contain_value(Func::coalesce([last_public_author, Expr::val(0_i64)]).into()))
}

/// `%`, `_` and `\\` match themselves in a search.
fn escape_like(word: &str) -> String {
    let mut escaped = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Takes the next `GEM-<n>` inside `txn`. The counter row stays locked
/// until the transaction ends, so concurrent orders get consecutive
/// numbers, and a rolled-back order gives its number back: no gaps. It
/// must be the transaction's first write (SQLite then takes its write lock
/// at once instead of failing to upgrade a read).
pub async fn next_reference(txn: &DatabaseTransaction) -> AppResult<GemReference> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE counters SET value = value + 1 WHERE name = 'gem' RETURNING value",
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the gem counter row is missing")))?;
    let value: i64 = row.try_get("", "value")?;
    Ok(GemReference::from_number(value))
}

/// A ticket's subject fits its column (200 characters), cut by characters.
pub(crate) fn subject(text: &str) -> String {
    text.chars().take(200).collect()
}

/// The language of the texts the server writes for `user_id` (French, the
/// partner instructions' own, if the user is gone).
async fn creator_locale(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Locale> {
    Ok(policy::system::user_by_id(db, user_id)
        .await?
        .map_or(Locale::Fr, |user| user.locale))
}

/// A ticket to open.
pub(crate) struct NewTicket {
    pub organisation_id: i64,
    pub created_by_id: i64,
    pub kind: TicketKind,
    pub subject: NewSubject,
    pub description: Option<String>,
    pub internal_reference: Option<String>,
    pub related_ticket_id: Option<i64>,
}

/// The subject of a ticket to open.
pub(crate) enum NewSubject {
    /// Typed by the person who asks (a question).
    Written(String),
    /// Worded by the server from the catalogue: kept as template and
    /// parameter so that each reader reads it in their language, and
    /// stored worded in `locale` (the creator's) for search.
    Catalogue {
        template: SubjectTemplate,
        param: String,
        locale: Locale,
    },
}

/// Opens a ticket in REVIEW under the next GEM reference, with its
/// CREATED event, inside `txn` (whose first write this must be).
pub(crate) async fn open_ticket(
    txn: &DatabaseTransaction,
    new: NewTicket,
    now: DateTime<Utc>,
) -> AppResult<tickets::Model> {
    let reference = next_reference(txn).await?;
    let (text, template, param) = match new.subject {
        NewSubject::Written(text) => (text, None, None),
        NewSubject::Catalogue {
            template,
            param,
            locale,
        } => (
            subject(&crate::i18n::subject(template, &param, locale)),
            Some(template),
            Some(param),
        ),
    };
    let ticket = tickets::ActiveModel {
        organisation_id: Set(new.organisation_id),
        reference: Set(reference.as_str().to_owned()),
        created_by_id: Set(new.created_by_id),
        kind: Set(new.kind),
        status: Set(TicketStatus::Review),
        subject: Set(text),
        subject_template: Set(template),
        subject_param: Set(param),
        description: Set(new.description),
        internal_reference: Set(new.internal_reference),
        related_ticket_id: Set(new.related_ticket_id),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        status_changed_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    events::record(
        txn,
        &ticket,
        NewEvent {
            kind: TicketEventKind::Created,
            actor_id: Some(new.created_by_id),
            from: None,
            to: Some(TicketStatus::Review),
            note: None,
        },
        now,
    )
    .await?;
    Ok(ticket)
}

/// A laptop order, parsed, for one organisation.
pub struct NewOrder {
    /// Required for staff ordering on behalf of a partner; partners order
    /// for their own organisation.
    pub organisation_id: Option<i64>,
    pub order: ParsedOrder,
    pub certificate: Option<PreparedFile>,
}

/// Registers a laptop order: the ticket (LAPTOP_ORDER, REVIEW), its order,
/// its first event, its certificate and the confirmation email, in one
/// transaction.
pub async fn order_laptop(
    state: &AppState,
    scope: &Scope,
    new: NewOrder,
) -> AppResult<tickets::Model> {
    let viewer = scope.viewer();
    let organisation = requesting_organisation(state, scope, new.organisation_id, "order").await?;
    let now = state.clock.now();
    let order = &new.order;
    // The certificate's bytes go to storage before the transaction, so
    // that no disk write happens while the GEM counter is locked.
    if let Some(certificate) = &new.certificate {
        attachments::service::ensure_stored(state, certificate).await;
    }
    // Read before the transaction, whose first write takes the counter.
    let creator = policy::system::user_by_id(&state.db, viewer.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let txn = state.db.begin().await?;
    let result = async {
        let ticket = place_order(
            &txn,
            state,
            &creator,
            organisation.id,
            order,
            new.certificate.as_ref(),
            now,
            Emails::Queue,
        )
        .await?;
        tell_staff(
            &txn,
            state,
            viewer,
            &ticket,
            StaffNews::NewOrder {
                reference: &ticket.reference,
            },
            now,
        )
        .await?;
        Ok(ticket)
    }
    .await;
    let ticket = finish(state, txn, result, new.certificate.as_ref()).await?;
    state.live.publish(LiveEvent::ticket_created(&ticket));
    Ok(ticket)
}

/// The active partner organisation a request (an order, a question) is
/// for: the viewer's own for partners (naming another one is NOT_FOUND),
/// the one named for staff acting on a partner's behalf.
async fn requesting_organisation(
    state: &AppState,
    scope: &Scope,
    requested: Option<i64>,
    what: &str,
) -> AppResult<entity::organisations::Model> {
    let viewer = scope.viewer();
    let organisation_id = match (viewer.is_staff(), requested) {
        (false, Some(id)) if id != viewer.organisation_id => {
            return Err(AppError::NotFound("organisation"));
        }
        (false, _) => viewer.organisation_id,
        (true, Some(id)) => id,
        (true, None) => {
            return Err(AppError::validation(
                "input.organisationId",
                Invalid::required_because(format!(
                    "staff {what} on behalf of a partner: name the organisation"
                )),
            ));
        }
    };
    let organisation = scope.organisation(&state.db, organisation_id).await?;
    if organisation.kind != OrganisationKind::Partner || organisation.archived_at.is_some() {
        return Err(AppError::validation(
            "input.organisationId",
            Invalid::not_allowed(format!("an {what} is for an active partner organisation")),
        ));
    }
    Ok(organisation)
}

/// A question to the provider ("write us"), parsed.
pub struct NewQuestion {
    /// Required for staff writing on behalf of a partner; partners ask for
    /// their own organisation.
    pub organisation_id: Option<i64>,
    pub subject: String,
    pub description: String,
    pub attachment: Option<PreparedFile>,
}

/// Opens a question ticket (kind OTHER, in REVIEW, so that it reaches the
/// staff queue) with its attachment and the creator's confirmation, in
/// one transaction.
pub async fn ask_question(
    state: &AppState,
    scope: &Scope,
    new: NewQuestion,
) -> AppResult<tickets::Model> {
    let viewer = scope.viewer();
    let organisation =
        requesting_organisation(state, scope, new.organisation_id, "question").await?;
    let now = state.clock.now();
    if let Some(file) = &new.attachment {
        attachments::service::ensure_stored(state, file).await;
    }
    let txn = state.db.begin().await?;
    let result = async {
        let ticket = open_ticket(
            &txn,
            NewTicket {
                organisation_id: organisation.id,
                created_by_id: viewer.user_id,
                kind: TicketKind::Other,
                subject: NewSubject::Written(new.subject.clone()),
                description: Some(new.description.clone()),
                internal_reference: None,
                related_ticket_id: None,
            },
            now,
        )
        .await?;
        if let Some(file) = &new.attachment {
            attachments::service::store_and_record(&txn, state, &ticket, viewer.user_id, file, now)
                .await?;
        }
        notify_creator(&txn, &ticket, TicketNews::Created, now, Emails::Queue).await?;
        Ok(ticket)
    }
    .await;
    finish(state, txn, result, new.attachment.as_ref()).await
}

/// The writes of a laptop order inside `txn` (whose first write this must
/// be): the ticket under the next GEM number, its order, its CREATED
/// event, its certificate and the creator's email.
#[expect(
    clippy::too_many_arguments,
    reason = "who orders what for whom, when, and whether it is told"
)]
pub(crate) async fn place_order(
    txn: &DatabaseTransaction,
    state: &AppState,
    creator: &user_profiles::Model,
    organisation_id: i64,
    order: &ParsedOrder,
    certificate: Option<&PreparedFile>,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<tickets::Model> {
    let ticket = open_ticket(
        txn,
        NewTicket {
            organisation_id,
            created_by_id: creator.id,
            kind: TicketKind::LaptopOrder,
            subject: NewSubject::Catalogue {
                template: SubjectTemplate::LaptopOrder,
                param: order.recipient_name().to_owned(),
                locale: creator.locale,
            },
            description: None,
            internal_reference: order.internal_reference().map(str::to_owned),
            related_ticket_id: None,
        },
        now,
    )
    .await?;
    orders::ActiveModel {
        organisation_id: Set(organisation_id),
        ticket_id: Set(ticket.id),
        recipient_name: Set(order.recipient_name().to_owned()),
        street: Set(order.street().to_owned()),
        postal_code: Set(order.postal_code().as_str().to_owned()),
        city: Set(order.city().to_owned()),
        country: Set(order.country().as_str().to_owned()),
        phone: Set(order.phone().as_str().to_owned()),
        for_learning: Set(order.for_learning()),
        comment: Set(order.comment().map(str::to_owned)),
        device_model: Set(None),
        serial_number: Set(None),
        shipped_at: Set(None),
        tracking_number: Set(None),
        shipped_by_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if let Some(certificate) = certificate {
        attachments::service::store_and_record(txn, state, &ticket, creator.id, certificate, now)
            .await?;
    }
    notify_creator(txn, &ticket, TicketNews::Created, now, emails).await?;
    Ok(ticket)
}

/// Commits on success; on failure rolls back and removes a file stored
/// for the failed request.
async fn finish<T>(
    state: &AppState,
    txn: DatabaseTransaction,
    result: AppResult<T>,
    file: Option<&PreparedFile>,
) -> AppResult<T> {
    let outcome = match result {
        Ok(value) => txn.commit().await.map(|()| value).map_err(AppError::from),
        Err(e) => {
            txn.rollback().await.ok();
            Err(e)
        }
    };
    if let Some(file) = file {
        if outcome.is_ok() {
            // A concurrent failed upload of the same bytes may have removed
            // the shared blob between our write and our commit.
            attachments::service::ensure_stored(state, file).await;
        } else {
            attachments::service::discard_unreferenced(
                state,
                &file.storage_key(state.storage.as_ref()),
            )
            .await;
        }
    }
    outcome
}

/// Whether a change queues its emails. Every request does; the demo seed,
/// which writes months of history that nobody waits to hear about, does
/// not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emails {
    Queue,
    Skip,
}

/// Emails the ticket's creator, in the creator's language, on `db` (the
/// change's transaction), unless the change skips its emails.
async fn notify_creator(
    db: &impl ConnectionTrait,
    ticket: &tickets::Model,
    news: TicketNews<'_>,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<()> {
    if emails == Emails::Skip {
        return Ok(());
    }
    let Some(creator) = policy::system::user_by_id(db, ticket.created_by_id).await? else {
        return Ok(());
    };
    if !creator.is_active {
        return Ok(());
    }
    let (subject, body) = templates::ticket_email(
        creator.locale,
        &creator.display_name,
        &ticket.reference,
        news,
    );
    let kind = match news {
        TicketNews::StaffReply { .. } => EmailKind::StaffReply,
        TicketNews::Created | TicketNews::StatusChanged { .. } => EmailKind::StatusChanged,
    };
    notifications::enqueue(
        db,
        OutgoingEmail {
            organisation_id: ticket.organisation_id,
            user_id: Some(creator.id),
            kind,
            to: creator.email,
            locale: creator.locale,
            subject,
            body,
        },
        now,
    )
    .await
}

/// Tells the provider's staff of a partner's action on `ticket`, on
/// `txn`, the change's transaction (staff's own actions tell no one).
async fn tell_staff(
    txn: &DatabaseTransaction,
    state: &AppState,
    viewer: &Viewer,
    ticket: &tickets::Model,
    news: StaffNews<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    staff::notify_staff(
        txn,
        state.config.staff_notify_email.as_ref(),
        StaffNotice {
            author: viewer,
            organisation_id: ticket.organisation_id,
            news,
        },
        now,
    )
    .await
}

/// What staff record when a laptop leaves.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub device_model: String,
    pub serial_number: String,
    pub shipped_at: DateTime<Utc>,
    pub tracking_number: Option<String>,
}

impl Shipment {
    /// Checks every field at once.
    pub fn parse(
        device_model: &str,
        serial_number: &str,
        shipped_at: DateTime<Utc>,
        tracking_number: Option<&str>,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        let mut errors = FieldErrors::new();
        let device_model = errors.check("deviceModel", single_line(device_model, 200));
        let serial_number = errors.check("serialNumber", single_line(serial_number, 100));
        let tracking_number =
            errors.check("trackingNumber", optional_single_line(tracking_number, 100));
        if shipped_at > now + chrono::Duration::hours(1) {
            errors.add(
                "shippedAt",
                Invalid::out_of_range("must not be in the future"),
            );
        }
        let (Some(device_model), Some(serial_number), Some(tracking_number)) =
            (device_model, serial_number, tracking_number)
        else {
            return Err(errors.into_error());
        };
        errors.finish(Self {
            device_model,
            serial_number,
            shipped_at,
            tracking_number,
        })
    }
}

/// A workflow step on a ticket, with what it needs.
#[derive(Debug, Clone)]
pub enum Step {
    /// `transitionTicket` to QUEUED, REVIEW or READY_TO_SHIP, with an
    /// optional note for the partner (on the event, in the email) or an
    /// internal one (an INTERNAL comment, staff only).
    Move {
        action: Action,
        note: Option<EventNote>,
        internal_note: Option<String>,
    },
    /// `cancelTicket`, with its reason.
    Cancel { reason: String },
    /// `shipOrder`.
    Ship(Shipment),
}

/// Applies a workflow step: the state machine decides, the ticket's
/// version guards against a concurrent change (one wins, the other gets
/// CONFLICT), and the event and the creator's email go in the same
/// transaction.
pub async fn apply_step(
    state: &AppState,
    scope: &Scope,
    ticket_id: i64,
    step: Step,
    expected_version: Option<i32>,
) -> AppResult<tickets::Model> {
    let ticket = scope.ticket(&state.db, ticket_id).await?;
    if let Some(expected) = expected_version
        && expected != ticket.version
    {
        return Err(AppError::conflict(format!(
            "the ticket changed since version {expected} (it is at version {}); reload it and try again",
            ticket.version
        )));
    }
    if matches!(
        step,
        Step::Move {
            internal_note: Some(_),
            ..
        }
    ) && !scope.viewer().is_staff()
    {
        return Err(AppError::forbidden("only staff write internal notes"));
    }
    apply_step_to(state, scope, ticket, step).await
}

/// [`apply_step`] on `ticket` as the caller read it through `scope`. The
/// change is written only if the ticket is still at the version read;
/// otherwise nothing is written and the answer is CONFLICT.
pub async fn apply_step_to(
    state: &AppState,
    scope: &Scope,
    ticket: tickets::Model,
    step: Step,
) -> AppResult<tickets::Model> {
    let viewer = scope.viewer();
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let result = take_step(
        &txn,
        viewer,
        Actor::from(viewer.role),
        &ticket,
        &step,
        now,
        Emails::Queue,
    )
    .await;
    let written = finish(state, txn, result, None).await?;
    state.live.publish(LiveEvent::status_changed(&written));
    if matches!(step, Step::Ship(_)) {
        crate::live::publish_invoice_of_ticket(state, scope, ticket.id).await;
    }
    scope.ticket(&state.db, ticket.id).await
}

/// The writes of a workflow step by `viewer` acting as `actor` inside
/// `txn`: the ticket's new status, claimed at the version `ticket` was
/// read at (CONFLICT if it changed since), the shipment, the event and the
/// creator's email. Returns the ticket as written.
pub(crate) async fn take_step(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    actor: Actor,
    ticket: &tickets::Model,
    step: &Step,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<tickets::Model> {
    let (action, note) = match step {
        Step::Move { action, note, .. } => (*action, note.clone()),
        Step::Cancel { reason } => (Action::Cancel, Some(EventNote::Written(reason.clone()))),
        // Worded below, once the ticket is claimed (the claim must be the
        // transaction's first statement).
        Step::Ship(_) => (Action::Ship, None),
    };
    let to = workflow::transition(ticket.kind, ticket.status, action, actor)?;
    let claimed = tickets::Entity::update_many()
        .col_expr(tickets::Column::Status, Expr::value(to))
        .col_expr(
            tickets::Column::Version,
            Expr::col(tickets::Column::Version).add(1),
        )
        .col_expr(tickets::Column::UpdatedAt, Expr::value(now))
        .col_expr(tickets::Column::StatusChangedAt, Expr::value(now))
        .filter(tickets::Column::Id.eq(ticket.id))
        .filter(tickets::Column::Version.eq(ticket.version))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::conflict(
            "the ticket was changed meanwhile; reload it and try again",
        ));
    }
    let mut note = note;
    if let Step::Ship(shipment) = step {
        if let Some(number) = &shipment.tracking_number {
            note = Some(EventNote::Catalogue(
                NoteTemplate::TrackingNumber,
                number.clone(),
            ));
        }
        let shipped = orders::Entity::update_many()
            .col_expr(
                orders::Column::DeviceModel,
                Expr::value(shipment.device_model.clone()),
            )
            .col_expr(
                orders::Column::SerialNumber,
                Expr::value(shipment.serial_number.clone()),
            )
            .col_expr(orders::Column::ShippedAt, Expr::value(shipment.shipped_at))
            .col_expr(
                orders::Column::TrackingNumber,
                Expr::value(shipment.tracking_number.clone()),
            )
            .col_expr(orders::Column::ShippedById, Expr::value(viewer.user_id))
            .col_expr(orders::Column::UpdatedAt, Expr::value(now))
            .filter(orders::Column::TicketId.eq(ticket.id))
            .exec(txn)
            .await?;
        if shipped.rows_affected != 1 {
            return Err(AppError::conflict("this ticket has no order to ship"));
        }
    }
    if let Step::Move {
        internal_note: Some(internal),
        ..
    } = step
    {
        comments::ActiveModel {
            organisation_id: Set(ticket.organisation_id),
            ticket_id: Set(ticket.id),
            author_id: Set(viewer.user_id),
            body: Set(internal.clone()),
            visibility: Set(CommentVisibility::Internal),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    let kind = if matches!(step, Step::Ship(_)) {
        TicketEventKind::Shipped
    } else {
        TicketEventKind::StatusChanged
    };
    events::record(
        txn,
        ticket,
        NewEvent {
            kind,
            actor_id: Some(viewer.user_id),
            from: Some(ticket.status),
            to: Some(to),
            note: note.as_ref(),
        },
        now,
    )
    .await?;
    notify_creator(
        txn,
        ticket,
        TicketNews::StatusChanged {
            status: to,
            note: note.as_ref(),
        },
        now,
        emails,
    )
    .await?;
    if matches!(step, Step::Ship(_)) {
        // PER_ORDER: the invoice goes out with the laptop, in this
        // transaction; a QUARTERLY organisation waits for its run.
        let scope = Scope::new(viewer.clone());
        crate::invoices::service::issue_on_shipment(txn, &scope, ticket, now, emails).await?;
    }
    Ok(tickets::Model {
        status: to,
        version: ticket.version + 1,
        updated_at: now,
        status_changed_at: now,
        ..ticket.clone()
    })
}

/// Reports a problem with a delivered laptop (damaged, lost): a new
/// DELIVERY_ISSUE ticket linked to the order's ticket, in the order's
/// organisation.
pub async fn report_delivery_issue(
    state: &AppState,
    scope: &Scope,
    ticket_id: i64,
    description: &str,
) -> AppResult<tickets::Model> {
    let viewer = scope.viewer();
    let description =
        multi_line(description, 10_000).map_err(|m| AppError::validation("description", m))?;
    let shipped = scope.ticket(&state.db, ticket_id).await?;
    let delivered = shipped.kind == TicketKind::LaptopOrder
        && matches!(
            shipped.status,
            TicketStatus::ReadyForBilling | TicketStatus::Billed
        );
    if !delivered {
        return Err(AppError::conflict(
            "a delivery issue is reported on a laptop order that has shipped",
        ));
    }
    let now = state.clock.now();
    let locale = creator_locale(&state.db, viewer.user_id).await?;
    let txn = state.db.begin().await?;
    let result = async {
        let ticket = open_ticket(
            &txn,
            NewTicket {
                organisation_id: shipped.organisation_id,
                created_by_id: viewer.user_id,
                kind: TicketKind::DeliveryIssue,
                subject: NewSubject::Catalogue {
                    template: SubjectTemplate::DeliveryIssue,
                    param: shipped.reference.clone(),
                    locale,
                },
                description: Some(description),
                internal_reference: shipped.internal_reference.clone(),
                related_ticket_id: Some(shipped.id),
            },
            now,
        )
        .await?;
        notify_creator(&txn, &ticket, TicketNews::Created, now, Emails::Queue).await?;
        tell_staff(
            &txn,
            state,
            viewer,
            &ticket,
            StaffNews::DeliveryIssue {
                reference: &ticket.reference,
                order: &shipped.reference,
                description: ticket.description.as_deref().unwrap_or_default(),
            },
            now,
        )
        .await?;
        Ok(ticket)
    }
    .await;
    let ticket = finish(state, txn, result, None).await?;
    state.live.publish(LiveEvent::ticket_created(&ticket));
    Ok(ticket)
}

/// Adds a comment. Partners write PUBLIC comments only; staff both. A
/// staff PUBLIC comment emails the ticket's creator; a partner's comment
/// tells the provider's staff. Only PUBLIC comments
/// write a COMMENTED event (and so touch the ticket's `updated_at`), so
/// that an internal note leaves no trace a partner could see.
pub async fn add_comment(
    state: &AppState,
    scope: &Scope,
    ticket_id: i64,
    body: &str,
    visibility: CommentVisibility,
) -> AppResult<comments::Model> {
    let viewer = scope.viewer();
    let ticket = scope.ticket(&state.db, ticket_id).await?;
    if visibility == CommentVisibility::Internal && !viewer.is_staff() {
        return Err(AppError::forbidden("only staff write internal notes"));
    }
    let body = multi_line(body, 10_000).map_err(|m| AppError::validation("body", m))?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let result = async {
        let comment =
            write_comment(&txn, viewer, &ticket, &body, visibility, now, Emails::Queue).await?;
        // An INTERNAL note is staff's own and reaches no one; only a
        // partner's (PUBLIC) comment is news to staff.
        if visibility == CommentVisibility::Public {
            tell_staff(
                &txn,
                state,
                viewer,
                &ticket,
                StaffNews::PartnerComment {
                    reference: &ticket.reference,
                    body: &body,
                },
                now,
            )
            .await?;
        }
        Ok(comment)
    }
    .await;
    let comment = finish(state, txn, result, None).await?;
    state.live.publish(LiveEvent::comment_added(&comment));
    Ok(comment)
}

/// The writes of a comment by `viewer` inside `txn`: the comment, the
/// ticket's `updated_at` for a PUBLIC one, and for a staff reply the
/// creator's email. `body` is already checked.
pub(crate) async fn write_comment(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    ticket: &tickets::Model,
    body: &str,
    visibility: CommentVisibility,
    now: DateTime<Utc>,
    emails: Emails,
) -> AppResult<comments::Model> {
    let comment = comments::ActiveModel {
        organisation_id: Set(ticket.organisation_id),
        ticket_id: Set(ticket.id),
        author_id: Set(viewer.user_id),
        body: Set(body.to_owned()),
        visibility: Set(visibility),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if visibility == CommentVisibility::Public {
        // The partner's history shows the comment (which also moves the
        // ticket's `updatedAt`); an INTERNAL note leaves no such trace.
        events::record(
            txn,
            ticket,
            NewEvent {
                kind: TicketEventKind::Commented,
                actor_id: Some(viewer.user_id),
                from: None,
                to: None,
                note: None,
            },
            now,
        )
        .await?;
        if viewer.is_staff() && ticket.created_by_id != viewer.user_id {
            let author = policy::system::user_by_id(txn, viewer.user_id)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            notify_creator(
                txn,
                ticket,
                TicketNews::StaffReply {
                    author: &author,
                    body,
                },
                now,
                emails,
            )
            .await?;
        }
    }
    Ok(comment)
}
