//! The rows of one planned ticket: the ticket, its order, its certificate,
//! its comments, its history and its invoice line, as the services would
//! have written them. The texts and the order's details come from the
//! ticket's own random stream (the seed and the ticket's number), so a
//! ticket's rows do not depend on how the tickets are batched.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{
    CommentVisibility, Locale, NoteTemplate, SubjectTemplate, TicketEventKind, TicketKind,
    TicketStatus,
};
use entity::{attachments, comments, invoice_lines, orders, ticket_events, tickets};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait as _, IntoActiveModel as _};

use super::plan::{Canceller, FIRST_NAMES, LAST_NAMES, Plan, TOWNS};
use crate::i18n::{self, EventNote};
use crate::invoices::billing;
use crate::tickets::service::subject;

/// The stored certificate every learning order carries.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
}

/// The next id of each table, as the rows are made.
#[derive(Debug, Clone)]
pub struct NextIds {
    pub order: i64,
    pub event: i64,
    pub comment: i64,
    pub attachment: i64,
}

impl Default for NextIds {
    fn default() -> Self {
        Self {
            order: 1,
            event: 1,
            comment: 1,
            attachment: 1,
        }
    }
}

/// The rows of a batch of tickets, by table.
#[derive(Debug, Default)]
pub struct Rows {
    pub tickets: Vec<tickets::ActiveModel>,
    pub orders: Vec<orders::ActiveModel>,
    pub attachments: Vec<attachments::ActiveModel>,
    pub events: Vec<ticket_events::ActiveModel>,
    pub comments: Vec<comments::ActiveModel>,
    pub invoice_lines: Vec<invoice_lines::ActiveModel>,
}

const STREETS: [&str; 12] = [
    "Lorrainestrasse",
    "Breitenrainplatz",
    "Rue de Genève",
    "Avenue de Morges",
    "Via Cattedrale",
    "Via Nassa",
    "Zähringerstrasse",
    "Chemin des Fleurettes",
    "Bahnhofstrasse",
    "Langstrasse",
    "Rue du Marché",
    "Via Trevano",
];

const DEVICE_MODELS: [&str; 6] = [
    "Lenovo ThinkPad T480",
    "HP EliteBook 840 G5",
    "Dell Latitude 7490",
    "Lenovo ThinkPad X390",
    "HP ProBook 450 G6",
    "Dell Latitude 5400",
];

const PARTNER_COMMENTS: [&str; 6] = [
    "Could the laptop come with a charger for Switzerland?",
    "The person can be reached in the mornings only.",
    "Is there any news on this request?",
    "Please deliver to our office instead; the person will pick it up here.",
    "Thank you, the laptop arrived and works well.",
    "Could you add a German keyboard?",
];

const STAFF_COMMENTS: [&str; 5] = [
    "Yes, every laptop ships with a Swiss charger.",
    "We expect new stock next week.",
    "The device is being prepared and ships in a few days.",
    "Noted, we changed the delivery address.",
    "Thank you for the feedback!",
];

const INTERNAL_NOTES: [&str; 4] = [
    "Internal: check stock of learning devices before confirming.",
    "Internal: battery replaced, test passed.",
    "Internal: partner asked twice, please prioritise.",
    "Internal: reserved a device from the next batch.",
];

const QUESTIONS: [(&str, &str); 4] = [
    (
        "Question about delivery times",
        "How long does a delivery usually take at the moment?",
    ),
    (
        "Certificate for a learning laptop",
        "Which documents count as a training certificate?",
    ),
    (
        "Change of our billing address",
        "Our billing address changes next month; what do you need from us?",
    ),
    (
        "Returning an old device",
        "Can we send back a laptop that is no longer used?",
    ),
];

/// One entry of the history before it gets its id.
struct Event {
    at: DateTime<Utc>,
    kind: TicketEventKind,
    actor: Option<i64>,
    from: Option<TicketStatus>,
    to: Option<TicketStatus>,
    note: Option<EventNote>,
}

