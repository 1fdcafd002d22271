//! Root fields for tickets: reading them; the workflow mutations.

use async_graphql::{Context, Enum, ID, InputObject, Lookahead, Object, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use entity::tickets;

use super::loaders::OrderByTicketLoader;
use super::reference::GemReference;
use super::service;
use super::types::{Comment, CommentVisibility, TYPE_NAME, Ticket, TicketKind, TicketStatus};
use super::workflow::Action;
use crate::attachments;
use crate::context::ContextExt as _;
use crate::domain::{ParsedOrder, RawOrder, multi_line, optional_single_line, single_line};
use crate::error::{AppError, AppResult, FieldErrors, Invalid};
use crate::organisations::loaders::OrganisationLoader;
use crate::organisations::types::TYPE_NAME as ORGANISATION;
use crate::policy;
use crate::relay::{self, Page, PageArgs, SortExpr, SortKey, SortKind, SortValue};
use crate::users::types::{Person, TYPE_NAME as USER};

/// Which tickets to list; every criterion narrows the list. Date ranges
/// include their start (`…After`) and exclude their end (`…Before`).
#[derive(InputObject, Default)]
pub struct TicketFilter {
    /// Any of these statuses.
    pub status: Option<Vec<TicketStatus>>,
    /// Any of these kinds.
    pub kind: Option<Vec<TicketKind>>,
    /// Only the tickets of this organisation.
    pub organisation_id: Option<ID>,
    /// Only the tickets this user created.
    pub created_by_id: Option<ID>,
    /// True: only the tickets the viewer created ("my requests"), also
    /// where the viewer may see the whole organisation's; false: only
    /// those created by someone else.
    pub mine: Option<bool>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// Last changed at or after.
    pub updated_after: Option<DateTime<Utc>>,
    /// Last changed before.
    pub updated_before: Option<DateTime<Utc>>,
    /// The order's laptop shipped at or after (tickets without a shipped
    /// order are left out).
    pub shipped_after: Option<DateTime<Utc>>,
    /// The order's laptop shipped before (tickets without a shipped order
    /// are left out).
    pub shipped_before: Option<DateTime<Utc>>,
    /// Laptop orders for an apprentice or a student (true) or standard
    /// ones (false); tickets without an order are left out either way.
    pub for_learning: Option<bool>,
    /// True: the ticket's order is on a live (issued or paid) invoice that
    /// the viewer may see; false: it is not. For a viewer who may not see
    /// invoices, no ticket has one.
    pub has_invoice: Option<bool>,
    /// True: the latest public comment on the ticket is a partner's, so
    /// the ticket waits for the provider's answer; false: the ticket has
    /// no public comment or the latest is the provider's.
    pub waiting_for_staff: Option<bool>,
    /// Words found in the reference, the internal reference or the
    /// recipient's name (case-insensitive).
    pub search: Option<String>,
}

/// The order of a ticket list. Ties are broken by the ticket's id, in the
/// same direction, so that every order is total and paging through it
/// meets each ticket once.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum TicketOrder {
    /// Newest first (the default).
    #[default]
    CreatedAtDesc,
    /// Oldest first.
    CreatedAtAsc,
    /// Most recently changed first.
    UpdatedAtDesc,
    /// Least recently changed first.
    UpdatedAtAsc,
    /// By the number of the `GEM-` reference, lowest first.
    ReferenceAsc,
    /// By the number of the `GEM-` reference, highest first.
    ReferenceDesc,
    /// In workflow order: REVIEW, QUEUED, READY_TO_SHIP,
    /// READY_FOR_BILLING, BILLED, then CANCELLED.
    StatusAsc,
    /// In reverse workflow order: CANCELLED, BILLED, …, REVIEW.
    StatusDesc,
    /// Earliest shipped first; tickets not shipped (or without an order)
    /// come last.
    ShippedAtAsc,
    /// Latest shipped first; tickets not shipped (or without an order)
    /// come last here too.
    ShippedAtDesc,
    /// Longest in its current status first (e.g. the oldest in REVIEW).
    StatusChangedAtAsc,
    /// Most recently moved to its current status first.
    StatusChangedAtDesc,
}

#[derive(Default)]
pub struct TicketsQuery;

