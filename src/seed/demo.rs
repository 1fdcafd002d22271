//! Demo data for a first start: the provider, three partner organisations
//! with different visibility and billing settings, users of every role, and
//! about fifty tickets across every status with their orders, events,
//! comments and invoices. The invoices are issued and paid by the
//! invoicing service itself, not written as rows.
//!
//! Passwords are random, generated at seeding time and printed once: a demo
//! database on a reachable server must not open with a known password.
//! Everything is written in one transaction: a database is seeded fully or
//! not at all. Tickets, their orders, events, comments and status changes
//! are written by the ticket services the API uses (at the dates of the
//! demo's history, without emails), so the demo is also a run of them.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use entity::enums::{
    BillingMode, CommentVisibility, Locale, OrganisationKind, Role, SubjectTemplate, TicketKind,
    TicketStatus, TicketVisibility,
};
use entity::{invoice_lines, orders, organisations, tickets, users};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, TransactionTrait};

use crate::domain::{ParsedOrder, RawOrder};
use crate::error::{AppError, AppResult};
use crate::i18n::EventNote;
use crate::invoices;
use crate::invoices::billing::Quarter;
use crate::policy::{Scope, Viewer};
use crate::state::AppState;
use crate::tickets::service::{self, Emails, NewSubject, NewTicket, Shipment, Step};
use crate::tickets::workflow::{Action, Actor};

/// A login created by the seed, to print for the person who started it.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub role: String,
    pub organisation: String,
}

/// The demo's training certificate: a one-page PDF saying what it stands
/// for.
pub(crate) const DEMO_CERTIFICATE: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 62 >> stream
BT /F1 18 Tf 72 760 Td (Demo training certificate) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

/// Seeds demo data when the database has no organisation yet; returns the
/// logins created, or `None` when there was data already.
pub async fn seed_if_empty(state: &AppState) -> AppResult<Option<Vec<DemoLogin>>> {
    if crate::policy::system::has_organisations(&state.db).await? {
        return Ok(None);
    }
    let now = state.clock.now();
    let mut people = Vec::new();
    for spec in &USERS {
        let password = super::random_password();
        let hash = state.hasher.hash(&password).await?;
        people.push((spec, password, hash));
    }
    let txn = state.db.begin().await?;
    let logins = write_demo_data(&txn, state, now, &people).await?;
    txn.commit().await?;
    tracing::info!(users = logins.len(), "demo data seeded");
    Ok(Some(logins))
}

struct OrgSpec {
    key: &'static str,
    name: &'static str,
    kind: OrganisationKind,
    visibility: TicketVisibility,
    billing: BillingMode,
    billing_email: &'static str,
    billing_address: &'static str,
    standard_cents: i64,
    learning_cents: i64,
    vat_bp: i32,
}

const ORGANISATIONS: [OrgSpec; 4] = [
    OrgSpec {
        key: "provider",
        name: "WLW Refurbishing",
        kind: OrganisationKind::Provider,
        visibility: TicketVisibility::Organisation,
        billing: BillingMode::PerOrder,
        billing_email: "billing@wlw.example",
        billing_address: "Werkstattweg 1, 3000 Bern",
        standard_cents: 0,
        learning_cents: 0,
        vat_bp: 0,
    },
    OrgSpec {
        key: "bern",
        name: "Sozialdienst Bern-Mittelland",
        kind: OrganisationKind::Partner,
        visibility: TicketVisibility::Organisation,
        billing: BillingMode::Quarterly,
        billing_email: "buchhaltung@sozialdienst-bern.example",
        billing_address: "Sozialdienst Bern-Mittelland, Effingerstrasse 21, 3008 Bern",
        standard_cents: 25_000,
        learning_cents: 35_000,
        vat_bp: 810,
    },
    OrgSpec {
        key: "lausanne",
        name: "Centre social de Lausanne",
        kind: OrganisationKind::Partner,
        visibility: TicketVisibility::CreatorOnly,
        billing: BillingMode::PerOrder,
        billing_email: "comptabilite@cs-lausanne.example",
        billing_address: "Centre social de Lausanne, Place Chauderon 4, 1003 Lausanne",
        standard_cents: 24_000,
        learning_cents: 34_000,
        vat_bp: 0,
    },
    OrgSpec {
        key: "lugano",
        name: "Centro di formazione Lugano",
        kind: OrganisationKind::Partner,
        visibility: TicketVisibility::CreatorOnly,
        billing: BillingMode::Quarterly,
        billing_email: "contabilita@formazione-lugano.example",
        billing_address: "Centro di formazione, Via Trevano 12, 6900 Lugano",
        standard_cents: 26_000,
        learning_cents: 36_000,
        vat_bp: 810,
    },
];

