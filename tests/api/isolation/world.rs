//! Random worlds: a proptest strategy for a world's description, and its
//! insertion with SeaORM entities (one transaction, no GraphQL, no hashing).
//!
//! A world is the provider (an ADMIN, a STAFF, maybe one more of either),
//! one to three partner organisations of random ticket visibility (each
//! with a PARTNER_MEMBER first, then up to two more members or managers;
//! the first partner always has a manager), 0–6 tickets per partner and
//! 0–2 on the provider, by random creators (a user of the organisation, or
//! staff ordering on its behalf), in random statuses and kinds:
//! LAPTOP_ORDER tickets carry an order, DELIVERY_ISSUE ones may point at an
//! earlier order of the organisation. Each ticket gets 0–2 comments (PUBLIC
//! by anyone, INTERNAL by staff only, as the API allows), 0–3 events (actor:
//! a user of the organisation, staff, or the system) and 0–2 attachments
//! (mostly none or one) whose bytes are stored; users send feedback;
//! partners get invoices with lines for some of their orders. Shipping
//! delays, device models, invoice totals and dates, and feedback dates vary
//! with the generated values (for the reports), spread over several months
//! and quarters. Each partner organisation has one outbox email, the
//! worlds taking the delivery states in turn. Every name, email and reference carries the world's serial
//! number, so worlds share one database.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use entity::enums;
use entity::{
    attachments, comments, email_outbox, feedback, invoice_lines, invoices, organisations,
    ticket_events, users,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait as _, DatabaseTransaction, TransactionTrait as _};
use sha2::Digest as _;

use super::model::{
    AttachmentRow, CommentRow, CommentVisibility, EmailRow, EventRow, FeedbackRow, InvoiceFacts,
    InvoiceLineRow, InvoiceRow, Kind, Model, OrderFacts, OrganisationRow, Role, Status, TicketRow,
    UserRow, Visibility,
};
use crate::helpers::{OrderFixture, TestApp, TicketFixture, pdf};

/// Who does something on a ticket: a user of the ticket's organisation, or
/// a staff member.
#[derive(Debug, Clone)]
pub struct Pick {
    pub staff: bool,
    pub who: Index,
}

#[derive(Debug, Clone)]
pub struct CommentSpec {
    /// INTERNAL: then the author is staff, whatever `author.staff` says.
    pub internal: bool,
    pub author: Pick,
}

#[derive(Debug, Clone)]
pub struct TicketSpec {
    pub creator: Pick,
    pub kind: Kind,
    pub status: Status,
    pub minute: u16,
    pub internal_reference: bool,
    pub recipient: Index,
    /// For a DELIVERY_ISSUE: which earlier order of the organisation.
    pub related: Option<Index>,
    pub comments: Vec<CommentSpec>,
    /// Each event's actor; `None` for the system.
    pub events: Vec<Option<Pick>>,
    pub attachments: Vec<Pick>,
}

#[derive(Debug, Clone)]
pub struct InvoiceSpec {
    pub paid: bool,
    pub lines: Vec<Index>,
}

#[derive(Debug, Clone)]
pub struct PartnerSpec {
    pub visibility: Visibility,
    /// After the first user (a member): `true` for a manager.
    pub more_users: Vec<bool>,
    pub tickets: Vec<TicketSpec>,
    pub invoices: Vec<InvoiceSpec>,
}

#[derive(Debug, Clone)]
pub struct WorldSpec {
    /// After an ADMIN and a STAFF: `true` for another ADMIN.
    pub more_staff: Vec<bool>,
    pub partners: Vec<PartnerSpec>,
    pub provider_tickets: Vec<TicketSpec>,
    /// Authors, among every user of the world.
    pub feedback: Vec<Index>,
}

fn pick() -> impl Strategy<Value = Pick> {
    (proptest::bool::weighted(0.3), any::<Index>()).prop_map(|(staff, who)| Pick { staff, who })
}

fn comment() -> impl Strategy<Value = CommentSpec> {
    (proptest::bool::weighted(0.4), pick())
        .prop_map(|(internal, author)| CommentSpec { internal, author })
}