#[Object]
impl TicketsQuery {
    /// One ticket by id; null when absent or not visible.
    async fn ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket's global id.")] id: ID,
    ) -> AppResult<Option<Ticket>> {
        let row_id = relay::parse_global_id(&id, TYPE_NAME, "id")?;
        let found = ctx.scope()?.ticket(&ctx.state()?.db, row_id).await;
        Ok(policy::null_if_absent(found)?.map(Ticket))
    }

    /// One ticket by its `GEM-` reference; null when absent or not visible.
    async fn ticket_by_reference(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reference, such as `GEM-42` (any letter case).")] reference: String,
    ) -> AppResult<Option<Ticket>> {
        let reference =
            GemReference::parse(&reference).map_err(|m| AppError::validation("reference", m))?;
        let (scope, db) = (ctx.scope()?, &ctx.state()?.db);
        let with = wanted_relations(&ctx.look_ahead());
        if !with.any() {
            let found = scope.ticket_by_reference(db, reference.as_str()).await;
            return Ok(policy::null_if_absent(found)?.map(Ticket));
        }
        let found = scope
            .ticket_by_reference_with(db, reference.as_str(), with)
            .await;
        let Some((ticket, joined)) = policy::null_if_absent(found)? else {
            return Ok(None);
        };
        feed_relations(ctx, vec![(ticket.id, joined)]).await?;
        Ok(Some(Ticket(ticket)))
    }

    /// The tickets the viewer may see (partner members: their own, or the
    /// organisation's when its visibility is ORGANISATION; managers: the
    /// organisation's; staff: all), filtered and ordered (newest first
    /// unless `orderBy` says otherwise). A page holds `first` (or `last`)
    /// tickets, 20 when neither is given, at most 100.
    #[graphql(complexity = "crate::relay::page_complexity(first, last, child_complexity)")]
    #[expect(
        clippy::too_many_arguments,
        reason = "a Relay connection field: its arguments are the schema's"
    )]
    async fn tickets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which tickets to list; all the viewer may see when omitted.")]
        filter: Option<TicketFilter>,
        #[graphql(desc = "The order of the list; newest first when omitted.")] order_by: Option<
            TicketOrder,
        >,
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
    ) -> AppResult<Page<Ticket>> {
        let args = PageArgs::parse(first, after, last, before)?;
        let scope = ctx.scope()?;
        let mut select = scope.tickets();
        if let Some(filter) = filter {
            select = select.filter(service::filter_condition(scope, filter.parse()?)?);
        }
        let db = &ctx.state()?.db;
        let column = |column, descending, value_of| SortKey {
            column,
            id: tickets::Column::Id,
            descending,
            value_of,
        };
        let computed = |name, expr, kind, descending| SortExpr {
            name,
            expr,
            kind,
            id: tickets::Column::Id,
            descending,
        };
        let created: fn(&tickets::Model) -> SortValue = |row| SortValue::Time(row.created_at);
        let updated: fn(&tickets::Model) -> SortValue = |row| SortValue::Time(row.updated_at);
        let moved: fn(&tickets::Model) -> SortValue = |row| SortValue::Time(row.status_changed_at);
        use TicketOrder as O;
        let order = order_by.unwrap_or_default();
        let key = match order {
            O::CreatedAtDesc | O::CreatedAtAsc => column(
                tickets::Column::CreatedAt,
                order == O::CreatedAtDesc,
                created,
            ),
            O::UpdatedAtDesc | O::UpdatedAtAsc => column(
                tickets::Column::UpdatedAt,
                order == O::UpdatedAtDesc,
                updated,
            ),
            O::StatusChangedAtDesc | O::StatusChangedAtAsc => column(
                tickets::Column::StatusChangedAt,
                order == O::StatusChangedAtDesc,
                moved,
            ),
            O::ReferenceAsc | O::ReferenceDesc => {
                let key = computed(
                    "reference_number",
                    service::reference_number(),
                    SortKind::Int,
                    order == O::ReferenceDesc,
                );
                return relay::paginate_by(db, select, key, args, Ticket).await;
            }
            O::StatusAsc | O::StatusDesc => {
                let key = computed(
                    "workflow_position",
                    service::workflow_position(),
                    SortKind::Int,
                    order == O::StatusDesc,
                );
                return relay::paginate_by(db, select, key, args, Ticket).await;
            }
            O::ShippedAtAsc | O::ShippedAtDesc => {
                let descending = order == O::ShippedAtDesc;
                let key = computed(
                    if descending {
                        "shipped_at_desc"
                    } else {
                        "shipped_at_asc"
                    },
                    service::shipped_at_or_last(scope, descending),
                    SortKind::Time,
                    descending,
                );
                return relay::paginate_by(db, select, key, args, Ticket).await;
            }
        };
        let look = ctx.look_ahead();
        let with = wanted_relations(&look.field("nodes"))
            .or(wanted_relations(&look.field("edges").field("node")));
        if !with.any() {
            return relay::paginate(db, select, key, args, Ticket).await;
        }
        let join_scope = scope.clone();
        let joined = relay::Joined::new(
            move |select| select.with_relations(&join_scope, with),
            move |row| with.read(row),
        );
        let read = std::sync::Mutex::new(Vec::new());
        let page = relay::paginate_joined(db, select, key, args, joined, |row, joined| {
            if let Ok(mut read) = read.lock() {
                read.push((row.id, joined));
            }
            Ticket(row)
        })
        .await?;
        let read = read.into_inner().unwrap_or_default();
        feed_relations(ctx, read).await?;
        Ok(page)
    }
}

