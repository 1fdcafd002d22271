//! The generated world as a plan, before any row is written: the
//! organisations, the users, and for each ticket who opened it, when, and
//! how far through the workflow it got; then the invoices its shipments
//! called for. A pure function of the sizes, the seed and the day the
//! history ends: the same arguments give the same plan on every backend.
//!
//! Invariants (what the services would have produced):
//! - tickets are numbered in the order they were opened (`GEM-1` first);
//! - a ticket's steps follow SPEC §2's workflow, each after the previous
//!   one and before the end of the history; only laptop orders are approved
//!   and shipped;
//! - a shipped order of a PER_ORDER organisation is invoiced when it ships;
//!   those of a QUARTERLY one by the quarter's run three days after the
//!   quarter ends, once it is over; a ticket is BILLED exactly when its
//!   invoice is paid;
//! - invoice numbers are consecutive per year (Zurich) in order of issue.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Utc};
use entity::enums::{
    BillingMode, Locale, OrganisationKind, Role, TicketKind, TicketStatus, TicketVisibility,
};
use entity::{organisations, users};
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use crate::domain::Cents;
use crate::invoices::billing::{self, Prices, Quarter, zurich_date};

/// How big a data set is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Partner organisations (the provider comes on top).
    pub partners: usize,
    /// Users, the provider's staff and administrators included.
    pub users: usize,
    pub tickets: usize,
    pub comments: usize,
    /// Tickets of the largest partner organisation.
    pub largest_partner_tickets: usize,
    /// How far back the history reaches.
    pub history_days: i64,
}

/// Shares of the workflow, in thousandths.
const OTHER_KIND: u32 = 40;
const DELIVERY_ISSUE_KIND: u32 = 20;
const LEARNING: f64 = 0.2;
const INTERNAL_COMMENT: f64 = 0.2;
/// Laptop orders (not withdrawn) still waiting for the provider's review:
/// with the questions left open, about a sixth of all tickets are in
/// REVIEW, as in the data the staff queue was first measured on.
const AWAITING_REVIEW: f64 = 0.162;

/// Who cancelled a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    /// The ticket's creator withdrew it.
    Partner,
    /// The ticket's staff member rejected or closed it.
    Staff,
}

/// One ticket's fate.
#[derive(Debug, Clone)]
pub struct TicketPlan {
    /// Index into [`Plan::organisations`].
    pub org: u32,
    /// Index into [`Plan::users`].
    pub creator: u32,
    /// The staff member who handles it (index into [`Plan::users`]).
    pub staff: u32,
    pub kind: TicketKind,
    pub for_learning: bool,
    pub created: DateTime<Utc>,
    pub queued: Option<DateTime<Utc>>,
    pub approved: Option<DateTime<Utc>>,
    pub shipped: Option<DateTime<Utc>>,
    pub cancelled: Option<(DateTime<Utc>, Canceller)>,
    /// The shipped laptop order a delivery issue is about (ticket index).
    pub related: Option<u32>,
    pub comments: u32,
    /// How many of `comments` are INTERNAL staff notes.
    pub internal: u32,
    /// Index into [`Plan::invoices`].
    pub invoice: Option<u32>,
    /// Index of its invoice line among all lines.
    pub line: Option<u32>,
}

impl TicketPlan {
    /// The status the ticket ends in.
    pub fn status(&self, invoices: &[InvoicePlan]) -> TicketStatus {
        if self.cancelled.is_some() {
            TicketStatus::Cancelled
        } else if self.shipped.is_some() {
            match self.invoice.map(|i| &invoices[i as usize]) {
                Some(invoice) if invoice.paid.is_some() => TicketStatus::Billed,
                _ => TicketStatus::ReadyForBilling,
            }
        } else if self.approved.is_some() {
            TicketStatus::ReadyToShip
        } else if self.queued.is_some() {
            TicketStatus::Queued
        } else {
            TicketStatus::Review
        }
    }

    /// Whether it carries a training certificate.
    pub fn has_certificate(&self) -> bool {
        self.kind == TicketKind::LaptopOrder && self.for_learning
    }

    /// Its events: CREATED, one per status change, one per certificate and
    /// invoice, one per PUBLIC comment.
    pub fn event_count(&self, invoices: &[InvoicePlan]) -> usize {
        let changes = usize::from(self.queued.is_some())
            + usize::from(self.approved.is_some())
            + usize::from(self.shipped.is_some())
            + usize::from(self.cancelled.is_some())
            + usize::from(self.status(invoices) == TicketStatus::Billed);
        1 + changes
            + usize::from(self.has_certificate())
            + usize::from(self.invoice.is_some())
            + (self.comments - self.internal) as usize
    }
}