fn ticket() -> impl Strategy<Value = TicketSpec> {
    (
        pick(),
        select(Kind::ALL.to_vec()),
        select(Status::ALL.to_vec()),
        0u16..1440,
        any::<bool>(),
        any::<Index>(),
        proptest::option::weighted(0.8, any::<Index>()),
        vec(comment(), 0..=2),
        vec(proptest::option::weighted(0.8, pick()), 0..=3),
        // Mostly none or one file per ticket.
        prop_oneof![3 => 0..1usize, 2 => 1..2usize, 1 => 2..3usize]
            .prop_flat_map(|n| vec(pick(), n)),
    )
        .prop_map(
            |(
                creator,
                kind,
                status,
                minute,
                internal_reference,
                recipient,
                related,
                comments,
                events,
                attachments,
            )| TicketSpec {
                creator,
                kind,
                status,
                minute,
                internal_reference,
                recipient,
                related,
                comments,
                events,
                attachments,
            },
        )
}

fn partner() -> impl Strategy<Value = PartnerSpec> {
    (
        prop_oneof![
            Just(Visibility::CreatorOnly),
            Just(Visibility::Organisation)
        ],
        vec(proptest::bool::weighted(0.35), 0..=2),
        vec(ticket(), 0..=6),
        vec(
            (any::<bool>(), vec(any::<Index>(), 0..=3))
                .prop_map(|(paid, lines)| InvoiceSpec { paid, lines }),
            0..=2,
        ),
    )
        .prop_map(|(visibility, more_users, tickets, invoices)| PartnerSpec {
            visibility,
            more_users,
            tickets,
            invoices,
        })
}

/// The strategy of a world.
pub fn world() -> impl Strategy<Value = WorldSpec> {
    (
        vec(any::<bool>(), 0..=1),
        vec(partner(), 1..=3),
        vec(ticket(), 0..=2),
        vec(any::<Index>(), 0..=5),
    )
        .prop_map(
            |(more_staff, partners, provider_tickets, feedback)| WorldSpec {
                more_staff,
                partners,
                provider_tickets,
                feedback,
            },
        )
}

/// What one world inserted (ids), in insertion order.
#[derive(Debug, Default, Clone)]
pub struct Inserted {
    pub serial: u64,
    pub organisations: Vec<i64>,
    pub users: Vec<users::Model>,
    pub tickets: Vec<i64>,
    pub comments: Vec<i64>,
    pub events: Vec<i64>,
    pub attachments: Vec<i64>,
    pub feedback: Vec<i64>,
    pub invoices: Vec<i64>,
    pub invoice_lines: Vec<i64>,
    /// When the world's first ticket could have been created.
    pub start: DateTime<Utc>,
}

const MODELS: [&str; 3] = [
    "Dell Latitude 5490",
    "HP EliteBook 840",
    "Lenovo ThinkPad T480",
];

const RECIPIENTS: [&str; 5] = [
    "Amina Haddad",
    "Jonas Wyss",
    "Lea Meier",
    "Noah Rossi",
    "Sara Keller",
];

/// Inserts the world `spec` as world number `serial`, and records every row
/// in `model`.
pub async fn insert(
    app: &TestApp,
    spec: &WorldSpec,
    serial: u64,
    model: &mut Model,
) -> Result<Inserted, sea_orm::DbErr> {
    let txn = app.state.db.begin().await?;
    let start = Utc
        .with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
        .single()
        .expect("a valid date")
        + Duration::days(serial as i64);
    let mut w = Writer {
        txn: &txn,
        model,
        serial,
        start,
        out: Inserted {
            serial,
            start,
            ..Default::default()
        },
        tickets_made: 0,
        storage: app.state.storage.as_ref(),
        blobs: Vec::new(),
    };

    let provider = w
        .organisation("Provider", true, Visibility::Organisation, 0)
        .await?;
    let mut staff = vec![
        w.user(provider, Role::Admin, "Admin").await?,
        w.user(provider, Role::Staff, "Staff").await?,
    ];
    for (i, admin) in spec.more_staff.iter().enumerate() {
        let role = if *admin { Role::Admin } else { Role::Staff };
        staff.push(w.user(provider, role, &format!("Staff {i}")).await?);
    }

    let mut everyone = staff.clone();
    let mut partners = Vec::new();
    for (p, partner) in spec.partners.iter().enumerate() {
        let org = w
            .organisation(&format!("Partner {p}"), false, partner.visibility, p + 1)
            .await?;
        let mut members = vec![
            w.user(org, Role::PartnerMember, &format!("P{p} Member"))
                .await?,
        ];
        let mut more = partner.more_users.clone();
        if p == 0 {
            more.insert(0, true);
        }
        for (i, manager) in more.iter().enumerate() {
            let (role, label) = if *manager {
                (Role::PartnerManager, "Manager")
            } else {
                (Role::PartnerMember, "Member")
            };
            members.push(w.user(org, role, &format!("P{p} {label} {i}")).await?);
        }
        everyone.extend(members.iter().copied());
        partners.push((org, members));
    }

    for (p, partner) in spec.partners.iter().enumerate() {
        let (org, members) = &partners[p];
        let orders = w.tickets(*org, members, &staff, &partner.tickets).await?;
        for invoice in &partner.invoices {
            w.invoice(*org, &orders, invoice).await?;
        }
    }
    w.tickets(provider, &staff, &staff, &spec.provider_tickets)
        .await?;

    for author in &spec.feedback {
        let author = *author.get(&everyone);
        w.feedback(author).await?;
    }
    for (org, members) in &partners {
        w.email(*org, members[0]).await?;
    }

    let blobs = std::mem::take(&mut w.blobs);
    let out = w.out;
    txn.commit().await?;
    for (sha, bytes) in blobs {
        app.state
            .storage
            .put(&sha, &bytes)
            .await
            .map_err(|e| sea_orm::DbErr::Custom(format!("storing a blob: {e}")))?;
    }
    Ok(out)
}