struct UserSpec {
    org: &'static str,
    email: &'static str,
    name: &'static str,
    role: Role,
    locale: Locale,
}

const USERS: [UserSpec; 11] = [
    UserSpec {
        org: "provider",
        email: "admin@wlw.example",
        name: "Andrea Admin",
        role: Role::Admin,
        locale: Locale::En,
    },
    UserSpec {
        org: "provider",
        email: "staff@wlw.example",
        name: "Stefan Staff",
        role: Role::Staff,
        locale: Locale::De,
    },
    UserSpec {
        org: "bern",
        email: "leitung@sozialdienst-bern.example",
        name: "Martina Meier",
        role: Role::PartnerManager,
        locale: Locale::De,
    },
    UserSpec {
        org: "bern",
        email: "beratung@sozialdienst-bern.example",
        name: "Beat Berger",
        role: Role::PartnerMember,
        locale: Locale::De,
    },
    UserSpec {
        org: "bern",
        email: "empfang@sozialdienst-bern.example",
        name: "Claudia Keller",
        role: Role::PartnerMember,
        locale: Locale::De,
    },
    UserSpec {
        org: "lausanne",
        email: "direction@cs-lausanne.example",
        name: "Sophie Dubois",
        role: Role::PartnerManager,
        locale: Locale::Fr,
    },
    UserSpec {
        org: "lausanne",
        email: "assistance@cs-lausanne.example",
        name: "Luc Favre",
        role: Role::PartnerMember,
        locale: Locale::Fr,
    },
    UserSpec {
        org: "lausanne",
        email: "accueil@cs-lausanne.example",
        name: "Nadia Rochat",
        role: Role::PartnerMember,
        locale: Locale::Fr,
    },
    UserSpec {
        org: "lugano",
        email: "direzione@formazione-lugano.example",
        name: "Giulia Bernasconi",
        role: Role::PartnerManager,
        locale: Locale::It,
    },
    UserSpec {
        org: "lugano",
        email: "orientamento@formazione-lugano.example",
        name: "Marco Rossi",
        role: Role::PartnerMember,
        locale: Locale::It,
    },
    UserSpec {
        org: "lugano",
        email: "segreteria@formazione-lugano.example",
        name: "Elena Conti",
        role: Role::PartnerMember,
        locale: Locale::It,
    },
];

const RECIPIENTS: [(&str, &str, &str, &str, &str); 8] = [
    (
        "Amina Haddad",
        "Lorrainestrasse 12",
        "3013",
        "Bern",
        "+41791234501",
    ),
    (
        "Jonas Wyss",
        "Breitenrainplatz 3",
        "3014",
        "Bern",
        "+41791234502",
    ),
    (
        "Fatou Diallo",
        "Rue de Genève 88",
        "1004",
        "Lausanne",
        "+41791234503",
    ),
    (
        "Pierre Moret",
        "Avenue de Morges 14",
        "1004",
        "Lausanne",
        "+41791234504",
    ),
    (
        "Luca Ferrari",
        "Via Cattedrale 5",
        "6900",
        "Lugano",
        "+41791234505",
    ),
    (
        "Sara Colombo",
        "Via Nassa 21",
        "6900",
        "Lugano",
        "+41791234506",
    ),
    (
        "Mehmet Yilmaz",
        "Zähringerstrasse 40",
        "3012",
        "Bern",
        "+41791234507",
    ),
    (
        "Chloé Martin",
        "Chemin des Fleurettes 2",
        "1007",
        "Lausanne",
        "+41791234508",
    ),
];

const DEVICE_MODELS: [&str; 4] = [
    "Lenovo ThinkPad T480",
    "HP EliteBook 840 G5",
    "Dell Latitude 7490",
    "Lenovo ThinkPad X390",
];