/// Appends the rows of ticket `index` of `plan` to `rows`.
pub fn ticket_rows(
    plan: &Plan,
    index: usize,
    certificate: &Certificate,
    ids: &mut NextIds,
    rows: &mut Rows,
) {
    let t = &plan.tickets[index];
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    rng.set_stream(index as u64 + 1);
    let id = index as i64 + 1;
    let reference = format!("GEM-{id}");
    let org = &plan.organisations[t.org as usize];
    let creator = &plan.users[t.creator as usize];
    let staff_id = plan.users[t.staff as usize].id;
    let status = t.status(&plan.invoices);

    let mut events = vec![Event {
        at: t.created,
        kind: TicketEventKind::Created,
        actor: Some(creator.id),
        from: None,
        to: Some(TicketStatus::Review),
        note: None,
    }];
    let internal_reference = rng
        .random_bool(0.3)
        .then(|| format!("DOSS-{:05}", rng.random_range(1..100_000)));

    let mut question_title = String::new();
    let (catalogue_subject, description, internal_reference) = match t.kind {
        TicketKind::LaptopOrder => {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            let recipient = format!("{first} {last}");
            let (postal, town) = TOWNS[rng.random_range(0..TOWNS.len())];
            let shipped = t.shipped.map(|at| {
                (
                    at,
                    DEVICE_MODELS[rng.random_range(0..DEVICE_MODELS.len())].to_owned(),
                    format!("SN{:08}", rng.random_range(0..100_000_000)),
                    rng.random_bool(0.8).then(|| {
                        format!(
                            "99.00.{:06}.{:08}",
                            rng.random_range(100_000..1_000_000),
                            rng.random_range(0..100_000_000)
                        )
                    }),
                )
            });
            let order = orders::Model {
                id: ids.order,
                organisation_id: org.id,
                ticket_id: id,
                recipient_name: recipient.clone(),
                street: format!(
                    "{} {}",
                    STREETS[rng.random_range(0..STREETS.len())],
                    rng.random_range(1..120)
                ),
                postal_code: postal.to_owned(),
                city: town.to_owned(),
                country: "CH".to_owned(),
                phone: format!("+4179{:07}", rng.random_range(0..10_000_000)),
                for_learning: t.for_learning,
                comment: rng
                    .random_bool(0.1)
                    .then(|| "Bitte mit deutscher Tastatur.".to_owned()),
                device_model: shipped.as_ref().map(|s| s.1.clone()),
                serial_number: shipped.as_ref().map(|s| s.2.clone()),
                shipped_at: shipped.as_ref().map(|s| s.0),
                tracking_number: shipped.as_ref().and_then(|s| s.3.clone()),
                shipped_by_id: shipped.as_ref().map(|_| staff_id),
                created_at: t.created,
                updated_at: t.shipped.unwrap_or(t.created),
            };
            ids.order += 1;
            if t.has_certificate() {
                rows.attachments.push(attachments::ActiveModel {
                    id: Set(ids.attachment),
                    organisation_id: Set(org.id),
                    ticket_id: Set(id),
                    uploaded_by_id: Set(creator.id),
                    file_name: Set(certificate.file_name.clone()),
                    content_type: Set(certificate.content_type.clone()),
                    size_bytes: Set(certificate.size_bytes),
                    sha256: Set(certificate.sha256.clone()),
                    storage_key: Set(certificate.storage_key.clone()),
                    created_at: Set(t.created),
                });
                ids.attachment += 1;
                events.push(Event {
                    at: t.created,
                    kind: TicketEventKind::AttachmentAdded,
                    actor: Some(creator.id),
                    from: None,
                    to: None,
                    note: Some(EventNote::Written(certificate.file_name.clone())),
                });
            }
            if let Some(at) = t.shipped {
                events.push(Event {
                    at,
                    kind: TicketEventKind::Shipped,
                    actor: Some(staff_id),
                    from: Some(TicketStatus::ReadyToShip),
                    to: Some(TicketStatus::ReadyForBilling),
                    note: order
                        .tracking_number
                        .clone()
                        .map(|n| EventNote::Catalogue(NoteTemplate::TrackingNumber, n)),
                });
            }
            if let (Some(invoice), Some(line)) = (t.invoice, t.line) {
                let invoice_plan = &plan.invoices[invoice as usize];
                let prices = billing::Prices::of(org);
                rows.invoice_lines.push(invoice_lines::ActiveModel {
                    id: Set(i64::from(line) + 1),
                    organisation_id: Set(org.id),
                    invoice_id: Set(i64::from(invoice) + 1),
                    order_id: Set(order.id),
                    ticket_id: Set(id),
                    reference: Set(reference.clone()),
                    internal_reference: Set(internal_reference.clone()),
                    entered_at: Set(t.created),
                    shipped_at: Set(order.shipped_at.unwrap_or(t.created)),
                    device_model: Set(order.device_model.clone().unwrap_or_default()),
                    delivery_address: Set(billing::delivery_address(&order)),
                    for_learning: Set(t.for_learning),
                    amount_cents: Set(prices.line_amount(t.for_learning).get()),
                    is_live: Set(true),
                    created_at: Set(invoice_plan.issued),
                });
                events.push(Event {
                    at: invoice_plan.issued,
                    kind: TicketEventKind::Invoiced,
                    actor: invoice_plan.actor.map(|u| plan.users[u as usize].id),
                    from: None,
                    to: None,
                    note: Some(EventNote::Catalogue(
                        NoteTemplate::InvoiceIssued,
                        invoice_plan.number.clone(),
                    )),
                });
                if let Some((paid_at, recorder)) = invoice_plan.paid {
                    events.push(Event {
                        at: paid_at,
                        kind: TicketEventKind::StatusChanged,
                        actor: Some(plan.users[recorder as usize].id),
                        from: Some(TicketStatus::ReadyForBilling),
                        to: Some(TicketStatus::Billed),
                        note: Some(EventNote::Catalogue(
                            NoteTemplate::InvoicePaid,
                            invoice_plan.number.clone(),
                        )),
                    });
                }
            }
            // Every column set, the id included, for the multi-row insert.
            rows.orders.push(order.into_active_model().reset_all());
            (
                Some((SubjectTemplate::LaptopOrder, recipient)),
                None,
                internal_reference,
            )
        }
        TicketKind::DeliveryIssue => {
            let related = t.related.map_or(1, |r| i64::from(r) + 1);
            (
                Some((SubjectTemplate::DeliveryIssue, format!("GEM-{related}"))),
                Some("The screen arrived cracked.".to_owned()),
                internal_reference,
            )
        }
        TicketKind::Other => {
            let (title, body) = QUESTIONS[rng.random_range(0..QUESTIONS.len())];
            question_title = title.to_owned();
            (None, Some(body.to_owned()), None)
        }
    };
    if let Some(at) = t.queued {
        events.push(Event {
            at,
            kind: TicketEventKind::StatusChanged,
            actor: Some(staff_id),
            from: Some(TicketStatus::Review),
            to: Some(TicketStatus::Queued),
            note: Some(EventNote::Written("Waiting for stock".to_owned())),
        });
    }
    if let Some(at) = t.approved {
        events.push(Event {
            at,
            kind: TicketEventKind::StatusChanged,
            actor: Some(staff_id),
            from: Some(
                t.queued
                    .map_or(TicketStatus::Review, |_| TicketStatus::Queued),
            ),
            to: Some(TicketStatus::ReadyToShip),
            note: None,
        });
    }
    if let Some((at, by)) = t.cancelled {
        let from = if t.approved.is_some() {
            TicketStatus::ReadyToShip
        } else if t.queued.is_some() {
            TicketStatus::Queued
        } else {
            TicketStatus::Review
        };
        let (actor, note) = match by {
            Canceller::Partner => (creator.id, "Withdrawn: the person found a device elsewhere"),
            Canceller::Staff => (staff_id, "Closed by the provider"),
        };
        events.push(Event {
            at,
            kind: TicketEventKind::StatusChanged,
            actor: Some(actor),
            from: Some(from),
            to: Some(TicketStatus::Cancelled),
            note: Some(EventNote::Written(note.to_owned())),
        });
    }

    // Comments, within two months of the ticket's opening and before the
    // end of the history; partners write PUBLIC ones, staff both.
    let window = (plan.end - t.created)
        .min(Duration::days(60))
        .num_seconds()
        .max(2);
    let colleagues = plan.org_users[t.org as usize].clone();
    let mut ticket_comments = Vec::with_capacity(t.comments as usize);
    for k in 0..t.comments {
        let at = t.created + Duration::seconds(rng.random_range(1..window));
        let (author, body, visibility) = if k < t.internal {
            (
                staff_id,
                INTERNAL_NOTES[rng.random_range(0..INTERNAL_NOTES.len())],
                CommentVisibility::Internal,
            )
        } else if rng.random_bool(0.5) {
            let author = if org.ticket_visibility == entity::enums::TicketVisibility::Organisation
                && rng.random_bool(0.3)
            {
                plan.users[rng.random_range(colleagues.clone())].id
            } else {
                creator.id
            };
            (
                author,
                PARTNER_COMMENTS[rng.random_range(0..PARTNER_COMMENTS.len())],
                CommentVisibility::Public,
            )
        } else {
            (
                staff_id,
                STAFF_COMMENTS[rng.random_range(0..STAFF_COMMENTS.len())],
                CommentVisibility::Public,
            )
        };
        ticket_comments.push((at, author, body, visibility));
    }
    ticket_comments.sort_by_key(|c| c.0);
    for (at, author, body, visibility) in ticket_comments {
        rows.comments.push(comments::ActiveModel {
            id: Set(ids.comment),
            organisation_id: Set(org.id),
            ticket_id: Set(id),
            author_id: Set(author),
            body: Set(body.to_owned()),
            visibility: Set(visibility),
            created_at: Set(at),
        });
        ids.comment += 1;
        if visibility == CommentVisibility::Public {
            events.push(Event {
                at,
                kind: TicketEventKind::Commented,
                actor: Some(author),
                from: None,
                to: None,
                note: None,
            });
        }
    }

    // The history in the order it happened (stable for equal times: the
    // order the services write in).
    events.sort_by_key(|e| e.at);
    let mut version = 0;
    let mut status_changed_at = t.created;
    let mut updated_at = t.created;
    for event in events {
        if event.kind != TicketEventKind::Created && event.to.is_some() {
            version += 1;
            status_changed_at = event.at;
        }
        updated_at = updated_at.max(event.at);
        rows.events.push(ticket_events::ActiveModel {
            id: Set(ids.event),
            organisation_id: Set(org.id),
            ticket_id: Set(id),
            actor_id: Set(event.actor),
            kind: Set(event.kind),
            from_status: Set(event.from),
            to_status: Set(event.to),
            // As the services store it: a catalogue note also worded in
            // English, for whoever reads the table itself.
            note: Set(event
                .note
                .as_ref()
                .map(|n| n.render(Locale::En).into_owned())),
            note_template: Set(event
                .note
                .as_ref()
                .and_then(|n| n.template())
                .map(|(t, _)| t)),
            note_param: Set(event
                .note
                .as_ref()
                .and_then(|n| n.template())
                .map(|(_, p)| p.to_owned())),
            created_at: Set(event.at),
        });
        ids.event += 1;
    }
    // A server-written subject is stored worded in the creator's language
    // (for search) with its template; a question's is the asker's own.
    let ticket_subject = match &catalogue_subject {
        Some((template, param)) => subject(&i18n::subject(*template, param, creator.locale)),
        None => question_title,
    };
    rows.tickets.push(tickets::ActiveModel {
        id: Set(id),
        organisation_id: Set(org.id),
        reference: Set(reference),
        created_by_id: Set(creator.id),
        kind: Set(t.kind),
        status: Set(status),
        subject: Set(ticket_subject),
        subject_template: Set(catalogue_subject.as_ref().map(|(t, _)| *t)),
        subject_param: Set(catalogue_subject.map(|(_, p)| p)),
        description: Set(description),
        internal_reference: Set(internal_reference),
        related_ticket_id: Set(t.related.map(|r| i64::from(r) + 1)),
        version: Set(version),
        created_at: Set(t.created),
        updated_at: Set(updated_at),
        status_changed_at: Set(status_changed_at),
    });
}