struct Writer<'a> {
    txn: &'a DatabaseTransaction,
    model: &'a mut Model,
    serial: u64,
    start: DateTime<Utc>,
    out: Inserted,
    tickets_made: u64,
    blobs: Vec<(String, Vec<u8>)>,
    /// Where the app keeps files: the keys are its own.
    storage: &'a dyn partnerdesk::attachments::storage::Storage,
}

impl Writer<'_> {
    async fn organisation(
        &mut self,
        label: &str,
        is_provider: bool,
        visibility: Visibility,
        n: usize,
    ) -> Result<i64, sea_orm::DbErr> {
        let name = format!("W{} {label}", self.serial);
        let billing_email = format!("billing{n}@w{}.example", self.serial);
        let price = 20_000 + n as i64 * 100;
        let row = organisations::ActiveModel {
            name: Set(name.clone()),
            kind: Set(if is_provider {
                enums::OrganisationKind::Provider
            } else {
                enums::OrganisationKind::Partner
            }),
            ticket_visibility: Set(match visibility {
                Visibility::CreatorOnly => enums::TicketVisibility::CreatorOnly,
                Visibility::Organisation => enums::TicketVisibility::Organisation,
            }),
            billing_mode: Set(if n.is_multiple_of(2) {
                enums::BillingMode::PerOrder
            } else {
                enums::BillingMode::Quarterly
            }),
            billing_email: Set(Some(billing_email.clone())),
            billing_address: Set(Some(format!("Rue {n}, 1000 Lausanne"))),
            price_standard_cents: Set(price),
            price_learning_cents: Set(price + 10_000),
            locale: Set(enums::Locale::Fr),
            vat_rate_bp: Set(810),
            created_at: Set(self.start),
            updated_at: Set(self.start),
            archived_at: Set(None),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.model.organisations.insert(
            row.id,
            OrganisationRow {
                name,
                is_provider,
                visibility,
                billing_email,
                standard_price_cents: price,
            },
        );
        self.out.organisations.push(row.id);
        Ok(row.id)
    }

    async fn user(
        &mut self,
        organisation: i64,
        role: Role,
        label: &str,
    ) -> Result<i64, sea_orm::DbErr> {
        let n = self.out.users.len();
        let display_name = format!("W{} {label}", self.serial);
        let email = format!("w{}.u{n}@isolation.example", self.serial);
        // Every other staff user opted in, so that the field rule is
        // checked on both values.
        let staff_notifications = matches!(role, Role::Staff | Role::Admin) && n.is_multiple_of(2);
        let row = users::ActiveModel {
            organisation_id: Set(organisation),
            email: Set(email.clone()),
            display_name: Set(display_name.clone()),
            password_hash: Set(None),
            role: Set(match role {
                Role::PartnerMember => enums::Role::PartnerMember,
                Role::PartnerManager => enums::Role::PartnerManager,
                Role::Staff => enums::Role::Staff,
                Role::Admin => enums::Role::Admin,
            }),
            locale: Set(enums::Locale::Fr),
            is_active: Set(true),
            token_version: Set(0),
            staff_notifications: Set(staff_notifications),
            last_login_at: Set(None),
            created_at: Set(self.start),
            updated_at: Set(self.start),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.model.users.insert(
            row.id,
            UserRow {
                id: row.id,
                organisation,
                role,
                display_name,
                email,
                staff_notifications,
            },
        );
        self.out.users.push(row.clone());
        Ok(row.id)
    }

    fn choose(pick: &Pick, members: &[i64], staff: &[i64]) -> i64 {
        if pick.staff {
            *pick.who.get(staff)
        } else {
            *pick.who.get(members)
        }
    }

    /// Inserts the tickets of one organisation; returns its orders as
    /// (order id, ticket id).
    async fn tickets(
        &mut self,
        organisation: i64,
        members: &[i64],
        staff: &[i64],
        specs: &[TicketSpec],
    ) -> Result<Vec<(i64, i64)>, sea_orm::DbErr> {
        let mut orders_made: Vec<(i64, i64)> = Vec::new();
        for spec in specs {
            self.tickets_made += 1;
            let number = self.serial * 100 + self.tickets_made;
            let created_by = Self::choose(&spec.creator, members, staff);
            let created_at = self.start + Duration::minutes(i64::from(spec.minute));
            let related = match (spec.kind, &spec.related) {
                (Kind::DeliveryIssue, Some(index)) if !orders_made.is_empty() => {
                    Some(index.get(&orders_made).1)
                }
                _ => None,
            };
            let reference = format!("GEM-{number}");
            let internal_reference = spec
                .internal_reference
                .then(|| format!("Case-{}_{number}", self.serial));
            let recipient = (spec.kind == Kind::LaptopOrder)
                .then(|| spec.recipient.get(&RECIPIENTS).to_string());
            let updated_at = created_at + Duration::hours(i64::from(spec.minute % 7));
            // Shipping takes from half an hour to about three months, so
            // that lead times differ and shipments fall into many buckets.
            let shipped_at = (recipient.is_some() && spec.status.shipped())
                .then(|| created_at + Duration::minutes(30 + i64::from(spec.minute) * 97));
            let for_learning = recipient.is_some().then(|| spec.minute.is_multiple_of(2));
            let (row, order) = TicketFixture {
                organisation_id: organisation,
                created_by_id: created_by,
                reference: reference.clone(),
                kind: match spec.kind {
                    Kind::LaptopOrder => enums::TicketKind::LaptopOrder,
                    Kind::DeliveryIssue => enums::TicketKind::DeliveryIssue,
                    Kind::Other => enums::TicketKind::Other,
                },
                status: match spec.status {
                    Status::Review => enums::TicketStatus::Review,
                    Status::Queued => enums::TicketStatus::Queued,
                    Status::ReadyToShip => enums::TicketStatus::ReadyToShip,
                    Status::ReadyForBilling => enums::TicketStatus::ReadyForBilling,
                    Status::Billed => enums::TicketStatus::Billed,
                    Status::Cancelled => enums::TicketStatus::Cancelled,
                },
                subject: format!("Ticket {number}"),
                description: (spec.kind != Kind::LaptopOrder).then(|| format!("About {reference}")),
                internal_reference: internal_reference.clone(),
                related_ticket_id: related,
                created_at,
                updated_at,
                order: recipient.clone().map(|recipient_name| OrderFixture {
                    recipient_name,
                    for_learning: spec.minute.is_multiple_of(2),
                    shipped: shipped_at.map(|at| {
                        (
                            MODELS[usize::from(spec.minute) % MODELS.len()].to_owned(),
                            format!("SN{number}"),
                            at,
                        )
                    }),
                }),
            }
            .insert(self.txn)
            .await?;
            if let Some(order) = order {
                self.model.order_facts.insert(
                    order.id,
                    OrderFacts {
                        ticket: row.id,
                        created_at,
                        for_learning: order.for_learning,
                        shipped: order.device_model.clone().zip(order.shipped_at),
                    },
                );
                self.model.orders.insert(row.id, order.id);
                orders_made.push((order.id, row.id));
            }
            self.model.tickets.insert(
                row.id,
                TicketRow {
                    id: row.id,
                    organisation,
                    created_by,
                    kind: spec.kind,
                    status: spec.status,
                    reference,
                    internal_reference,
                    created_at,
                    updated_at,
                    related,
                    recipient,
                    for_learning,
                    shipped_at,
                },
            );
            self.out.tickets.push(row.id);

            let mut at = created_at;
            for comment in &spec.comments {
                at += Duration::minutes(1);
                let visibility = if comment.internal {
                    CommentVisibility::Internal
                } else {
                    CommentVisibility::Public
                };
                let author = if comment.internal {
                    *comment.author.who.get(staff)
                } else {
                    Self::choose(&comment.author, members, staff)
                };
                let c = comments::ActiveModel {
                    organisation_id: Set(organisation),
                    ticket_id: Set(row.id),
                    author_id: Set(author),
                    body: Set(format!("{} note on {number}", visibility.graphql())),
                    visibility: Set(match visibility {
                        CommentVisibility::Public => enums::CommentVisibility::Public,
                        CommentVisibility::Internal => enums::CommentVisibility::Internal,
                    }),
                    created_at: Set(at),
                    ..Default::default()
                }
                .insert(self.txn)
                .await?;
                self.model.add_comment(CommentRow {
                    id: c.id,
                    ticket: row.id,
                    author,
                    visibility,
                });
                self.out.comments.push(c.id);
            }
            for (i, actor) in spec.events.iter().enumerate() {
                at += Duration::minutes(1);
                let actor = actor.as_ref().map(|p| Self::choose(p, members, staff));
                let (kind, from, to) = if i == 0 {
                    (
                        enums::TicketEventKind::Created,
                        None,
                        Some(enums::TicketStatus::Review),
                    )
                } else {
                    (
                        enums::TicketEventKind::StatusChanged,
                        Some(enums::TicketStatus::Review),
                        Some(enums::TicketStatus::Queued),
                    )
                };
                let e = ticket_events::ActiveModel {
                    organisation_id: Set(organisation),
                    ticket_id: Set(row.id),
                    actor_id: Set(actor),
                    kind: Set(kind),
                    from_status: Set(from),
                    to_status: Set(to),
                    note: Set(Some(format!("step {i}"))),
                    created_at: Set(at),
                    ..Default::default()
                }
                .insert(self.txn)
                .await?;
                self.model.add_event(EventRow {
                    id: e.id,
                    ticket: row.id,
                    actor,
                });
                self.out.events.push(e.id);
            }
            for uploader in &spec.attachments {
                at += Duration::minutes(1);
                let uploaded_by = Self::choose(uploader, members, staff);
                // Distinct bytes for every file: a comment after the PDF.
                let mut bytes = pdf(0);
                bytes.extend(
                    format!(
                        "% world {} ticket {number} file {}\n",
                        self.serial,
                        self.blobs.len()
                    )
                    .into_bytes(),
                );
                let sha = hex::encode(sha2::Sha256::digest(&bytes));
                let a = attachments::ActiveModel {
                    organisation_id: Set(organisation),
                    ticket_id: Set(row.id),
                    uploaded_by_id: Set(uploaded_by),
                    file_name: Set(format!("certificate-{number}.pdf")),
                    content_type: Set("application/pdf".to_owned()),
                    size_bytes: Set(bytes.len() as i64),
                    sha256: Set(sha.clone()),
                    storage_key: Set(self.storage.key_for(&sha)),
                    created_at: Set(at),
                    ..Default::default()
                }
                .insert(self.txn)
                .await?;
                self.model.add_attachment(AttachmentRow {
                    id: a.id,
                    ticket: row.id,
                    uploaded_by,
                    bytes: bytes.clone(),
                });
                self.out.attachments.push(a.id);
                self.blobs.push((sha, bytes));
            }
        }
        Ok(orders_made)
    }

    async fn invoice(
        &mut self,
        organisation: i64,
        orders_made: &[(i64, i64)],
        spec: &InvoiceSpec,
    ) -> Result<(), sea_orm::DbErr> {
        let number = format!(
            "{}-{:06}",
            2026,
            self.serial * 10 + self.out.invoices.len() as u64
        );
        let day = self.start.date_naive();
        // Spread over quarters, with totals of every size.
        let n = self.out.invoices.len() as i64;
        let issued_at = self.start + Duration::days(41 * n) + Duration::minutes(7 * n);
        let total_cents = 21_620 * (n + 1) + self.serial as i64;
        let invoice = invoices::ActiveModel {
            organisation_id: Set(organisation),
            number: Set(number),
            billing_mode: Set(enums::BillingMode::PerOrder),
            period_start: Set(day),
            period_end: Set(day),
            status: Set(if spec.paid {
                enums::InvoiceStatus::Paid
            } else {
                enums::InvoiceStatus::Issued
            }),
            currency: Set("CHF".to_owned()),
            subtotal_cents: Set(0),
            vat_rate_bp: Set(810),
            vat_cents: Set(0),
            total_cents: Set(total_cents),
            billing_email: Set(None),
            billing_address: Set(None),
            issued_at: Set(issued_at),
            paid_at: Set(spec.paid.then_some(issued_at)),
            voided_at: Set(None),
            void_reason: Set(None),
            created_at: Set(self.start),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.model
            .invoices
            .insert(invoice.id, InvoiceRow { organisation });
        self.model.invoice_facts.insert(
            invoice.id,
            InvoiceFacts {
                paid: spec.paid,
                total_cents,
                issued_at,
            },
        );
        self.out.invoices.push(invoice.id);
        if orders_made.is_empty() {
            return Ok(());
        }
        for index in &spec.lines {
            let (order, ticket) = *index.get(orders_made);
            // An order is on one live invoice at most (a unique index).
            let taken = self
                .model
                .invoice_lines
                .values()
                .any(|line| line.ticket == ticket);
            if taken {
                continue;
            }
            let reference = self.model.ticket(ticket).reference.clone();
            let line = invoice_lines::ActiveModel {
                organisation_id: Set(organisation),
                invoice_id: Set(invoice.id),
                order_id: Set(order),
                ticket_id: Set(ticket),
                reference: Set(reference),
                internal_reference: Set(None),
                entered_at: Set(self.start),
                shipped_at: Set(self.start),
                device_model: Set("Lenovo ThinkPad T480".to_owned()),
                delivery_address: Set("Lorrainestrasse 12, 3013 Bern".to_owned()),
                for_learning: Set(false),
                amount_cents: Set(20_000),
                is_live: Set(true),
                created_at: Set(self.start),
                ..Default::default()
            }
            .insert(self.txn)
            .await?;
            self.model.invoice_lines.insert(
                line.id,
                InvoiceLineRow {
                    invoice: invoice.id,
                    organisation,
                    ticket,
                },
            );
            self.out.invoice_lines.push(line.id);
        }
        Ok(())
    }

    async fn feedback(&mut self, author: i64) -> Result<(), sea_orm::DbErr> {
        let organisation = self.model.user(author).organisation;
        let n = self.out.feedback.len() as i64;
        // A month or so apart.
        let created_at = self.start + Duration::days(29 * n) + Duration::minutes(n);
        let row = feedback::ActiveModel {
            organisation_id: Set(organisation),
            author_id: Set(author),
            message: Set(format!(
                "Feedback {} of world {}",
                self.out.feedback.len(),
                self.serial
            )),
            created_at: Set(created_at),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.model.feedback_sent.insert(row.id, created_at);
        self.model.feedback.insert(
            row.id,
            FeedbackRow {
                organisation,
                author,
            },
        );
        self.out.feedback.push(row.id);
        Ok(())
    }

    /// An outbox email to `to`, in the next delivery state in turn.
    async fn email(&mut self, organisation: i64, to: i64) -> Result<(), sea_orm::DbErr> {
        use enums::EmailStatus as S;
        const STATES: [(S, &str); 4] = [
            (S::Pending, "PENDING"),
            (S::Sent, "SENT"),
            (S::Logged, "LOGGED"),
            (S::Dead, "DEAD"),
        ];
        let n = self.model.emails.len();
        let (status, name) = STATES[(n + self.serial as usize) % STATES.len()];
        let delivered = matches!(status, S::Sent | S::Logged);
        let row = email_outbox::ActiveModel {
            organisation_id: Set(organisation),
            user_id: Set(Some(to)),
            kind: Set(enums::EmailKind::StatusChanged),
            to_address: Set(self.model.user(to).email.clone()),
            locale: Set(enums::Locale::Fr),
            subject: Set(format!("Email {n} of world {}", self.serial)),
            body_text: Set("Bonjour\n".to_owned()),
            body_sealed: Set(None),
            attachment_name: Set(None),
            attachment_content_type: Set(None),
            attachment_body: Set(None),
            status: Set(status),
            attempts: Set(if status == S::Pending { 0 } else { 1 }),
            next_attempt_at: Set(self.start),
            leased_until: Set(None),
            last_error: Set((status == S::Dead).then(|| "550 no such user".to_owned())),
            created_at: Set(self.start + Duration::minutes(n as i64)),
            sent_at: Set(delivered.then_some(self.start)),
            ..Default::default()
        }
        .insert(self.txn)
        .await?;
        self.model.emails.insert(row.id, EmailRow { status: name });
        Ok(())
    }
}