/// The status of demo ticket `i`, spreading the fifty over every status.
fn demo_status(i: usize) -> TicketStatus {
    match i % 10 {
        0 | 1 => TicketStatus::Review,
        2 => TicketStatus::Queued,
        3 | 4 => TicketStatus::ReadyToShip,
        5 | 6 => TicketStatus::ReadyForBilling,
        7 | 8 => TicketStatus::Billed,
        _ => TicketStatus::Cancelled,
    }
}

/// The viewer `user` is, in its organisation among `orgs`.
fn viewer_of(user: &users::Model, orgs: &[(&OrgSpec, organisations::Model)]) -> AppResult<Viewer> {
    let (_, org) = orgs
        .iter()
        .find(|(_, org)| org.id == user.organisation_id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a demo user without organisation")))?;
    Ok(Viewer {
        user_id: user.id,
        organisation_id: org.id,
        role: user.role,
        ticket_visibility: org.ticket_visibility,
    })
}

/// The path a ticket took from REVIEW to `status`.
fn path_to(status: TicketStatus) -> &'static [TicketStatus] {
    use TicketStatus::*;
    match status {
        Review => &[],
        Queued => &[Queued],
        ReadyToShip => &[ReadyToShip],
        ReadyForBilling => &[ReadyToShip, ReadyForBilling],
        Billed => &[ReadyToShip, ReadyForBilling, Billed],
        Cancelled => &[Cancelled],
    }
}