/// The relations of a ticket that a selection of tickets asks for, to
/// read with them ([`policy::TicketRelations`]).
fn wanted_relations(ticket: &Lookahead<'_>) -> policy::TicketRelations {
    policy::TicketRelations {
        organisation: ticket.field("organisation").exists(),
        creator: ticket.field("createdBy").exists(),
        order: ticket.field("order").exists(),
    }
}

/// Hands what a joined select read with each ticket to the request's
/// loaders, where `Ticket.organisation`, `createdBy` and `order` (and any
/// other path to the same rows) find it.
async fn feed_relations(
    ctx: &Context<'_>,
    read: Vec<(i64, policy::TicketJoined)>,
) -> AppResult<()> {
    let mut organisations = Vec::new();
    let mut creators = Vec::new();
    let mut orders = Vec::new();
    for (ticket, joined) in read {
        organisations.extend(joined.organisation);
        creators.extend(joined.creator);
        if let Some(order) = joined.order {
            orders.push((ticket, order));
        }
    }
    if !organisations.is_empty() {
        ctx.loader::<OrganisationLoader>()?
            .feed_many(organisations.into_iter().map(|o| (o.id, o)))
            .await;
    }
    Person::feed(ctx, creators).await?;
    if !orders.is_empty() {
        ctx.loader::<OrderByTicketLoader>()?.feed_many(orders).await;
    }
    Ok(())
}

impl TicketFilter {
    fn parse(self) -> AppResult<service::ListFilter> {
        Ok(service::ListFilter {
            statuses: self.status.map(|s| s.into_iter().map(Into::into).collect()),
            kinds: self.kind.map(|k| k.into_iter().map(Into::into).collect()),
            organisation_id: self
                .organisation_id
                .map(|id| relay::parse_global_id(&id, ORGANISATION, "filter.organisationId"))
                .transpose()?,
            created_by_id: self
                .created_by_id
                .map(|id| relay::parse_global_id(&id, USER, "filter.createdById"))
                .transpose()?,
            created_after: self.created_after,
            created_before: self.created_before,
            updated_after: self.updated_after,
            updated_before: self.updated_before,
            shipped_after: self.shipped_after,
            shipped_before: self.shipped_before,
            for_learning: self.for_learning,
            has_invoice: self.has_invoice,
            waiting_for_staff: self.waiting_for_staff,
            mine: self.mine,
            search: self.search,
        })
    }
}

/// A laptop order: the recipient, the delivery address and, for learning,
/// the training certificate.
#[derive(InputObject)]
pub struct OrderLaptopInput {
    /// The partner organisation ordering; staff ordering on its behalf must
    /// name it, partners may omit it.
    pub organisation_id: Option<ID>,
    /// The person who receives the laptop (1 to 200 characters).
    pub recipient_name: String,
    /// Street and number (1 to 200 characters).
    pub street: String,
    /// The postal code, checked against the country's format (4 digits in
    /// Switzerland and Liechtenstein).
    pub postal_code: String,
    /// The town (1 to 100 characters).
    pub city: String,
    /// ISO 3166 alpha-2; CH when omitted. When it is invalid, the postal
    /// code and the phone number are still checked, by Swiss rules.
    pub country: Option<String>,
    /// Needed for delivery problems; national or international format (at
    /// most 40 characters).
    pub phone: String,
    /// A case or person number, printed on the invoice (≤ 64 characters).
    pub internal_reference: Option<String>,
    /// For an apprentice or a student: comes with Windows and needs a
    /// training certificate.
    #[graphql(default)]
    pub for_learning: bool,
    /// Anything else the provider should know about the order (≤ 2,000
    /// characters, line breaks allowed).
    pub comment: Option<String>,
    /// The training certificate (PDF, PNG or JPEG, ≤ 10 MiB), sent in the
    /// same multipart request: required when `forLearning`, refused
    /// otherwise.
    pub certificate: Option<Upload>,
}