/// One invoice and the tickets on it.
#[derive(Debug, Clone)]
pub struct InvoicePlan {
    pub org: u32,
    pub mode: BillingMode,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub issued: DateTime<Utc>,
    /// The staff member who issued it (shipping, for PER_ORDER); none for
    /// the quarterly run (the system).
    pub actor: Option<u32>,
    /// When it was paid, and the staff member who recorded it.
    pub paid: Option<(DateTime<Utc>, u32)>,
    /// Ticket indices, in order.
    pub lines: Vec<u32>,
    pub number: String,
    pub subtotal: Cents,
    pub vat: Cents,
    pub total: Cents,
}

/// How many rows each table gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub organisations: usize,
    pub users: usize,
    pub tickets: usize,
    pub orders: usize,
    pub ticket_events: usize,
    pub comments: usize,
    pub attachments: usize,
    pub invoices: usize,
    pub invoice_lines: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.organisations
            + self.users
            + self.tickets
            + self.orders
            + self.ticket_events
            + self.comments
            + self.attachments
            + self.invoices
            + self.invoice_lines
    }
}

/// The whole data set, before it is written.
#[derive(Debug)]
pub struct Plan {
    pub seed: u64,
    /// The end of the history (nothing happens at or after it).
    pub end: DateTime<Utc>,
    /// The provider first, then the partners, largest first; ids from 1.
    pub organisations: Vec<organisations::Model>,
    /// Ticket count per organisation.
    pub org_tickets: Vec<usize>,
    /// Administrators, then staff, then each partner's users (managers
    /// first); ids from 1, no password hash yet.
    pub users: Vec<users::Model>,
    /// Range of user indices of each organisation.
    pub org_users: Vec<std::ops::Range<usize>>,
    pub tickets: Vec<TicketPlan>,
    pub invoices: Vec<InvoicePlan>,
    /// The value of each `invoice-<year>` counter.
    pub invoice_counters: BTreeMap<i32, i64>,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        Counts {
            organisations: self.organisations.len(),
            users: self.users.len(),
            tickets: self.tickets.len(),
            orders: self
                .tickets
                .iter()
                .filter(|t| t.kind == TicketKind::LaptopOrder)
                .count(),
            ticket_events: self
                .tickets
                .iter()
                .map(|t| t.event_count(&self.invoices))
                .sum(),
            comments: self.tickets.iter().map(|t| t.comments as usize).sum(),
            attachments: self.tickets.iter().filter(|t| t.has_certificate()).count(),
            invoices: self.invoices.len(),
            invoice_lines: self.invoices.iter().map(|i| i.lines.len()).sum(),
        }
    }
}

const ORG_KINDS: [(&str, Locale); 8] = [
    ("Sozialdienst", Locale::De),
    ("Centre social", Locale::Fr),
    ("Centro di formazione", Locale::It),
    ("Berufsschule", Locale::De),
    ("Service d'orientation", Locale::Fr),
    ("Beratungsstelle", Locale::De),
    ("Fondation d'entraide", Locale::Fr),
    ("Servizio sociale", Locale::It),
];

/// Towns with their postal codes, for organisations and recipients.
pub const TOWNS: [(&str, &str); 16] = [
    ("3008", "Bern"),
    ("3013", "Bern"),
    ("1003", "Lausanne"),
    ("1004", "Lausanne"),
    ("6900", "Lugano"),
    ("8001", "Zürich"),
    ("8004", "Zürich"),
    ("4051", "Basel"),
    ("1201", "Genève"),
    ("9000", "St. Gallen"),
    ("6003", "Luzern"),
    ("2502", "Biel/Bienne"),
    ("1700", "Fribourg"),
    ("7000", "Chur"),
    ("6500", "Bellinzona"),
    ("2000", "Neuchâtel"),
];