async fn write_demo_data(
    txn: &DatabaseTransaction,
    state: &AppState,
    now: DateTime<Utc>,
    people: &[(&UserSpec, String, String)],
) -> AppResult<Vec<DemoLogin>> {
    let start = now - Duration::days(180);
    let mut orgs = Vec::new();
    for spec in &ORGANISATIONS {
        let org = organisations::ActiveModel {
            name: Set(spec.name.to_owned()),
            kind: Set(spec.kind),
            ticket_visibility: Set(spec.visibility),
            billing_mode: Set(spec.billing),
            billing_email: Set(Some(spec.billing_email.to_owned())),
            billing_address: Set(Some(spec.billing_address.to_owned())),
            price_standard_cents: Set(spec.standard_cents),
            price_learning_cents: Set(spec.learning_cents),
            vat_rate_bp: Set(spec.vat_bp),
            locale: Set(Locale::Fr),
            created_at: Set(start),
            updated_at: Set(start),
            archived_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        orgs.push((spec, org));
    }
    let org_of = |key: &str| {
        orgs.iter()
            .find(|(spec, _)| spec.key == key)
            .map(|(spec, org)| (*spec, org.clone()))
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown demo organisation {key}")))
    };

    let mut logins = Vec::new();
    let mut all_users = Vec::new();
    for (spec, password, hash) in people {
        let (org_spec, org) = org_of(spec.org)?;
        let user = users::ActiveModel {
            organisation_id: Set(org.id),
            email: Set(spec.email.to_owned()),
            display_name: Set(spec.name.to_owned()),
            password_hash: Set(Some(hash.clone())),
            role: Set(spec.role),
            locale: Set(spec.locale),
            is_active: Set(true),
            token_version: Set(0),
            last_login_at: Set(None),
            created_at: Set(start),
            updated_at: Set(start),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        logins.push(DemoLogin {
            email: spec.email.to_owned(),
            password: password.clone(),
            role: format!("{:?}", spec.role),
            organisation: org_spec.name.to_owned(),
        });
        all_users.push(user);
    }
    let staff = all_users
        .iter()
        .find(|u| u.role == Role::Staff)
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no demo staff user")))?;

    let partners: Vec<_> = orgs
        .iter()
        .filter(|(spec, _)| spec.kind == OrganisationKind::Partner)
        .map(|(spec, org)| {
            let members: Vec<users::Model> = all_users
                .iter()
                .filter(|u| u.organisation_id == org.id)
                .cloned()
                .collect();
            (*spec, org.clone(), members)
        })
        .collect();

    // Tickets are opened, commented on and moved through the workflow by
    // the ticket services themselves, at the dates of their history, in
    // this one transaction; nobody is emailed about the demo's past.
    let staff_viewer = viewer_of(&staff, &orgs)?;
    let staff_scope = Scope::new(staff_viewer.clone());
    let mut shipped: Vec<(organisations::Model, tickets::Model, orders::Model)> = Vec::new();
    let mut to_bill = HashSet::new();
    let mut runs = QuarterlyRuns::between(start, now);
    let total = 50usize;
    for i in 0..total {
        let (_, org, members) = &partners[i % partners.len()];
        let creator = &members[(i / partners.len()) % members.len()];
        let creator_viewer = viewer_of(creator, &orgs)?;
        // A ticket meant to end BILLED ships like the others; paying its
        // invoice bills it, through the invoicing service.
        let meant = demo_status(i);
        let status = if meant == TicketStatus::Billed {
            TicketStatus::ReadyForBilling
        } else {
            meant
        };
        let created_at = start + Duration::hours((i as i64) * 80);
        let (name, street, postal, city, phone) = RECIPIENTS[i % RECIPIENTS.len()];
        let for_learning = i % 4 == 0;
        let order = ParsedOrder::parse(RawOrder {
            recipient_name: name.to_owned(),
            street: street.to_owned(),
            postal_code: postal.to_owned(),
            city: city.to_owned(),
            country: None,
            phone: phone.to_owned(),
            internal_reference: (i % 3 == 0).then(|| format!("DOSS-{:04}", 1000 + i)),
            for_learning,
            comment: (i % 5 == 0).then(|| "Bitte mit deutscher Tastatur.".to_owned()),
            has_certificate: for_learning,
        })?;
        // A learning order carries its certificate, as the API demands.
        let certificate = for_learning
            .then(|| {
                crate::attachments::service::check_file(
                    "training-certificate.pdf",
                    DEMO_CERTIFICATE.to_vec(),
                    "certificate",
                )
            })
            .transpose()?;
        let mut ticket = service::place_order(
            txn,
            state,
            &creator.clone().into(),
            org.id,
            &order,
            certificate.as_ref(),
            created_at,
            Emails::Skip,
        )
        .await?;
        if meant == TicketStatus::Billed {
            to_bill.insert(ticket.id);
        }

        if i % 2 == 0 {
            let question = "Could the laptop come with a charger for Switzerland?";
            let answer = "Yes, every laptop ships with a Swiss charger.";
            for (viewer, body, after) in
                [(&creator_viewer, question, 2), (&staff_viewer, answer, 20)]
            {
                service::write_comment(
                    txn,
                    viewer,
                    &ticket,
                    body,
                    CommentVisibility::Public,
                    created_at + Duration::hours(after),
                    Emails::Skip,
                )
                .await?;
            }
        }
        if i % 3 == 0 {
            service::write_comment(
                txn,
                &staff_viewer,
                &ticket,
                "Internal: check stock of learning devices before confirming.",
                CommentVisibility::Internal,
                created_at + Duration::hours(22),
                Emails::Skip,
            )
            .await?;
        }

        for (n, to) in path_to(status).iter().enumerate() {
            let at = created_at + Duration::days(2 + 2 * n as i64);
            let (viewer, actor, step) = match to {
                TicketStatus::Queued => (
                    &staff_viewer,
                    Actor::Staff,
                    Step::Move {
                        action: Action::Queue,
                        note: Some(EventNote::Written("Waiting for stock".to_owned())),
                        internal_note: None,
                    },
                ),
                TicketStatus::ReadyToShip => (
                    &staff_viewer,
                    Actor::Staff,
                    Step::Move {
                        action: Action::Approve,
                        note: None,
                        internal_note: None,
                    },
                ),
                TicketStatus::ReadyForBilling => (
                    &staff_viewer,
                    Actor::Staff,
                    Step::Ship(Shipment::parse(
                        DEVICE_MODELS[i % DEVICE_MODELS.len()],
                        &format!("SN{:08}", 4_200_000 + i),
                        at,
                        Some(&format!("99.00.{:06}.{:08}", 100_000 + i, 20_000_000 + i)),
                        at,
                    )?),
                ),
                TicketStatus::Billed => (
                    &staff_viewer,
                    Actor::Invoicing,
                    Step::Move {
                        action: Action::MarkBilled,
                        note: None,
                        internal_note: None,
                    },
                ),
                TicketStatus::Cancelled => (
                    &creator_viewer,
                    Actor::Partner,
                    Step::Cancel {
                        reason: "Withdrawn: the person found a device elsewhere".to_owned(),
                    },
                ),
                TicketStatus::Review => {
                    return Err(AppError::internal(anyhow::anyhow!(
                        "no demo path leads back to REVIEW"
                    )));
                }
            };
            if matches!(step, Step::Ship(_)) {
                // The quarters over by now are invoiced first, as staff
                // would have, so that numbers follow the order of issue.
                runs.until(txn, &staff_scope, at, &to_bill).await?;
            }
            ticket =
                service::take_step(txn, viewer, actor, &ticket, &step, at, Emails::Skip).await?;
        }
        if meant == TicketStatus::Billed && org.billing_mode == BillingMode::PerOrder {
            // Shipping issued the invoice; it is paid two days later.
            let paid_at = created_at + Duration::days(6);
            let line = staff_scope
                .invoice_lines()
                .filter(invoice_lines::Column::TicketId.eq(ticket.id))
                .filter(invoice_lines::Column::IsLive.eq(true))
                .one(txn)
                .await?
                .ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!("a demo order has no invoice"))
                })?;
            let invoice = staff_scope.invoice(txn, line.invoice_id).await?;
            invoices::service::pay_in(txn, &staff_scope, &invoice, paid_at, paid_at, Emails::Skip)
                .await?;
            ticket = staff_scope.ticket(txn, ticket.id).await?;
        }
        if matches!(status, TicketStatus::ReadyForBilling | TicketStatus::Billed) {
            let order = staff_scope
                .orders()
                .filter(orders::Column::TicketId.eq(ticket.id))
                .one(txn)
                .await?
                .ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!("a shipped demo order is missing"))
                })?;
            shipped.push((org.clone(), ticket, order));
        }
    }

    // A delivery problem reported on a shipped order.
    if let Some((org, shipped_ticket, _)) = shipped.first() {
        service::open_ticket(
            txn,
            NewTicket {
                organisation_id: org.id,
                created_by_id: shipped_ticket.created_by_id,
                kind: TicketKind::DeliveryIssue,
                subject: NewSubject::Catalogue {
                    template: SubjectTemplate::DeliveryIssue,
                    param: shipped_ticket.reference.clone(),
                    locale: Locale::En,
                },
                description: Some("The screen arrived cracked.".to_owned()),
                internal_reference: shipped_ticket.internal_reference.clone(),
                related_ticket_id: Some(shipped_ticket.id),
            },
            now - Duration::days(3),
        )
        .await?;
    }

    runs.until(txn, &staff_scope, now, &to_bill).await?;
    Ok(logins)
}