/// A question to the provider ("write us": a change of billing mode, a
/// question about an order), opened as a ticket of kind OTHER.
#[derive(InputObject)]
pub struct AskQuestionInput {
    /// The partner organisation asking; staff writing on its behalf must
    /// name it, partners may omit it.
    pub organisation_id: Option<ID>,
    /// One line (≤ 200 characters).
    pub subject: String,
    /// The question itself (≤ 10,000 characters, line breaks kept).
    pub description: String,
    /// A file to go with it (PDF, PNG or JPEG, ≤ 10 MiB), sent as a
    /// GraphQL multipart request.
    pub attachment: Option<Upload>,
}

/// Notes and reasons given with a workflow step: at most this many characters.
const MAX_NOTE_CHARS: usize = 2_000;

/// The ticket as the mutation left it.
#[derive(SimpleObject)]
pub struct TicketPayload {
    /// The ticket, with its new status and `version`.
    pub ticket: Ticket,
}

/// A workflow step (`transitionTicket`).
#[derive(InputObject)]
pub struct TransitionTicketInput {
    /// The ticket to move.
    pub ticket_id: ID,
    /// QUEUED, REVIEW or READY_TO_SHIP; the other statuses have their own
    /// mutations.
    pub to: TicketStatus,
    /// A remark on the step (one line, ≤ 2,000 characters). With
    /// `noteVisibility: PUBLIC` (the default) the partner reads it: it is
    /// the event's `note` in the ticket's history and is quoted in the
    /// status email.
    pub note: Option<String>,
    /// Who may read `note`. INTERNAL (staff only) keeps it from the
    /// partner: it is stored as an INTERNAL comment, not on the event, and
    /// not emailed.
    #[graphql(default_with = "CommentVisibility::Public")]
    pub note_visibility: CommentVisibility,
    /// The `version` of the ticket the screen shows; if the ticket changed
    /// since, nothing is written and the answer is CONFLICT.
    pub expected_version: Option<i32>,
}

/// The moved ticket.
#[derive(SimpleObject)]
pub struct TransitionTicketPayload {
    /// The ticket, with its new status and `version`.
    pub ticket: Ticket,
}

/// What staff record when a laptop leaves (`shipOrder`).
#[derive(InputObject)]
pub struct ShipOrderInput {
    /// The READY_TO_SHIP laptop order's ticket.
    pub ticket_id: ID,
    /// The device shipped, as printed on the invoice (≤ 200 characters).
    pub device_model: String,
    /// The device's serial number (≤ 100 characters).
    pub serial_number: String,
    /// When it left; not more than an hour in the future.
    pub shipped_at: DateTime<Utc>,
    /// The carrier's tracking number (≤ 100 characters), told to the
    /// partner in the ticket's history.
    pub tracking_number: Option<String>,
    /// The `version` of the ticket the screen shows; if the ticket changed
    /// since, nothing is written and the answer is CONFLICT.
    pub expected_version: Option<i32>,
}

/// The shipped order's ticket.
#[derive(SimpleObject)]
pub struct ShipOrderPayload {
    /// The ticket, now READY_FOR_BILLING.
    pub ticket: Ticket,
}

/// The added comment.
#[derive(SimpleObject)]
pub struct AddCommentPayload {
    /// The new comment.
    pub comment: Comment,
}

#[derive(Default)]
pub struct TicketsMutation;