/// ASCII first and last names: they also make the users' emails.
pub const FIRST_NAMES: [&str; 24] = [
    "Amina", "Jonas", "Fatou", "Pierre", "Luca", "Sara", "Mehmet", "Chloe", "Beat", "Claudia",
    "Sophie", "Luc", "Nadia", "Giulia", "Marco", "Elena", "Andrea", "Stefan", "Martina", "Noah",
    "Lea", "Milan", "Aylin", "Yannick",
];
pub const LAST_NAMES: [&str; 24] = [
    "Haddad",
    "Wyss",
    "Diallo",
    "Moret",
    "Ferrari",
    "Colombo",
    "Yilmaz",
    "Martin",
    "Berger",
    "Keller",
    "Dubois",
    "Favre",
    "Rochat",
    "Bernasconi",
    "Rossi",
    "Conti",
    "Meier",
    "Huber",
    "Schmid",
    "Gerber",
    "Brunner",
    "Frei",
    "Baumann",
    "Fischer",
];

/// Splits `total` over `weights` exactly: each share rounded down, the
/// rest one each to the largest remainders (ties to the first).
fn allot(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut shares: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut left = total.saturating_sub(shares.iter().sum());
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for i in by_remainder.into_iter().cycle() {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

/// A random duration between `lo` and `hi` hours.
fn hours(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> Duration {
    Duration::seconds(rng.random_range(lo * 3600..hi * 3600))
}

/// Plans a data set of `sizes` from `seed`, with a history ending at `end`.
pub fn plan(sizes: &Sizes, seed: u64, end: DateTime<Utc>) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = end - Duration::days(sizes.history_days);
    let joined = start - Duration::days(30);

    // Organisations: the provider, the largest partner, then the others
    // with random weights, so that the data has small and mid-sized ones.
    let mut organisations = vec![organisations::Model {
        id: 1,
        name: "WLW Refurbishing".to_owned(),
        kind: OrganisationKind::Provider,
        ticket_visibility: TicketVisibility::Organisation,
        billing_mode: BillingMode::PerOrder,
        billing_email: Some("billing@wlw.example".to_owned()),
        billing_address: Some("Werkstattweg 1, 3000 Bern".to_owned()),
        price_standard_cents: 0,
        price_learning_cents: 0,
        vat_rate_bp: 0,
        locale: Locale::En,
        created_at: joined,
        updated_at: joined,
        archived_at: None,
    }];
    for p in 0..sizes.partners {
        let (kind, locale) = ORG_KINDS[rng.random_range(0..ORG_KINDS.len())];
        let (postal, town) = TOWNS[rng.random_range(0..TOWNS.len())];
        let n = p + 1;
        let standard = 20_000 + 500 * rng.random_range(0..21_i64);
        organisations.push(organisations::Model {
            id: (n + 1) as i64,
            name: format!("{kind} {town} {n}"),
            kind: OrganisationKind::Partner,
            // Both visibilities and both billing modes, in every size.
            ticket_visibility: if p % 2 == 0 {
                TicketVisibility::Organisation
            } else {
                TicketVisibility::CreatorOnly
            },
            billing_mode: if (p / 2) % 2 == 0 {
                BillingMode::PerOrder
            } else {
                BillingMode::Quarterly
            },
            billing_email: Some(format!("billing@partner{n}.example")),
            billing_address: Some(format!("{kind} {town}, Hauptstrasse {n}, {postal} {town}")),
            price_standard_cents: standard,
            price_learning_cents: standard + 10_000,
            vat_rate_bp: if rng.random_bool(0.5) { 810 } else { 0 },
            locale,
            created_at: joined,
            updated_at: joined,
            archived_at: None,
        });
    }
    let mut weights = vec![0.0; sizes.partners.saturating_sub(1)];
    for w in &mut weights {
        *w = 0.05 + rng.random::<f64>().powi(2);
    }
    let mut org_tickets = vec![0, sizes.largest_partner_tickets];
    org_tickets.extend(allot(
        sizes.tickets - sizes.largest_partner_tickets,
        &weights,
    ));

    // Users: administrators and staff at the provider, then at least a
    // manager and a member per partner, the rest in proportion to tickets.
    let admins = (sizes.users / 1_000).max(1);
    let staff_count = (sizes.users / 100).max(2);
    let partner_users = sizes.users - admins - staff_count;
    let extra = allot(
        partner_users - 2 * sizes.partners,
        &org_tickets[1..]
            .iter()
            .map(|&t| t as f64)
            .collect::<Vec<_>>(),
    );
    let mut users_model = Vec::with_capacity(sizes.users);
    let mut org_users = Vec::with_capacity(organisations.len());
    org_users.push(0..admins + staff_count);
    let mut add_user = |org: usize, role: Role, locale: Locale, email: String, name: String| {
        let id = users_model.len() as i64 + 1;
        users_model.push(users::Model {
            id,
            organisation_id: org as i64 + 1,
            email,
            display_name: name,
            password_hash: None,
            role,
            locale,
            is_active: true,
            token_version: 0,
            staff_notifications: false,
            last_login_at: None,
            created_at: joined,
            updated_at: joined,
        });
    };
    for a in 0..admins {
        add_user(
            0,
            Role::Admin,
            Locale::En,
            format!("admin{}@wlw.example", a + 1),
            format!("Admin {}", a + 1),
        );
    }
    for s in 0..staff_count {
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
        add_user(
            0,
            Role::Staff,
            [Locale::De, Locale::Fr, Locale::It, Locale::En][s % 4],
            format!("staff{}@wlw.example", s + 1),
            format!("{first} {last}"),
        );
    }
    let mut next = admins + staff_count;
    for (p, extra) in extra.iter().enumerate() {
        let org = p + 1;
        let count = 2 + extra;
        let managers = (count / 8).max(1);
        let org_locale = organisations[org].locale;
        for u in 0..count {
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            let locale = if rng.random_bool(0.1) {
                Locale::En
            } else {
                org_locale
            };
            add_user(
                org,
                if u < managers {
                    Role::PartnerManager
                } else {
                    Role::PartnerMember
                },
                locale,
                format!(
                    "{}.{}{}@partner{org}.example",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    next + u + 1
                ),
                format!("{first} {last}"),
            );
        }
        org_users.push(next..next + count);
        next += count;
    }
    let staff = admins..admins + staff_count;

    // Tickets, in the order they were opened.
    let mut sequence: Vec<u32> = org_tickets
        .iter()
        .enumerate()
        .flat_map(|(org, &n)| std::iter::repeat_n(org as u32, n))
        .collect();
    sequence.shuffle(&mut rng);
    let span = (end - start - Duration::hours(1)).num_seconds();
    let n = sizes.tickets.max(1) as f64;
    let mut recent_laptops: Vec<Vec<u32>> = vec![Vec::new(); organisations.len()];
    let mut tickets: Vec<TicketPlan> = Vec::with_capacity(sizes.tickets);
    for (i, &org) in sequence.iter().enumerate() {
        let offset = (span as f64 * (i as f64 + rng.random::<f64>()) / n) as i64;
        let created = start + Duration::seconds(offset);
        let members = org_users[org as usize].clone();
        let creator = rng.random_range(members) as u32;
        let staff_member = rng.random_range(staff.clone()) as u32;
        let roll = rng.random_range(0..1_000_u32);
        let shipped_before = recent_laptops[org as usize]
            .iter()
            .rev()
            .copied()
            .find(|&t| tickets[t as usize].shipped.is_some_and(|s| s < created));
        let (kind, related) = if roll < OTHER_KIND {
            (TicketKind::Other, None)
        } else if roll < OTHER_KIND + DELIVERY_ISSUE_KIND && shipped_before.is_some() {
            (TicketKind::DeliveryIssue, shipped_before)
        } else {
            (TicketKind::LaptopOrder, None)
        };
        let mut ticket = TicketPlan {
            org,
            creator,
            staff: staff_member,
            kind,
            for_learning: kind == TicketKind::LaptopOrder && rng.random_bool(LEARNING),
            created,
            queued: None,
            approved: None,
            shipped: None,
            cancelled: None,
            related,
            comments: 0,
            internal: 0,
            invoice: None,
            line: None,
        };
        if kind == TicketKind::LaptopOrder {
            plan_order(&mut rng, &mut ticket);
        } else if rng.random_bool(0.7) {
            // Questions and delivery issues close by cancellation.
            ticket.cancelled = Some((created + hours(&mut rng, 24, 336), Canceller::Staff));
        }
        ticket.cut_at(end);
        if kind == TicketKind::LaptopOrder {
            let recent = &mut recent_laptops[org as usize];
            if recent.len() == 16 {
                recent.remove(0);
            }
            recent.push(i as u32);
        }
        tickets.push(ticket);
    }
    spread_comments(&mut rng, &mut tickets, sizes.comments);

    let (invoices, invoice_counters) =
        plan_invoices(&mut rng, &organisations, &mut tickets, &staff, end);
    Plan {
        seed,
        end,
        organisations,
        org_tickets,
        users: users_model,
        org_users,
        tickets,
        invoices,
        invoice_counters,
    }
}

/// A laptop order's way through the workflow: a few withdrawn in review,
/// a sixth still waiting for review, some queued (and a few of those
/// rejected), the rest approved and shipped, a few cancelled ready to ship.
fn plan_order(rng: &mut ChaCha8Rng, ticket: &mut TicketPlan) {
    let created = ticket.created;
    if rng.random_bool(0.05) {
        ticket.cancelled = Some((created + hours(rng, 2, 96), Canceller::Partner));
        return;
    }
    if rng.random_bool(AWAITING_REVIEW) {
        return;
    }
    let mut at = created;
    if rng.random_bool(0.15) {
        at = created + hours(rng, 1, 48);
        ticket.queued = Some(at);
        if rng.random_bool(0.1) {
            ticket.cancelled = Some((at + hours(rng, 24, 240), Canceller::Staff));
            return;
        }
        at += hours(rng, 48, 480);
    } else {
        at += hours(rng, 2, 96);
    }
    ticket.approved = Some(at);
    if rng.random_bool(0.02) {
        ticket.cancelled = Some((at + hours(rng, 24, 72), Canceller::Staff));
        return;
    }
    ticket.shipped = Some(at + hours(rng, 24, 240));
}

impl TicketPlan {
    /// Drops every step at or after `end`, and what would follow it.
    fn cut_at(&mut self, end: DateTime<Utc>) {
        if self.queued.is_some_and(|t| t >= end) {
            self.queued = None;
            self.approved = None;
            self.shipped = None;
            self.cancelled = None;
        }
        if self.approved.is_some_and(|t| t >= end) {
            self.approved = None;
            self.shipped = None;
            self.cancelled = None;
        }
        if self.shipped.is_some_and(|t| t >= end) {
            self.shipped = None;
        }
        if self.cancelled.is_some_and(|(t, _)| t >= end) {
            self.cancelled = None;
        }
    }
}

/// Spreads exactly `total` comments over the tickets: evenly, then moved
/// about at random so that some tickets have none and some many; about a
/// fifth of them are INTERNAL staff notes.
fn spread_comments(rng: &mut ChaCha8Rng, tickets: &mut [TicketPlan], total: usize) {
    let n = tickets.len();
    if n == 0 {
        return;
    }
    let base = (total / n) as u32;
    for ticket in tickets.iter_mut() {
        ticket.comments = base;
    }
    for _ in 0..total % n {
        tickets[rng.random_range(0..n)].comments += 1;
    }
    for _ in 0..n {
        let (from, to) = (rng.random_range(0..n), rng.random_range(0..n));
        let moved = rng.random_range(0..=tickets[from].comments.min(base.max(1)));
        tickets[from].comments -= moved;
        tickets[to].comments += moved;
    }
    for ticket in tickets.iter_mut() {
        ticket.internal = (0..ticket.comments)
            .filter(|_| rng.random_bool(INTERNAL_COMMENT))
            .count() as u32;
    }
}

/// The invoices the shipments call for, numbered in order of issue, with
/// their payments; links each shipped ticket to its invoice and line.
fn plan_invoices(
    rng: &mut ChaCha8Rng,
    organisations: &[organisations::Model],
    tickets: &mut [TicketPlan],
    staff: &std::ops::Range<usize>,
    end: DateTime<Utc>,
) -> (Vec<InvoicePlan>, BTreeMap<i32, i64>) {
    let mut invoices = Vec::new();
    let mut quarterly: BTreeMap<(u32, i32, u32), Vec<u32>> = BTreeMap::new();
    for (i, ticket) in tickets.iter().enumerate() {
        let Some(shipped) = ticket.shipped else {
            continue;
        };
        let org = &organisations[ticket.org as usize];
        match org.billing_mode {
            BillingMode::PerOrder => {
                let day = zurich_date(shipped);
                invoices.push(InvoicePlan {
                    org: ticket.org,
                    mode: BillingMode::PerOrder,
                    period_start: day,
                    period_end: day,
                    issued: shipped,
                    actor: Some(ticket.staff),
                    paid: None,
                    lines: vec![i as u32],
                    number: String::new(),
                    subtotal: Cents::ZERO,
                    vat: Cents::ZERO,
                    total: Cents::ZERO,
                });
            }
            BillingMode::Quarterly => {
                let quarter = Quarter::containing(shipped);
                if quarter.is_over_at(end) {
                    quarterly
                        .entry((ticket.org, quarter.year(), quarter.number()))
                        .or_default()
                        .push(i as u32);
                }
            }
        }
    }
    for ((org, year, number), lines) in quarterly {
        let Ok(quarter) = Quarter::new(year, number as i32) else {
            continue;
        };
        let run_at = (quarter.utc_bounds().1 + Duration::days(3)).min(end - Duration::hours(1));
        invoices.push(InvoicePlan {
            org,
            mode: BillingMode::Quarterly,
            period_start: quarter.first_day(),
            period_end: quarter.last_day(),
            issued: run_at,
            actor: None,
            paid: None,
            lines,
            number: String::new(),
            subtotal: Cents::ZERO,
            vat: Cents::ZERO,
            total: Cents::ZERO,
        });
    }
    invoices.sort_by_key(|i| (i.issued, i.org, i.lines[0]));
    let mut counters: BTreeMap<i32, i64> = BTreeMap::new();
    let mut line = 0_u32;
    for (index, invoice) in invoices.iter_mut().enumerate() {
        let year = zurich_date(invoice.issued).year();
        let n = counters.entry(year).or_insert(0);
        *n += 1;
        invoice.number = billing::invoice_number(year, *n);
        let paid_at = invoice.issued + hours(rng, 5 * 24, 45 * 24);
        let recorder = rng.random_range(staff.clone()) as u32;
        if paid_at < end {
            invoice.paid = Some((paid_at, recorder));
        }
        let org = &organisations[invoice.org as usize];
        let prices = Prices::of(org);
        let amounts: Vec<Cents> = invoice
            .lines
            .iter()
            .map(|&t| prices.line_amount(tickets[t as usize].for_learning))
            .collect();
        if let Some(totals) = billing::totals(amounts, prices.vat_rate) {
            invoice.subtotal = totals.subtotal;
            invoice.vat = totals.vat;
            invoice.total = totals.total;
        }
        for &t in &invoice.lines {
            tickets[t as usize].invoice = Some(index as u32);
            tickets[t as usize].line = Some(line);
            line += 1;
        }
    }
    (invoices, counters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allot_splits_exactly() {
        assert_eq!(allot(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(allot(7, &[0.0, 1.0]), vec![0, 7]);
        assert_eq!(allot(0, &[2.0, 1.0]), vec![0, 0]);
    }

    /// The shape the benchmarks were first measured on: about a sixth of
    /// the tickets in REVIEW (the staff queue's count), and the history's
    /// length per ticket, which follows from the workflow (CREATED, each
    /// step, the invoice) and one COMMENTED event per PUBLIC comment.
    #[test]
    fn a_sixth_of_the_tickets_wait_in_review() {
        let sizes = Sizes {
            partners: 100,
            users: 2_000,
            tickets: 100_000,
            comments: 300_000,
            largest_partner_tickets: 5_000,
            history_days: 730,
        };
        let end = DateTime::parse_from_rfc3339("2026-12-03T00:00:00Z")
            .expect("a time")
            .to_utc();
        let plan = plan(&sizes, 1, end);
        let review = plan
            .tickets
            .iter()
            .filter(|t| t.status(&plan.invoices) == TicketStatus::Review)
            .count();
        let share = review as f64 / sizes.tickets as f64;
        assert!((0.155..0.175).contains(&share), "{share}");
        let events = plan.counts().ticket_events as f64 / sizes.tickets as f64;
        assert!((6.0..7.0).contains(&events), "{events} events per ticket");
    }

    #[test]
    fn steps_after_the_end_are_not_taken() {
        let end = Utc::now();
        let mut ticket = TicketPlan {
            org: 1,
            creator: 0,
            staff: 0,
            kind: TicketKind::LaptopOrder,
            for_learning: false,
            created: end - Duration::days(2),
            queued: Some(end - Duration::days(1)),
            approved: Some(end + Duration::days(1)),
            shipped: Some(end + Duration::days(2)),
            cancelled: None,
            related: None,
            comments: 0,
            internal: 0,
            invoice: None,
            line: None,
        };
        ticket.cut_at(end);
        assert_eq!(ticket.status(&[]), TicketStatus::Queued);
        assert_eq!((ticket.approved, ticket.shipped), (None, None));
    }
}