/// The quarterly invoicing of the demo's past: each quarter that is over
/// is invoiced three days after its end, by the invoicing service, and its
/// invoices are paid ten days later when they bill a ticket meant to end
/// BILLED. The current quarter stays open.
struct QuarterlyRuns {
    pending: VecDeque<(DateTime<Utc>, Quarter)>,
    now: DateTime<Utc>,
}

impl QuarterlyRuns {
    /// The quarters from the one of `start` to the last one over at `now`.
    fn between(start: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let mut pending = VecDeque::new();
        let mut quarter = Quarter::containing(start);
        while quarter.is_over_at(now) {
            let run_at = (quarter.utc_bounds().1 + Duration::days(3)).min(now);
            pending.push_back((run_at, quarter));
            quarter = quarter.next();
        }
        Self { pending, now }
    }

    /// Runs, in order, every pending quarter due by `at`.
    async fn until(
        &mut self,
        txn: &DatabaseTransaction,
        scope: &Scope,
        at: DateTime<Utc>,
        to_bill: &HashSet<i64>,
    ) -> AppResult<()> {
        while let Some((run_at, quarter)) = self.pending.front().copied() {
            if run_at > at {
                break;
            }
            self.pending.pop_front();
            let issued =
                invoices::service::quarterly_in(txn, scope, quarter, run_at, Emails::Skip).await?;
            for invoice in issued {
                let billed = scope
                    .invoice_lines()
                    .filter(invoice_lines::Column::InvoiceId.eq(invoice.id))
                    .filter(invoice_lines::Column::TicketId.is_in(to_bill.iter().copied()))
                    .count(txn)
                    .await?;
                if billed > 0 {
                    let paid_at = (run_at + Duration::days(10)).min(self.now);
                    invoices::service::pay_in(txn, scope, &invoice, paid_at, paid_at, Emails::Skip)
                        .await?;
                }
            }
        }
        Ok(())
    }
}