#[Object]
impl TicketsMutation {
    /// Orders a laptop: registers a LAPTOP_ORDER ticket in REVIEW with its
    /// order (and certificate). Every invalid field is reported at once,
    /// and nothing is written then.
    async fn order_laptop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The recipient, the delivery address and the certificate.")]
        input: OrderLaptopInput,
    ) -> AppResult<TicketPayload> {
        let scope = ctx.scope()?;
        let organisation_id = input
            .organisation_id
            .as_ref()
            .map(|id| relay::parse_global_id(id, ORGANISATION, "input.organisationId"))
            .transpose()?;
        let raw = RawOrder {
            recipient_name: input.recipient_name,
            street: input.street,
            postal_code: input.postal_code,
            city: input.city,
            country: input.country,
            phone: input.phone,
            internal_reference: input.internal_reference,
            for_learning: input.for_learning,
            comment: input.comment,
            has_certificate: input.certificate.is_some(),
        };
        let certificate = input
            .certificate
            .as_ref()
            .map(|upload| attachments::upload::prepare_upload(ctx, upload, "input.certificate"));
        // Both the form and the file are checked before anything is
        // written, and their errors are reported together.
        let mut errors = FieldErrors::new();
        let order = ParsedOrder::check(raw, &mut errors);
        let certificate = errors.collect(certificate.transpose())?;
        let (Some(order), Some(certificate)) = (order, certificate) else {
            return Err(errors.into_error());
        };
        let (order, certificate) = errors.finish((order, certificate))?;
        let ticket = service::order_laptop(
            ctx.state()?,
            scope,
            service::NewOrder {
                organisation_id,
                order,
                certificate,
            },
        )
        .await?;
        Ok(TicketPayload {
            ticket: Ticket(ticket),
        })
    }

    /// Asks the provider a question: registers a ticket of kind OTHER in
    /// REVIEW, which reaches the staff queue, with its optional file. Every
    /// invalid field is reported at once, and nothing is written then.
    async fn ask_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question, and the file that goes with it.")] input: AskQuestionInput,
    ) -> AppResult<TicketPayload> {
        let scope = ctx.scope()?;
        let mut errors = FieldErrors::new();
        let organisation_id = input
            .organisation_id
            .as_ref()
            .map(|id| relay::parse_global_id(id, ORGANISATION, "input.organisationId"));
        let organisation_id = errors.collect(organisation_id.transpose())?;
        let subject = errors.check("input.subject", single_line(&input.subject, 200));
        let description = errors.check("input.description", multi_line(&input.description, 10_000));
        let attachment = input
            .attachment
            .as_ref()
            .map(|upload| attachments::upload::prepare_upload(ctx, upload, "input.attachment"));
        let attachment = errors.collect(attachment.transpose())?;
        let (Some(organisation_id), Some(subject), Some(description), Some(attachment)) =
            (organisation_id, subject, description, attachment)
        else {
            return Err(errors.into_error());
        };
        let question = errors.finish(service::NewQuestion {
            organisation_id,
            subject,
            description,
            attachment,
        })?;
        let ticket = service::ask_question(ctx.state()?, scope, question).await?;
        Ok(TicketPayload {
            ticket: Ticket(ticket),
        })
    }

    /// Moves a ticket to QUEUED, back to REVIEW, or to READY_TO_SHIP
    /// (staff), with an optional note. READY_FOR_BILLING is reached with
    /// `shipOrder`, CANCELLED with `cancelTicket`, BILLED by paying the
    /// invoice. A step the workflow has no place for is a CONFLICT; a step
    /// the viewer's role may not take is FORBIDDEN; an unknown or hidden
    /// ticket is NOT_FOUND.
    async fn transition_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket, the status to move it to, and the note.")]
        input: TransitionTicketInput,
    ) -> AppResult<TransitionTicketPayload> {
        let ticket_id = relay::parse_global_id(&input.ticket_id, TYPE_NAME, "input.ticketId")?;
        let action = match input.to {
            TicketStatus::Queued => Action::Queue,
            TicketStatus::Review => Action::ReturnToReview,
            TicketStatus::ReadyToShip => Action::Approve,
            TicketStatus::ReadyForBilling => {
                return Err(AppError::validation(
                    "input.to",
                    Invalid::not_allowed("a ticket is marked shipped with shipOrder"),
                ));
            }
            TicketStatus::Cancelled => {
                return Err(AppError::validation(
                    "input.to",
                    Invalid::not_allowed("a ticket is cancelled with cancelTicket and a reason"),
                ));
            }
            TicketStatus::Billed => {
                return Err(AppError::validation(
                    "input.to",
                    Invalid::not_allowed("a ticket is billed when its invoice is paid"),
                ));
            }
        };
        let note = optional_single_line(input.note.as_deref(), MAX_NOTE_CHARS)
            .map_err(|m| AppError::validation("input.note", m))?;
        let (note, internal_note) = match input.note_visibility {
            CommentVisibility::Public => (note, None),
            CommentVisibility::Internal => (None, note),
        };
        let step_ = service::Step::Move {
            action,
            note: note.map(crate::i18n::EventNote::Written),
            internal_note,
        };
        let ticket = step(ctx, ticket_id, step_, input.expected_version).await?;
        Ok(TransitionTicketPayload { ticket })
    }

    /// Cancels a ticket, with a reason (≤ 2,000 characters, shown to the
    /// partner): partners while it is in REVIEW or QUEUED, staff until it
    /// ships. An unknown or hidden ticket is NOT_FOUND.
    async fn cancel_ticket(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket to cancel.")] ticket_id: ID,
        #[graphql(desc = "Why (≤ 2,000 characters); the partner reads it.")] reason: String,
        #[graphql(
            desc = "The `version` of the ticket the screen shows; if the ticket changed since, nothing is written and the answer is CONFLICT."
        )]
        expected_version: Option<i32>,
    ) -> AppResult<TicketPayload> {
        let row_id = relay::parse_global_id(&ticket_id, TYPE_NAME, "ticketId")?;
        let reason =
            multi_line(&reason, MAX_NOTE_CHARS).map_err(|m| AppError::validation("reason", m))?;
        let ticket = step(
            ctx,
            row_id,
            service::Step::Cancel { reason },
            expected_version,
        )
        .await?;
        Ok(TicketPayload { ticket })
    }

    /// Records that the laptop of a READY_TO_SHIP order left (staff): the
    /// only way to READY_FOR_BILLING. Every invalid field is reported at
    /// once; an unknown or hidden ticket is NOT_FOUND.
    async fn ship_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's ticket and what left with it.")] input: ShipOrderInput,
    ) -> AppResult<ShipOrderPayload> {
        let row_id = relay::parse_global_id(&input.ticket_id, TYPE_NAME, "input.ticketId")?;
        let now = ctx.state()?.clock.now();
        let shipment = service::Shipment::parse(
            &input.device_model,
            &input.serial_number,
            input.shipped_at,
            input.tracking_number.as_deref(),
            now,
        )?;
        let ticket = step(
            ctx,
            row_id,
            service::Step::Ship(shipment),
            input.expected_version,
        )
        .await?;
        Ok(ShipOrderPayload { ticket })
    }

    /// Reports a problem with a delivered laptop (damaged, lost): opens a
    /// DELIVERY_ISSUE ticket linked to the order's ticket.
    async fn report_delivery_issue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket of the delivered order.")] ticket_id: ID,
        #[graphql(desc = "What is wrong: 1 to 10,000 characters, line breaks allowed.")]
        description: String,
    ) -> AppResult<TicketPayload> {
        let row_id = relay::parse_global_id(&ticket_id, TYPE_NAME, "ticketId")?;
        let ticket =
            service::report_delivery_issue(ctx.state()?, ctx.scope()?, row_id, &description)
                .await?;
        Ok(TicketPayload {
            ticket: Ticket(ticket),
        })
    }

    /// Adds a comment (1 to 10,000 characters, plain text). Partners write
    /// PUBLIC comments only; staff may write INTERNAL notes.
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticket to comment on.")] ticket_id: ID,
        #[graphql(
            desc = "The comment: 1 to 10,000 characters of plain text, line breaks allowed."
        )]
        body: String,
        #[graphql(
            default_with = "CommentVisibility::Public",
            desc = "Who may read it: PUBLIC (everyone who sees the ticket) or INTERNAL (staff only)."
        )]
        visibility: CommentVisibility,
    ) -> AppResult<AddCommentPayload> {
        let row_id = relay::parse_global_id(&ticket_id, TYPE_NAME, "ticketId")?;
        let comment =
            service::add_comment(ctx.state()?, ctx.scope()?, row_id, &body, visibility.into())
                .await?;
        Ok(AddCommentPayload {
            comment: Comment(comment),
        })
    }
}

async fn step(
    ctx: &Context<'_>,
    ticket_id: i64,
    step: service::Step,
    expected_version: Option<i32>,
) -> AppResult<Ticket> {
    let ticket = service::apply_step(
        ctx.state()?,
        ctx.scope()?,
        ticket_id,
        step,
        expected_version,
    )
    .await?;
    Ok(Ticket(ticket))
}
