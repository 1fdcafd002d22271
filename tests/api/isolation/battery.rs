//! The battery: every read path of the schema, run as one viewer over one
//! world, each answer compared with what the oracle allows.
//!
//! Operations (the names [`super::coverage`] refers to):
//! - `roots`: `viewer`; `organisations` (with each one's `users`), `users`,
//!   `feedback` with `totalCount` and page info;
//! - `organisationById`: `organisation(id:)` for every organisation of the
//!   world (and one that never existed) with `users`; `users(organisationId:)`
//!   for each;
//! - `userById`: `user(id:)` for every user, with `organisation { users }`;
//! - `ticketFilters`: `tickets` with every filter (status, kind, date range,
//!   search, combined), every order, `first` and `last`;
//! - `ticketsByOwner`: `tickets` filtered by each organisation and by each
//!   creator;
//! - `ticketById`: `ticket(id:)` for every ticket, with every nested path
//!   (organisation, creator, order, related ticket, comments and their
//!   count, attachments and uploaders, events and actors, transitions);
//! - `ticketByReference`: every ticket by its `GEM-` reference;
//! - `invoiceById`: `invoice(id:)` for every invoice, with its lines and
//!   their ticket; `invoices` filtered by each organisation;
//! - `node`: `node(id:)` for every object of every `Node` type, with the
//!   paths back (`comment.ticket.comments`, `feedback.author`, …);
//! - `outbox`: `emails`, all and DEAD only: ADMIN reads every email, any
//!   other viewer is refused with FORBIDDEN (the one answer of the battery
//!   that must be an error);
//! - `download`: `GET /attachments/{id}` for every attachment and
//!   `GET /invoices/{id}.csv` for every invoice.
//!
//! Lists are compared as sets: the `totalCount` is exactly the oracle's
//! count over the whole database; a page holds only allowed items, as many
//! as the page allows, and says whether more follow. Lookups of an object
//! outside the scope must answer exactly as for an id that never existed
//! (null; for a download, the same 404 body). Every response must be free
//! of errors.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use partnerdesk::clock::Clock as _;
use partnerdesk::relay::{from_global_id, to_global_id};
use serde_json::{Value, json};

use super::model::{CommentVisibility, Kind, Model, Role, Status, TicketRow};
use super::oracle::{
    OracleUser, WorldObject, may_know_by_name, may_read_billing, may_read_details, may_read_outbox,
    may_see,
};
use super::world::Inserted;
use crate::helpers::TestApp;
use crate::reports::ReportArgs;

/// A row id no table will reach in a test run.
const MISSING: i64 = 2_000_000_000;
/// Page sizes the battery asks for.
const ROOT_PAGE: usize = 20;
const NESTED_PAGE: usize = 20;
/// A ticket's comments: a world gives each ticket at most 2 (see `world`),
/// so a page of 5 still holds every one and says no more follow, while the
/// server weighs each ticket's comment page at 5 items, not 20, against its
/// complexity limit.
const COMMENT_PAGE: usize = 5;
const TICKET_PAGE: usize = 20;

/// A GraphQL operation of the battery: its selection on `Query`. Aliases
/// differ between operations, so that several can share one request.
#[derive(Debug, Clone)]
pub struct Operation {
    pub name: &'static str,
    pub selection: String,
}

impl Operation {
    /// The operation as a document of its own.
    pub fn document(&self) -> String {
        format!("query {} {{ {} }}", self.name, self.selection)
    }
}

/// The operations sent together, one request per group (each group stays
/// within the server's complexity limit for the largest worlds, where a
/// nested page weighs its page size: `roots`, with a page of organisations
/// each with a page of users, is a request of its own).
const REQUESTS: [&[&str]; 9] = [
    &["roots"],
    &["organisationById", "userById"],
    &["ticketFilters"],
    &["ticketsByOwner"],
    &["ticketById"],
    &["ticketByReference", "node"],
    &["invoiceById"],
    &["reports"],
    &["outbox"],
];

/// The documents sent, one per group of [`REQUESTS`], with the group.
pub fn requests(ops: &[Operation]) -> Vec<(&'static [&'static str], String)> {
    REQUESTS
        .iter()
        .map(|group| {
            let selections: Vec<&str> = ops
                .iter()
                .filter(|op| group.contains(&op.name))
                .map(|op| op.selection.as_str())
                .collect();
            let document = format!("query {} {{ {} }}", group.join("_"), selections.join("\n"));
            (*group, document)
        })
        .collect()
}

/// The names of the battery's operations, GraphQL and HTTP.
pub const OPERATION_NAMES: [&str; 12] = [
    "roots",
    "organisationById",
    "userById",
    "ticketFilters",
    "ticketsByOwner",
    "ticketById",
    "ticketByReference",
    "invoiceById",
    "node",
    "reports",
    "outbox",
    "download",
];

/// One `tickets` list: a filter, an order, a page.
#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    pub statuses: Option<Vec<Status>>,
    pub kinds: Option<Vec<Kind>>,
    pub organisation: Option<i64>,
    pub created_by: Option<i64>,
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
    pub order_by: Option<&'static str>,
    /// `last:` rather than `first:`.
    pub last: bool,
    /// Leaves `totalCount` out (a list whose count another alias reads).
    pub uncounted: bool,
}

impl TicketQuery {
    fn arguments(&self) -> String {
        let mut filter = Vec::new();
        if let Some(statuses) = &self.statuses {
            let list: Vec<_> = statuses.iter().map(|s| s.graphql()).collect();
            filter.push(format!("status: [{}]", list.join(", ")));
        }
        if let Some(kinds) = &self.kinds {
            let list: Vec<_> = kinds.iter().map(|k| k.graphql()).collect();
            filter.push(format!("kind: [{}]", list.join(", ")));
        }
        if let Some(id) = self.organisation {
            filter.push(format!("organisationId: {}", lit(&gid("Organisation", id))));
        }
        if let Some(id) = self.created_by {
            filter.push(format!("createdById: {}", lit(&gid("User", id))));
        }
        if let Some(at) = self.created_after {
            filter.push(format!("createdAfter: {}", lit(&rfc3339(at))));
        }
        if let Some(at) = self.created_before {
            filter.push(format!("createdBefore: {}", lit(&rfc3339(at))));
        }
        for (name, at) in [
            ("updatedAfter", self.updated_after),
            ("updatedBefore", self.updated_before),
            ("shippedAfter", self.shipped_after),
            ("shippedBefore", self.shipped_before),
        ] {
            if let Some(at) = at {
                filter.push(format!("{name}: {}", lit(&rfc3339(at))));
            }
        }
        for (name, flag) in [
            ("forLearning", self.for_learning),
            ("hasInvoice", self.has_invoice),
            ("waitingForStaff", self.waiting_for_staff),
            ("mine", self.mine),
        ] {
            if let Some(flag) = flag {
                filter.push(format!("{name}: {flag}"));
            }
        }
        if let Some(search) = &self.search {
            filter.push(format!("search: {}", lit(search)));
        }
        let mut args = Vec::new();
        if !filter.is_empty() {
            args.push(format!("filter: {{ {} }}", filter.join(", ")));
        }
        if let Some(order) = self.order_by {
            args.push(format!("orderBy: {order}"));
        }
        let size = if self.last { "last" } else { "first" };
        args.push(format!("{size}: {TICKET_PAGE}"));
        args.join(", ")
    }

    /// The schema's filter semantics (every criterion narrows; ranges
    /// include their start and exclude their end; a search word is found,
    /// case-insensitively, in the reference, the internal reference or the
    /// recipient's name; every word must be found), `facts` being what the
    /// viewer knows of the ticket beyond its row.
    fn matches(&self, ticket: &TicketRow, facts: &TicketFacts) -> bool {
        type Bound = Option<DateTime<Utc>>;
        let within = |at: Bound, after: Bound, before: Bound| match at {
            Some(at) => after.is_none_or(|a| at >= a) && before.is_none_or(|b| at < b),
            None => after.is_none() && before.is_none(),
        };
        if !within(
            Some(ticket.updated_at),
            self.updated_after,
            self.updated_before,
        ) || !within(ticket.shipped_at, self.shipped_after, self.shipped_before)
            || self
                .for_learning
                .is_some_and(|wanted| ticket.for_learning != Some(wanted))
            || self
                .has_invoice
                .is_some_and(|wanted| facts.invoiced != wanted)
            || self
                .waiting_for_staff
                .is_some_and(|wanted| facts.waiting_for_staff != wanted)
            || self
                .mine
                .is_some_and(|wanted| (ticket.created_by == facts.viewer) != wanted)
        {
            return false;
        }
        if let Some(statuses) = &self.statuses
            && !statuses.contains(&ticket.status)
        {
            return false;
        }
        if let Some(kinds) = &self.kinds
            && !kinds.contains(&ticket.kind)
        {
            return false;
        }
        if self
            .organisation
            .is_some_and(|id| id != ticket.organisation)
            || self.created_by.is_some_and(|id| id != ticket.created_by)
            || self.created_after.is_some_and(|at| ticket.created_at < at)
            || self
                .created_before
                .is_some_and(|at| ticket.created_at >= at)
        {
            return false;
        }
        let Some(search) = &self.search else {
            return true;
        };
        let haystacks: Vec<String> = [
            Some(ticket.reference.as_str()),
            ticket.internal_reference.as_deref(),
            ticket.recipient.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(str::to_lowercase)
        .collect();
        search
            .to_lowercase()
            .split_whitespace()
            .all(|word| haystacks.iter().any(|h| h.contains(word)))
    }
}

/// What a viewer knows of a ticket beyond its row, for the filters.
pub struct TicketFacts {
    /// The viewer's user id (`mine`).
    pub viewer: i64,
    /// The ticket's order is on a live invoice line the viewer may see.
    pub invoiced: bool,
    /// The latest PUBLIC comment on the ticket is a partner's.
    pub waiting_for_staff: bool,
}

/// What one run of the battery looks up: every object of the world, and
/// the ticket lists to read.
#[derive(Debug, Clone)]
pub struct Plan {
    pub organisations: Vec<i64>,
    /// Each user, and whether to read its organisation's users through it
    /// (once per organisation: the answer is the same for every colleague).
    pub users: Vec<(i64, bool)>,
    pub tickets: Vec<(i64, String)>,
    pub comments: Vec<i64>,
    pub feedback: Vec<i64>,
    pub attachments: Vec<i64>,
    pub events: Vec<i64>,
    pub invoices: Vec<i64>,
    pub invoice_lines: Vec<i64>,
    pub filters: Vec<TicketQuery>,
    pub owners: Vec<TicketQuery>,
    /// The arguments of the dated reports.
    pub reports: ReportArgs,
}

impl Plan {
    /// Every object of `world`, and ticket lists chosen from it.
    pub fn for_world(world: &Inserted, model: &Model) -> Self {
        let tickets: Vec<&TicketRow> = world.tickets.iter().map(|id| model.ticket(*id)).collect();
        let reference = tickets
            .first()
            .map_or("gem-1".to_owned(), |t| t.reference.to_lowercase());
        let surname = tickets
            .iter()
            .find_map(|t| t.recipient.as_deref())
            .and_then(|name| name.split_whitespace().last())
            .unwrap_or("Wyss")
            .to_uppercase();
        let internal = tickets
            .iter()
            .find_map(|t| t.internal_reference.as_deref())
            .map_or(format!("case-{}_", world.serial), |r| {
                r[..r.len() - 2].to_lowercase()
            });
        let partner = world.organisations.get(1).copied().unwrap_or(MISSING);
        let mut organisations = world.organisations.clone();
        organisations.push(MISSING);
        // Each organisation's users are read through its first user.
        let mut seen = BTreeSet::new();
        let users: Vec<(i64, bool)> = world
            .users
            .iter()
            .map(|u| (u.id, seen.insert(u.organisation_id)))
            .chain([(MISSING, false)])
            .collect();
        // Creators: the first two users of each organisation (staff; a
        // member and a colleague or manager of each partner), and nobody.
        let mut per_organisation: HashMap<i64, usize> = HashMap::new();
        let creators = world
            .users
            .iter()
            .filter(|u| {
                let n = per_organisation.entry(u.organisation_id).or_default();
                *n += 1;
                *n <= 2
            })
            .map(|u| u.id)
            .chain([MISSING]);
        Self {
            organisations: organisations.clone(),
            users,
            tickets: tickets
                .iter()
                .map(|t| (t.id, t.reference.clone()))
                .chain([(MISSING, format!("GEM-{MISSING}"))])
                .collect(),
            comments: with_missing(&world.comments),
            feedback: with_missing(&world.feedback),
            attachments: with_missing(&world.attachments),
            events: with_missing(&world.events),
            invoices: with_missing(&world.invoices),
            invoice_lines: with_missing(&world.invoice_lines),
            filters: ticket_filters(
                world.start,
                world.serial as usize,
                partner,
                &reference,
                &surname,
                &internal,
            ),
            owners: organisations
                .iter()
                .map(|id| TicketQuery {
                    organisation: Some(*id),
                    ..Default::default()
                })
                .chain(creators.map(|id| TicketQuery {
                    created_by: Some(id),
                    ..Default::default()
                }))
                .collect(),
            reports: ReportArgs::for_world(world.serial),
        }
    }
}

impl Plan {
    /// The plan of the largest world the generator makes (row ids that
    /// need not exist): 4 organisations, 13 users, 20 tickets with 2
    /// comments and 2 files each, 5 feedback, 6 invoices with 18 lines,
    /// and the missing ids.
    pub fn largest() -> Self {
        let ids = |n: i64| (1..=n).chain([MISSING]).collect::<Vec<_>>();
        let mut plan = Self::sample();
        plan.organisations = ids(4);
        plan.users = ids(13).into_iter().map(|id| (id, id <= 4)).collect();
        plan.tickets = ids(20)
            .into_iter()
            .map(|id| (id, format!("GEM-{id}")))
            .collect();
        plan.comments = ids(40);
        plan.attachments = ids(40);
        plan.feedback = ids(5);
        plan.invoices = ids(6);
        plan.invoice_lines = ids(18);
        plan.owners = ids(4)
            .into_iter()
            .map(|id| TicketQuery {
                organisation: Some(id),
                ..Default::default()
            })
            .chain(ids(8).into_iter().map(|id| TicketQuery {
                created_by: Some(id),
                ..Default::default()
            }))
            .collect();
        plan
    }

    /// One object of each kind (row ids that need not exist): the shape of
    /// the battery's documents, for the coverage test.
    pub fn sample() -> Self {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        Self {
            organisations: vec![1],
            users: vec![(1, true)],
            tickets: vec![(1, "GEM-1".to_owned())],
            comments: vec![1],
            feedback: vec![1],
            attachments: vec![1],
            events: vec![1],
            invoices: vec![1],
            invoice_lines: vec![1],
            filters: ticket_filters(start, 0, 1, "gem-1", "WYSS", "case-1_"),
            owners: vec![
                TicketQuery {
                    organisation: Some(1),
                    ..Default::default()
                },
                TicketQuery {
                    created_by: Some(1),
                    ..Default::default()
                },
            ],
            reports: ReportArgs::for_world(0),
        }
    }
}

fn with_missing(ids: &[i64]) -> Vec<i64> {
    ids.iter().copied().chain([MISSING]).collect()
}

/// The ticket lists of one world: every order and direction, every kind
/// of filter. Statuses and kinds rotate with `turn` (the world's serial), so
/// that a run filters by each of them.
fn ticket_filters(
    start: DateTime<Utc>,
    turn: usize,
    partner: i64,
    reference: &str,
    surname: &str,
    internal: &str,
) -> Vec<TicketQuery> {
    let status = |k: usize| Status::ALL[(turn + k) % Status::ALL.len()];
    let kind = |k: usize| Kind::ALL[(turn + k) % Kind::ALL.len()];
    let early = start + Duration::minutes(360);
    let late = start + Duration::minutes(1080);
    let q = TicketQuery::default;
    vec![
        q(),
        TicketQuery {
            order_by: Some("CREATED_AT_ASC"),
            uncounted: true,
            ..q()
        },
        TicketQuery {
            order_by: Some("UPDATED_AT_DESC"),
            uncounted: true,
            ..q()
        },
        TicketQuery {
            order_by: Some("CREATED_AT_DESC"),
            last: true,
            ..q()
        },
        TicketQuery {
            statuses: Some(vec![status(0)]),
            ..q()
        },
        TicketQuery {
            statuses: Some(vec![status(1), status(3)]),
            ..q()
        },
        TicketQuery {
            kinds: Some(vec![kind(0)]),
            ..q()
        },
        TicketQuery {
            kinds: Some(vec![kind(1), kind(2)]),
            ..q()
        },
        TicketQuery {
            created_after: Some(early),
            ..q()
        },
        TicketQuery {
            created_before: Some(late),
            ..q()
        },
        TicketQuery {
            created_after: Some(early),
            created_before: Some(late),
            ..q()
        },
        TicketQuery {
            search: Some(reference.to_owned()),
            ..q()
        },
        TicketQuery {
            search: Some(surname.to_owned()),
            ..q()
        },
        TicketQuery {
            search: Some(format!("  {internal} {}  ", &reference[..5])),
            ..q()
        },
        TicketQuery {
            updated_after: Some(early),
            ..q()
        },
        TicketQuery {
            updated_before: Some(late),
            ..q()
        },
        TicketQuery {
            shipped_after: Some(early + Duration::days(1)),
            ..q()
        },
        TicketQuery {
            shipped_before: Some(late + Duration::days(1)),
            ..q()
        },
        TicketQuery {
            for_learning: Some(turn.is_multiple_of(2)),
            ..q()
        },
        TicketQuery {
            has_invoice: Some(true),
            ..q()
        },
        TicketQuery {
            has_invoice: Some(false),
            ..q()
        },
        TicketQuery {
            waiting_for_staff: Some(true),
            ..q()
        },
        TicketQuery {
            waiting_for_staff: Some(false),
            ..q()
        },
        TicketQuery {
            mine: Some(true),
            ..q()
        },
        TicketQuery {
            mine: Some(false),
            for_learning: Some(!turn.is_multiple_of(2)),
            ..q()
        },
        TicketQuery {
            order_by: Some("SHIPPED_AT_DESC"),
            waiting_for_staff: Some(true),
            ..q()
        },
        TicketQuery {
            organisation: Some(partner),
            statuses: Some(vec![status(2), status(4), status(5)]),
            kinds: Some(vec![kind(0), kind(1)]),
            created_after: Some(start),
            ..q()
        },
    ]
}

// Selections. Every field of every type is read somewhere (the coverage
// test sees to it); the first lookup of each operation reads them all, the
// others read what the oracle decides (ids, relations, field rules), which
// keeps a run short.
const PERSON: &str = "id displayName isStaff";
const USER_FIELDS: &str = "id displayName email role locale isActive invitationPending staffNotifications lastLoginAt createdAt organisation { id }";
const USER_CHECKED: &str = "id displayName email role staffNotifications organisation { id }";
const ORGANISATION_FIELDS: &str = "id name kind ticketVisibility billingMode locale billingEmail \
     billingAddress priceAgreement { standardUnitPriceCents learningUnitPriceCents \
     vatRateBasisPoints } createdAt archivedAt";
const ORGANISATION_CHECKED: &str =
    "id name kind ticketVisibility billingEmail priceAgreement { standardUnitPriceCents }";

const INVOICE_FIELDS: &str = "id number organisation { id } billingMode periodStart periodEnd \
     status currency subtotalCents vatRateBasisPoints vatCents totalCents billingEmail \
     billingAddress issuedAt paidAt voidedAt voidReason csvUrl";
const INVOICE_CHECKED: &str = "id organisation { id } csvUrl";
const LINE_FIELDS: &str = "id invoice { id } ticket { id } reference internalReference enteredAt \
     shippedAt deviceModel deliveryAddress forLearning amountCents vatCents isLive";
const LINE_CHECKED: &str = "id invoice { id } ticket { id }";

fn ticket_fields(all: bool) -> String {
    if !all {
        return format!(
            "id reference kind status internalReference organisation {{ id }}
             createdBy {{ {PERSON} }} order {{ recipientName invoice {{ id }} }} invoiceLine {{ id }}
             relatedTicket {{ id commentCount }}
             comments(first: {COMMENT_PAGE}) {{
               totalCount pageInfo {{ hasNextPage }}
               nodes {{ id visibility author {{ {PERSON} }} ticket {{ id }} }}
             }}
             commentCount
             attachments(first: {COMMENT_PAGE}) {{ nodes {{ id sizeBytes uploadedBy {{ {PERSON} }} downloadUrl }} }}
             events(first: {COMMENT_PAGE}) {{ nodes {{ id actor {{ {PERSON} }} ticket {{ id }} }} }}"
        );
    }
    format!(
        "id reference kind status statusLabel kindLabel subject description internalReference createdAt updatedAt version
         statusChangedAt
         organisation {{ id name }}
         createdBy {{ {PERSON} }}
         order {{ recipientName street postalCode city country phone forLearning comment
                  deviceModel serialNumber shippedAt trackingNumber invoice {{ id }} }}
         invoiceLine {{ id }}
         relatedTicket {{ id commentCount }}
         comments(first: {COMMENT_PAGE}) {{
           totalCount pageInfo {{ hasNextPage }}
           edges {{ cursor node {{ id body visibility createdAt author {{ {PERSON} }} ticket {{ id }} }} }}
           nodes {{ id }}
         }}
         commentCount
         attachments(first: {COMMENT_PAGE}) {{ totalCount pageInfo {{ hasNextPage }} edges {{ cursor node {{ id fileName contentType sizeBytes sha256 createdAt uploadedBy {{ {PERSON} }} downloadUrl }} }} nodes {{ id }} }}
         events(first: {COMMENT_PAGE}) {{ totalCount pageInfo {{ hasNextPage }} edges {{ cursor node {{ id kind from to note createdAt actor {{ {PERSON} }} ticket {{ id }} }} }} nodes {{ id }} }}
         availableTransitions {{ action to }}"
    )
}

/// The battery's GraphQL documents for `plan`.
pub fn documents(plan: &Plan) -> Vec<Operation> {
    let mut ops = Vec::new();

    ops.push(Operation {
        name: "roots",
        selection: format!(
            "viewer {{ {USER_FIELDS} }}
               organisations(first: {ROOT_PAGE}) {{
                 totalCount
                 pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }}
                 edges {{ cursor node {{
                   {ORGANISATION_CHECKED}
                   users(first: {NESTED_PAGE}) {{
                     totalCount pageInfo {{ hasNextPage }}
                     edges {{ cursor node {{ id displayName email }} }}
                   }}
                 }} }}
                 nodes {{ id }}
               }}
               users(first: {ROOT_PAGE}) {{
                 totalCount pageInfo {{ hasNextPage }}
                 edges {{ cursor node {{ {USER_CHECKED} }} }}
               }}
               feedback(first: {ROOT_PAGE}) {{
                 totalCount pageInfo {{ hasNextPage }}
                 edges {{ cursor node {{ id }} }}
                 nodes {{ id author {{ {PERSON} }} organisation {{ id }} }}
               }}
               invoices(first: {ROOT_PAGE}) {{
                 totalCount pageInfo {{ hasNextPage }}
                 edges {{ cursor node {{ id organisation {{ id }} }} }}
                 nodes {{ id }}
               }}"
        ),
    });

    let mut body = String::new();
    for (i, id) in plan.organisations.iter().enumerate() {
        let id = lit(&gid("Organisation", *id));
        let fields = if i == 0 {
            ORGANISATION_FIELDS
        } else {
            ORGANISATION_CHECKED
        };
        body.push_str(&format!(
            "o{i}: organisation(id: {id}) {{
               {fields}
               users(first: {NESTED_PAGE}) {{
                 totalCount pageInfo {{ hasNextPage }}
                 edges {{ cursor node {{ id displayName email }} }}
               }}
             }}
             ou{i}: users(organisationId: {id}, first: {NESTED_PAGE}) {{
               totalCount pageInfo {{ hasNextPage }} nodes {{ id email }}
             }}\n"
        ));
    }
    ops.push(Operation {
        name: "organisationById",
        selection: body,
    });

    let mut body = String::new();
    for (i, (id, colleagues)) in plan.users.iter().enumerate() {
        let colleagues = if *colleagues {
            format!("organisation {{ id users(first: {NESTED_PAGE}) {{ nodes {{ id }} }} }}")
        } else {
            String::new()
        };
        let fields = if i == 0 { USER_FIELDS } else { USER_CHECKED };
        body.push_str(&format!(
            "u{i}: user(id: {}) {{ {fields} {colleagues} }}\n",
            lit(&gid("User", *id))
        ));
    }
    ops.push(Operation {
        name: "userById",
        selection: body,
    });

    for (name, prefix, queries) in [
        ("ticketFilters", "q", &plan.filters),
        ("ticketsByOwner", "w", &plan.owners),
    ] {
        let mut body = String::new();
        for (i, query) in queries.iter().enumerate() {
            let edges = if i == 0 {
                "edges { cursor node { id } }"
            } else {
                ""
            };
            let count = if query.uncounted { "" } else { "totalCount" };
            body.push_str(&format!(
                "{prefix}{i}: tickets({}) {{
                   {count} pageInfo {{ hasNextPage hasPreviousPage }} nodes {{ id }} {edges}
                 }}\n",
                query.arguments()
            ));
        }
        ops.push(Operation {
            name,
            selection: body,
        });
    }

    let mut body = String::new();
    for (i, (id, _)) in plan.tickets.iter().enumerate() {
        body.push_str(&format!(
            "t{i}: ticket(id: {}) {{ {} }}\n",
            lit(&gid("Ticket", *id)),
            ticket_fields(i == 0)
        ));
    }
    ops.push(Operation {
        name: "ticketById",
        selection: body,
    });

    let mut body = String::new();
    for (i, (_, reference)) in plan.tickets.iter().enumerate() {
        // Lower case and padded: the lookup normalises its input.
        let reference = format!(" {} ", reference.to_lowercase());
        body.push_str(&format!(
            "r{i}: ticketByReference(reference: {}) {{ id reference organisation {{ id }} }}\n",
            lit(&reference)
        ));
    }
    ops.push(Operation {
        name: "ticketByReference",
        selection: body,
    });

    let mut body = String::new();
    for (i, id) in plan.invoices.iter().enumerate() {
        let fields = if i == 0 {
            INVOICE_FIELDS
        } else {
            INVOICE_CHECKED
        };
        body.push_str(&format!(
            "i{i}: invoice(id: {}) {{ {fields}
               lines(first: {NESTED_PAGE}) {{
                 totalCount pageInfo {{ hasNextPage }}
                 edges {{ cursor node {{ {} }} }}
                 nodes {{ id }}
               }}
             }}\n",
            lit(&gid("Invoice", *id)),
            if i == 0 { LINE_FIELDS } else { LINE_CHECKED },
        ));
    }
    for (i, id) in plan.organisations.iter().enumerate() {
        body.push_str(&format!(
            "if{i}: invoices(filter: {{ organisationId: {}, status: [ISSUED, PAID, VOID],
               issuedAfter: \"2000-01-01T00:00:00Z\", issuedBefore: \"2999-01-01T00:00:00Z\" }},
               orderBy: ISSUED_AT_ASC, first: {ROOT_PAGE}) {{
               totalCount pageInfo {{ hasNextPage }} nodes {{ id organisation {{ id }} }}
             }}\n",
            lit(&gid("Organisation", *id)),
        ));
    }
    ops.push(Operation {
        name: "invoiceById",
        selection: body,
    });

    let mut body = String::new();
    let mut node = |prefix: &str,
                    type_name: &str,
                    ids: &mut dyn Iterator<Item = i64>,
                    fragment: &str| {
        for (i, id) in ids.enumerate() {
            body.push_str(&format!(
                "{prefix}{i}: node(id: {}) {{ __typename id ... on {type_name} {{ {fragment} }} }}\n",
                lit(&gid(type_name, id))
            ));
        }
    };
    node(
        "no",
        "Organisation",
        &mut plan.organisations.iter().copied(),
        "name billingEmail",
    );
    node(
        "nu",
        "User",
        &mut plan.users.iter().map(|(id, _)| *id),
        "email organisation { id }",
    );
    node(
        "nt",
        "Ticket",
        &mut plan.tickets.iter().map(|(id, _)| *id),
        "reference commentCount organisation { id }",
    );
    node(
        "nc",
        "Comment",
        &mut plan.comments.iter().copied(),
        &format!(
            "visibility author {{ {PERSON} }}
             ticket {{ id commentCount comments(first: {COMMENT_PAGE}) {{ totalCount nodes {{ id }} }} }}"
        ),
    );
    node(
        "nf",
        "Feedback",
        &mut plan.feedback.iter().copied(),
        &format!("message createdAt author {{ {PERSON} }} organisation {{ id }}"),
    );
    node(
        "na",
        "Attachment",
        &mut plan.attachments.iter().copied(),
        &format!("downloadUrl uploadedBy {{ {PERSON} }}"),
    );
    node(
        "ne",
        "TicketEvent",
        &mut plan.events.iter().copied(),
        &format!("kind actor {{ {PERSON} }} ticket {{ id }}"),
    );
    node(
        "ni",
        "Invoice",
        &mut plan.invoices.iter().copied(),
        "number organisation { id } lines { totalCount }",
    );
    node(
        "nl",
        "InvoiceLine",
        &mut plan.invoice_lines.iter().copied(),
        "reference invoice { id } ticket { id }",
    );
    ops.push(Operation {
        name: "node",
        selection: body,
    });
    ops.push(Operation {
        name: "reports",
        selection: crate::reports::document(&plan.reports),
    });
    ops.push(Operation {
        name: "outbox",
        selection: format!(
            "emails(first: {ROOT_PAGE}) {{
               totalCount pageInfo {{ hasNextPage }}
               edges {{ cursor node {{
                 id kind to subject status attempts lastError nextAttemptAt
                 createdAt sentAt attachmentName
               }} }}
               nodes {{ id }}
             }}
             deadEmails: emails(status: DEAD, first: {ROOT_PAGE}) {{
               totalCount pageInfo {{ hasNextPage }} nodes {{ id status }}
             }}"
        ),
    });
    ops
}

/// Runs the battery as `user` (a user of the database); returns every
/// disagreement with the oracle, each on one line.
pub async fn run(
    app: &TestApp,
    model: &Model,
    plan: &Plan,
    user: &entity::users::Model,
) -> Vec<String> {
    let (token, _) = app
        .state
        .tokens
        .issue(&user.clone().into(), app.clock.now())
        .expect("a token");
    let viewer = OracleUser::from_model(model, user.id);
    let mut check = Check {
        model,
        viewer,
        op: "",
        known: HashMap::new(),
        found: Vec::new(),
    };
    let ops = documents(plan);
    for (group, document) in requests(&ops) {
        let parts: Vec<&Operation> = ops.iter().filter(|op| group.contains(&op.name)).collect();
        let body = app.graphql(&document, json!({}), Some(&token)).await;
        if group == ["outbox"] {
            check.op = "outbox";
            check.outbox(&body);
            continue;
        }
        if !body["errors"].is_null() || !body["data"].is_object() {
            check.op = group[0];
            check.fail("response", format!("errors: {}", body["errors"]));
            continue;
        }
        let data = &body["data"];
        for op in parts {
            check.op = op.name;
            match op.name {
                "roots" => check.roots(data),
                "organisationById" => check.organisations_by_id(plan, data),
                "userById" => check.users_by_id(plan, data),
                "ticketFilters" => check.ticket_lists("q", &plan.filters, data),
                "ticketsByOwner" => check.ticket_lists("w", &plan.owners, data),
                "ticketById" => check.tickets_by_id(plan, data),
                "ticketByReference" => check.tickets_by_reference(plan, data),
                "invoiceById" => check.invoices_by_id(plan, data),
                "node" => check.nodes(plan, data),
                "reports" => check.reports(plan, data),
                other => check.fail("battery", format!("no check for operation {other}")),
            }
        }
    }
    for op in &ops {
        if !REQUESTS.iter().any(|group| group.contains(&op.name)) {
            check.fail(
                "battery",
                format!("operation {} is sent by no request", op.name),
            );
        }
    }
    check.op = "download";
    check.downloads(app, plan, &token).await;
    check.invoice_downloads(app, plan, &token).await;
    let who = format!(
        "viewer User {} ({}, organisation {} {})",
        viewer.id,
        viewer.role.graphql(),
        viewer.organisation,
        viewer.organisation_visibility.graphql()
    );
    check
        .found
        .into_iter()
        .map(|line| format!("{who}: {line}"))
        .collect()
}

struct Check<'a> {
    model: &'a Model,
    viewer: OracleUser,
    op: &'static str,
    /// `may_know_by_name`, per user id, for this viewer.
    known: HashMap<i64, bool>,
    found: Vec<String>,
}

impl Check<'_> {
    fn sees(&self, object: &WorldObject) -> bool {
        may_see(&self.viewer, object)
    }

    fn fail(&mut self, path: &str, what: String) {
        self.found.push(format!("[{}] {path}: {what}", self.op));
    }

    /// `actual`, cut down to the shape of `expected`, equals `expected`;
    /// otherwise each differing field is reported.
    fn same(&mut self, path: &str, expected: Value, actual: &Value) {
        let got = restrict(actual, &expected);
        let mut differences = Vec::new();
        differ("", &expected, &got, &mut differences);
        if !differences.is_empty() {
            self.fail(path, differences.join("; "));
        }
    }

    /// The `Person` a viewer reads for user `id`: null when it may not
    /// know them.
    fn person(&mut self, id: i64) -> Value {
        let model = self.model;
        let viewer = self.viewer;
        let user = model.user(id);
        let known = *self
            .known
            .entry(id)
            .or_insert_with(|| may_know_by_name(&viewer, user, model));
        if !known {
            return Value::Null;
        }
        json!({
            "id": gid("User", id),
            "displayName": user.display_name,
            "isStaff": matches!(user.role, Role::Staff | Role::Admin),
        })
    }

    fn user(&self, id: i64) -> Value {
        let user = self.model.user(id);
        let details = may_read_details(&self.viewer, user);
        json!({
            "id": gid("User", id),
            "displayName": user.display_name,
            "email": details.then(|| user.email.clone()),
            "role": details.then(|| user.role.graphql()),
            "staffNotifications": details.then_some(user.staff_notifications),
            "organisation": { "id": gid("Organisation", user.organisation) },
        })
    }

    fn organisation(&self, id: i64) -> Value {
        let org = &self.model.organisations[&id];
        let billing = may_read_billing(&self.viewer, id);
        json!({
            "id": gid("Organisation", id),
            "name": org.name,
            "kind": if org.is_provider { "PROVIDER" } else { "PARTNER" },
            "ticketVisibility": org.visibility.graphql(),
            "billingEmail": billing.then(|| org.billing_email.clone()),
            "priceAgreement": billing.then(|| json!({
                "standardUnitPriceCents": org.standard_price_cents,
            })),
        })
    }

    fn feedback(&mut self, id: i64) -> Value {
        let row = &self.model.feedback[&id];
        let (author, organisation) = (row.author, row.organisation);
        json!({
            "id": gid("Feedback", id),
            "author": self.person(author),
            "organisation": { "id": gid("Organisation", organisation) },
        })
    }

    /// A connection (or a plain list) compared as a set with `expected`
    /// (global ids): returns the items it holds.
    fn list(&mut self, path: &str, actual: &Value, expected: &[String], page: usize) -> Vec<Value> {
        self.page(path, actual, expected, page, false)
    }

    /// [`Check::list`], for a page read forward or, with `last:`, backward.
    fn page(
        &mut self,
        path: &str,
        actual: &Value,
        expected: &[String],
        page: usize,
        backward: bool,
    ) -> Vec<Value> {
        let from_edges = actual["edges"].as_array().map(|edges| {
            edges
                .iter()
                .map(|edge| edge["node"].clone())
                .collect::<Vec<_>>()
        });
        let from_nodes = actual["nodes"].as_array().cloned();
        let items = match (actual.as_array(), from_edges, from_nodes) {
            (Some(items), _, _) => items.clone(),
            (None, Some(edges), Some(nodes)) => {
                if ids(&edges) != ids(&nodes) {
                    self.fail(path, "edges and nodes differ".to_owned());
                }
                // Each view may select other fields of the same items.
                edges
                    .into_iter()
                    .zip(nodes)
                    .map(|(mut edge, node)| {
                        if let (Some(edge), Value::Object(node)) = (edge.as_object_mut(), node) {
                            edge.extend(node);
                        }
                        edge
                    })
                    .collect()
            }
            (None, Some(items), None) | (None, None, Some(items)) => items,
            (None, None, None) => {
                self.fail(path, format!("expected a list, got {actual}"));
                return Vec::new();
            }
        };
        let got = ids(&items);
        let want: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
        let got_set: BTreeSet<&str> = got.iter().copied().collect();
        if got_set.len() != got.len() {
            self.fail(path, format!("an item appears twice: {got:?}"));
        }
        let unexpected: Vec<String> = got_set
            .difference(&want)
            .map(|id| self.describe(id))
            .collect();
        if !unexpected.is_empty() {
            self.fail(
                path,
                format!(
                    "holds what the viewer may not see: {}",
                    unexpected.join("; ")
                ),
            );
        }
        let shown = expected.len().min(page);
        // Too many items are reported above, by name; here, too few.
        if unexpected.is_empty() && got.len() != shown {
            let missing: Vec<String> = if expected.len() <= page {
                want.difference(&got_set)
                    .map(|id| self.describe(id))
                    .collect()
            } else {
                Vec::new()
            };
            self.fail(
                path,
                format!(
                    "expected {shown} of {} items, got {}; missing: [{}]",
                    expected.len(),
                    got.len(),
                    missing.join("; ")
                ),
            );
        }
        if let Some(total) = actual.get("totalCount")
            && *total != json!(expected.len())
        {
            self.fail(
                path,
                format!("totalCount {total}, the viewer may see {}", expected.len()),
            );
        }
        let more = expected.len() > got.len();
        let (next, previous) = if backward {
            (false, more)
        } else {
            (more, false)
        };
        for (flag, wanted) in [("hasNextPage", next), ("hasPreviousPage", previous)] {
            let value = &actual["pageInfo"][flag];
            if !value.is_null() && *value != json!(wanted) {
                self.fail(
                    path,
                    format!("pageInfo.{flag} is {value}, expected {wanted}"),
                );
            }
        }
        items
    }

    /// A readable account of the object behind a global id.
    fn describe(&self, id: &str) -> String {
        let Some((type_name, row)) = from_global_id(&async_graphql::ID(id.to_owned())) else {
            return format!("{id:?}");
        };
        let m = self.model;
        let text = match type_name.as_str() {
            "Ticket" => m.tickets.get(&row).map(|t| {
                format!(
                    "{} of organisation {} created by User {}",
                    t.reference, t.organisation, t.created_by
                )
            }),
            "Comment" => m
                .comments
                .get(&row)
                .map(|c| format!("{} on ticket {}", c.visibility.graphql(), c.ticket)),
            "User" => m
                .users
                .get(&row)
                .map(|u| format!("{} of organisation {}", u.role.graphql(), u.organisation)),
            "Feedback" => m
                .feedback
                .get(&row)
                .map(|f| format!("by User {} of organisation {}", f.author, f.organisation)),
            "Attachment" => m
                .attachments
                .get(&row)
                .map(|a| format!("on ticket {}", a.ticket)),
            "TicketEvent" => m
                .events
                .get(&row)
                .map(|e| format!("on ticket {}", e.ticket)),
            "Invoice" => m
                .invoices
                .get(&row)
                .map(|i| format!("of organisation {}", i.organisation)),
            "InvoiceLine" => m
                .invoice_lines
                .get(&row)
                .map(|l| format!("of invoice {} on ticket {}", l.invoice, l.ticket)),
            _ => None,
        };
        match text {
            Some(text) => format!("{type_name} {row} ({text})"),
            None => format!("{type_name} {row}"),
        }
    }

    fn roots(&mut self, data: &Value) {
        let me = self.user(self.viewer.id);
        self.same("viewer", me, &data["viewer"]);

        let orgs: Vec<i64> = self
            .model
            .organisations
            .keys()
            .copied()
            .filter(|id| self.sees(&WorldObject::Organisation { id: *id }))
            .collect();
        let expected: Vec<String> = orgs.iter().map(|id| gid("Organisation", *id)).collect();
        for node in self.list(
            "organisations",
            &data["organisations"],
            &expected,
            ROOT_PAGE,
        ) {
            if let Some(id) = row_id(&node, "Organisation") {
                let want = self.organisation(id);
                let path = format!("organisations[{id}]");
                self.same(&path, want, &node);
                // The users of a whole page of organisations load in one
                // batch: each organisation must get its own, and only those
                // the viewer may see.
                let members = self.users_of(id);
                for user in self.list(
                    &format!("{path}.users"),
                    &node["users"],
                    &members,
                    NESTED_PAGE,
                ) {
                    if let Some(user_id) = row_id(&user, "User") {
                        let want = self.user(user_id);
                        let want = json!({
                            "id": want["id"],
                            "displayName": want["displayName"],
                            "email": want["email"],
                        });
                        self.same(&format!("{path}.users[{user_id}]"), want, &user);
                    }
                }
            }
        }

        let users: Vec<i64> = self
            .model
            .users
            .keys()
            .copied()
            .filter(|id| self.sees(&self.model.user_object(*id)))
            .collect();
        let expected: Vec<String> = users.iter().map(|id| gid("User", *id)).collect();
        for node in self.list("users", &data["users"], &expected, ROOT_PAGE) {
            if let Some(id) = row_id(&node, "User") {
                let want = self.user(id);
                self.same(&format!("users[{id}]"), want, &node);
            }
        }

        let feedback: Vec<i64> = self
            .model
            .feedback
            .keys()
            .copied()
            .filter(|id| self.sees(&self.model.feedback_object(*id)))
            .collect();
        let expected: Vec<String> = feedback.iter().map(|id| gid("Feedback", *id)).collect();
        for node in self.list("feedback", &data["feedback"], &expected, ROOT_PAGE) {
            if let Some(id) = row_id(&node, "Feedback") {
                let want = self.feedback(id);
                self.same(&format!("feedback[{id}]"), want, &node);
            }
        }

        let expected = self.visible_invoices(None);
        for node in self.list("invoices", &data["invoices"], &expected, ROOT_PAGE) {
            if let Some(id) = row_id(&node, "Invoice") {
                let want = json!({
                    "id": gid("Invoice", id),
                    "organisation": { "id": gid("Organisation", self.model.invoices[&id].organisation) },
                });
                self.same(&format!("invoices[{id}]"), want, &node);
            }
        }
    }

    /// Every report equals its computation over the rows the oracle lets
    /// the viewer see (`crate::reports`): nothing else is counted.
    /// `emails`: every email for ADMIN, FORBIDDEN (and no data) for
    /// anyone else.
    fn outbox(&mut self, body: &Value) {
        if !may_read_outbox(&self.viewer) {
            let code = body["errors"][0]["extensions"]["code"].as_str();
            if code != Some("FORBIDDEN") || !body["data"].is_null() {
                self.fail(
                    "emails",
                    format!("expected FORBIDDEN and no data, got {body}"),
                );
            }
            return;
        }
        if !body["errors"].is_null() {
            self.fail("response", format!("errors: {}", body["errors"]));
            return;
        }
        let all: Vec<String> = self
            .model
            .emails
            .keys()
            .map(|id| gid("Email", *id))
            .collect();
        self.list("emails", &body["data"]["emails"], &all, ROOT_PAGE);
        let dead: Vec<String> = self
            .model
            .emails
            .iter()
            .filter(|(_, row)| row.status == "DEAD")
            .map(|(id, _)| gid("Email", *id))
            .collect();
        for node in self.list("deadEmails", &body["data"]["deadEmails"], &dead, ROOT_PAGE) {
            if node["status"] != "DEAD" {
                self.fail("deadEmails", format!("not DEAD: {node}"));
            }
        }
    }

    fn reports(&mut self, plan: &Plan, data: &Value) {
        let want = crate::reports::expected(self.model, &self.viewer, &plan.reports);
        self.same("reports", want, &data["reports"]);
    }

    /// The invoices the viewer may see, of one organisation or all.
    fn visible_invoices(&self, organisation: Option<i64>) -> Vec<String> {
        self.model
            .invoices
            .iter()
            .filter(|(id, row)| {
                organisation.is_none_or(|o| o == row.organisation)
                    && self.sees(&self.model.invoice_object(**id))
            })
            .map(|(id, _)| gid("Invoice", *id))
            .collect()
    }

    /// The live invoice line of ticket `id` the viewer may see (every line
    /// the generator writes is live).
    /// What the filters read beyond the ticket's row, for this viewer.
    fn facts(&self, ticket: i64) -> TicketFacts {
        let last_public = self
            .model
            .children(ticket)
            .comments
            .into_iter()
            .filter(|c| self.model.comments[c].visibility == CommentVisibility::Public)
            .max();
        TicketFacts {
            viewer: self.viewer.id,
            invoiced: self.live_line_of(ticket).is_some(),
            waiting_for_staff: last_public.is_some_and(|c| {
                matches!(
                    self.model.user(self.model.comments[&c].author).role,
                    Role::PartnerMember | Role::PartnerManager
                )
            }),
        }
    }

    fn live_line_of(&self, ticket: i64) -> Option<i64> {
        self.model
            .invoice_lines
            .iter()
            .find(|(_, line)| line.ticket == ticket)
            .map(|(id, _)| *id)
            .filter(|id| self.sees(&self.model.invoice_line_object(*id)))
    }

    /// What the viewer reads of invoice line `id`.
    fn invoice_line(&self, id: i64) -> Value {
        let line = &self.model.invoice_lines[&id];
        let ticket = self
            .sees(&self.model.ticket_object(line.ticket))
            .then(|| json!({ "id": gid("Ticket", line.ticket) }));
        json!({
            "id": gid("InvoiceLine", id),
            "invoice": { "id": gid("Invoice", line.invoice) },
            "ticket": ticket,
        })
    }

    fn invoices_by_id(&mut self, plan: &Plan, data: &Value) {
        let model = self.model;
        for (i, id) in plan.invoices.iter().enumerate() {
            let path = format!("i{i}: invoice(Invoice {id})");
            let actual = &data[format!("i{i}")];
            if !model.invoices.contains_key(id) || !self.sees(&model.invoice_object(*id)) {
                self.same(&path, Value::Null, actual);
                continue;
            }
            let want = json!({
                "id": gid("Invoice", *id),
                "organisation": { "id": gid("Organisation", model.invoices[id].organisation) },
                "csvUrl": format!("/invoices/{}.csv", gid("Invoice", *id)),
            });
            self.same(&path, want, actual);
            let lines: Vec<i64> = model
                .invoice_lines
                .iter()
                .filter(|(_, line)| line.invoice == *id)
                .map(|(line, _)| *line)
                .filter(|line| self.sees(&model.invoice_line_object(*line)))
                .collect();
            let expected: Vec<String> = lines.iter().map(|l| gid("InvoiceLine", *l)).collect();
            for node in self.list(
                &format!("{path}.lines"),
                &actual["lines"],
                &expected,
                NESTED_PAGE,
            ) {
                if let Some(line) = row_id(&node, "InvoiceLine") {
                    let want = self.invoice_line(line);
                    self.same(&format!("{path}.lines[{line}]"), want, &node);
                }
            }
        }
        for (i, id) in plan.organisations.iter().enumerate() {
            let path = format!("if{i}: invoices(organisationId: Organisation {id})");
            let expected = self.visible_invoices(Some(*id));
            self.list(&path, &data[format!("if{i}")], &expected, ROOT_PAGE);
        }
    }

    /// `GET /invoices/{id}.csv`: the file to whoever sees the invoice; to
    /// anyone else, the very 404 an invoice that never existed gets.
    async fn invoice_downloads(&mut self, app: &TestApp, plan: &Plan, token: &str) {
        let get = |id: i64| {
            let url = format!("{}/invoices/{}.csv", app.address, gid("Invoice", id));
            let request = app.client.get(url).bearer_auth(token);
            async move {
                let response = request.send().await.expect("download request");
                let status = response.status().as_u16();
                let body = response.text().await.expect("download body");
                (status, body)
            }
        };
        let (missing_status, missing_body) = get(MISSING).await;
        if missing_status != 404 {
            self.fail(
                "download(missing invoice)",
                format!("status {missing_status}, expected 404"),
            );
        }
        for id in &plan.invoices {
            if !self.model.invoices.contains_key(id) {
                continue;
            }
            let (status, body) = get(*id).await;
            let path = format!("download({}.csv)", self.describe(&gid("Invoice", *id)));
            if self.sees(&self.model.invoice_object(*id)) {
                let lines = self
                    .model
                    .invoice_lines
                    .values()
                    .filter(|line| line.invoice == *id)
                    .count();
                // The BOM, the header, one row per line.
                let rows = body.trim_end_matches("\r\n").split("\r\n").count();
                if status != 200 || !body.starts_with('\u{feff}') || rows != lines + 1 {
                    self.fail(
                        &path,
                        format!(
                            "expected 200 with a header and {lines} rows, got {status}: {body}"
                        ),
                    );
                }
            } else if status != missing_status || body != missing_body {
                self.fail(
                    &path,
                    format!(
                        "expected the 404 of a missing invoice ({missing_body}), got {status}: {body}"
                    ),
                );
            }
        }
    }

    /// The users of organisation `id` the viewer may see.
    fn users_of(&self, id: i64) -> Vec<String> {
        self.model
            .users
            .values()
            .filter(|u| u.organisation == id && self.sees(&self.model.user_object(u.id)))
            .map(|u| gid("User", u.id))
            .collect()
    }

    fn organisations_by_id(&mut self, plan: &Plan, data: &Value) {
        for (i, id) in plan.organisations.iter().enumerate() {
            let path = format!("o{i}: organisation(Organisation {id})");
            let actual = &data[format!("o{i}")];
            let exists = self.model.organisations.contains_key(id);
            let members = if exists {
                self.users_of(*id)
            } else {
                Vec::new()
            };
            if exists && self.sees(&WorldObject::Organisation { id: *id }) {
                let want = self.organisation(*id);
                self.same(&path, want, actual);
                for node in self.list(
                    &format!("{path}.users"),
                    &actual["users"],
                    &members,
                    NESTED_PAGE,
                ) {
                    if let Some(user) = row_id(&node, "User") {
                        let want = self.user(user);
                        let want = json!({ "id": want["id"], "email": want["email"] });
                        self.same(&format!("{path}.users[{user}]"), want, &node);
                    }
                }
            } else {
                self.same(&path, Value::Null, actual);
            }
            let path = format!("ou{i}: users(organisationId: Organisation {id})");
            for node in self.list(&path, &data[format!("ou{i}")], &members, NESTED_PAGE) {
                if let Some(user) = row_id(&node, "User") {
                    let want = self.user(user);
                    let want = json!({ "id": want["id"], "email": want["email"] });
                    self.same(&format!("{path}[{user}]"), want, &node);
                }
            }
        }
    }

    fn users_by_id(&mut self, plan: &Plan, data: &Value) {
        for (i, (id, colleagues)) in plan.users.iter().enumerate() {
            let path = format!("u{i}: user(User {id})");
            let actual = &data[format!("u{i}")];
            if self.model.users.contains_key(id) && self.sees(&self.model.user_object(*id)) {
                let want = self.user(*id);
                self.same(&path, want, actual);
                if !colleagues {
                    continue;
                }
                let org = self.model.user(*id).organisation;
                let colleagues = self.users_of(org);
                self.list(
                    &format!("{path}.organisation.users"),
                    &actual["organisation"]["users"],
                    &colleagues,
                    NESTED_PAGE,
                );
            } else {
                self.same(&path, Value::Null, actual);
            }
        }
    }

    fn ticket_lists(&mut self, prefix: &str, queries: &[TicketQuery], data: &Value) {
        let visible: Vec<&TicketRow> = self
            .model
            .tickets
            .values()
            .filter(|t| self.sees(&WorldObject::Ticket((*t).into())))
            .collect();
        for (i, query) in queries.iter().enumerate() {
            let expected: Vec<String> = visible
                .iter()
                .filter(|t| query.matches(t, &self.facts(t.id)))
                .map(|t| gid("Ticket", t.id))
                .collect();
            let path = format!("{prefix}{i}: tickets({})", query.arguments());
            self.page(
                &path,
                &data[format!("{prefix}{i}")],
                &expected,
                TICKET_PAGE,
                query.last,
            );
        }
    }

    fn visible_comments(&self, ticket: i64) -> Vec<String> {
        self.model
            .children(ticket)
            .comments
            .into_iter()
            .filter(|c| self.sees(&self.model.comment_object(*c)))
            .map(|c| gid("Comment", c))
            .collect()
    }

    fn tickets_by_id(&mut self, plan: &Plan, data: &Value) {
        for (i, (id, _)) in plan.tickets.iter().enumerate() {
            let path = format!("t{i}: ticket(Ticket {id})");
            let actual = &data[format!("t{i}")];
            if !self.model.tickets.contains_key(id) || !self.sees(&self.model.ticket_object(*id)) {
                self.same(&path, Value::Null, actual);
                continue;
            }
            self.ticket(&path, *id, actual);
        }
    }

    /// Everything `ticket(id:)` reads of a ticket the viewer sees.
    fn ticket(&mut self, path: &str, id: i64, actual: &Value) {
        let model = self.model;
        let ticket = model.ticket(id);
        let comments = self.visible_comments(id);
        let order = model.orders.contains_key(&id)
            && self.sees(&WorldObject::Order {
                ticket: ticket.into(),
            });
        let related = ticket
            .related
            .filter(|r| self.sees(&model.ticket_object(*r)))
            .map(|r| json!({ "id": gid("Ticket", r), "commentCount": self.visible_comments(r).len() }));
        let line = self.live_line_of(id);
        let line_id = line.map_or(Value::Null, |l| json!({ "id": gid("InvoiceLine", l) }));
        let invoice = line.map_or(
            Value::Null,
            |l| json!({ "id": gid("Invoice", model.invoice_lines[&l].invoice) }),
        );
        let want = json!({
            "id": gid("Ticket", id),
            "reference": ticket.reference,
            "kind": ticket.kind.graphql(),
            "status": ticket.status.graphql(),
            "internalReference": ticket.internal_reference,
            "organisation": { "id": gid("Organisation", ticket.organisation) },
            "createdBy": self.person(ticket.created_by),
            "order": if order {
                json!({ "recipientName": ticket.recipient, "invoice": invoice })
            } else {
                Value::Null
            },
            "invoiceLine": line_id,
            "relatedTicket": related,
            "commentCount": comments.len(),
            "comments": {
                "totalCount": comments.len(),
                "pageInfo": { "hasNextPage": comments.len() > COMMENT_PAGE },
            },
        });
        self.same(path, want, actual);

        let children = model.children(id);
        for node in self.list(
            &format!("{path}.comments"),
            &actual["comments"],
            &comments,
            COMMENT_PAGE,
        ) {
            if let Some(c) = row_id(&node, "Comment").and_then(|c| model.comments.get(&c)) {
                let want = json!({
                    "id": gid("Comment", c.id),
                    "visibility": c.visibility.graphql(),
                    "author": self.person(c.author),
                    "ticket": { "id": gid("Ticket", id) },
                });
                self.same(&format!("{path}.comments[{}]", c.id), want, &node);
            }
        }

        let events: Vec<String> = children
            .events
            .iter()
            .filter(|e| self.sees(&model.event_object(**e)))
            .map(|e| gid("TicketEvent", *e))
            .collect();
        for node in self.list(
            &format!("{path}.events"),
            &actual["events"],
            &events,
            COMMENT_PAGE,
        ) {
            if let Some(e) = row_id(&node, "TicketEvent").and_then(|e| model.events.get(&e)) {
                let actor = e.actor.map_or(Value::Null, |a| self.person(a));
                let want = json!({
                    "id": gid("TicketEvent", e.id),
                    "actor": actor,
                    "ticket": { "id": gid("Ticket", id) },
                });
                self.same(&format!("{path}.events[{}]", e.id), want, &node);
            }
        }

        let attachments: Vec<String> = children
            .attachments
            .iter()
            .filter(|a| self.sees(&model.attachment_object(**a)))
            .map(|a| gid("Attachment", *a))
            .collect();
        for node in self.list(
            &format!("{path}.attachments"),
            &actual["attachments"],
            &attachments,
            COMMENT_PAGE,
        ) {
            if let Some(a) = row_id(&node, "Attachment").and_then(|a| model.attachments.get(&a)) {
                let want = json!({
                    "id": gid("Attachment", a.id),
                    "uploadedBy": self.person(a.uploaded_by),
                    "downloadUrl": format!("/attachments/{}", gid("Attachment", a.id)),
                    "sizeBytes": a.bytes.len(),
                });
                self.same(&format!("{path}.attachments[{}]", a.id), want, &node);
            }
        }
    }

    fn tickets_by_reference(&mut self, plan: &Plan, data: &Value) {
        for (i, (id, reference)) in plan.tickets.iter().enumerate() {
            let path = format!("r{i}: ticketByReference({reference})");
            let actual = &data[format!("r{i}")];
            let want = if self.model.tickets.contains_key(id)
                && self.sees(&self.model.ticket_object(*id))
            {
                json!({
                    "id": gid("Ticket", *id),
                    "reference": reference,
                    "organisation": { "id": gid("Organisation", self.model.ticket(*id).organisation) },
                })
            } else {
                Value::Null
            };
            self.same(&path, want, actual);
        }
    }

    fn nodes(&mut self, plan: &Plan, data: &Value) {
        let model = self.model;
        for (i, id) in plan.organisations.iter().enumerate() {
            let want = if model.organisations.contains_key(id)
                && self.sees(&WorldObject::Organisation { id: *id })
            {
                let org = self.organisation(*id);
                json!({
                    "__typename": "Organisation",
                    "id": org["id"],
                    "name": org["name"],
                    "billingEmail": org["billingEmail"],
                })
            } else {
                Value::Null
            };
            self.same(
                &format!("no{i}: node(Organisation {id})"),
                want,
                &data[format!("no{i}")],
            );
        }
        for (i, (id, _)) in plan.users.iter().enumerate() {
            let want = if model.users.contains_key(id) && self.sees(&model.user_object(*id)) {
                let user = self.user(*id);
                json!({
                    "__typename": "User",
                    "id": user["id"],
                    "email": user["email"],
                    "organisation": user["organisation"],
                })
            } else {
                Value::Null
            };
            self.same(
                &format!("nu{i}: node(User {id})"),
                want,
                &data[format!("nu{i}")],
            );
        }
        for (i, (id, _)) in plan.tickets.iter().enumerate() {
            let want = if model.tickets.contains_key(id) && self.sees(&model.ticket_object(*id)) {
                let ticket = model.ticket(*id);
                json!({
                    "__typename": "Ticket",
                    "id": gid("Ticket", *id),
                    "reference": ticket.reference,
                    "commentCount": self.visible_comments(*id).len(),
                    "organisation": { "id": gid("Organisation", ticket.organisation) },
                })
            } else {
                Value::Null
            };
            self.same(
                &format!("nt{i}: node(Ticket {id})"),
                want,
                &data[format!("nt{i}")],
            );
        }
        for (i, id) in plan.events.iter().enumerate() {
            let path = format!("ne{i}: node(TicketEvent {id})");
            let actual = &data[format!("ne{i}")];
            let Some(event) = model
                .events
                .get(id)
                .filter(|_| self.sees(&model.event_object(*id)))
            else {
                self.same(&path, Value::Null, actual);
                continue;
            };
            let actor = event.actor.map_or(Value::Null, |a| self.person(a));
            let want = json!({
                "__typename": "TicketEvent",
                "id": gid("TicketEvent", *id),
                "actor": actor,
                "ticket": { "id": gid("Ticket", event.ticket) },
            });
            self.same(&path, want, actual);
        }
        for (i, id) in plan.comments.iter().enumerate() {
            let path = format!("nc{i}: node(Comment {id})");
            let actual = &data[format!("nc{i}")];
            if !model.comments.contains_key(id) || !self.sees(&model.comment_object(*id)) {
                self.same(&path, Value::Null, actual);
                continue;
            }
            let comment = &model.comments[id];
            let siblings = self.visible_comments(comment.ticket);
            let want = json!({
                "__typename": "Comment",
                "id": gid("Comment", *id),
                "visibility": comment.visibility.graphql(),
                "author": self.person(comment.author),
                "ticket": {
                    "id": gid("Ticket", comment.ticket),
                    "commentCount": siblings.len(),
                },
            });
            self.same(&path, want, actual);
            self.list(
                &format!("{path}.ticket.comments"),
                &actual["ticket"]["comments"],
                &siblings,
                COMMENT_PAGE,
            );
        }
        for (i, id) in plan.feedback.iter().enumerate() {
            let want = if model.feedback.contains_key(id) && self.sees(&model.feedback_object(*id))
            {
                let mut want = self.feedback(*id);
                want["__typename"] = json!("Feedback");
                want
            } else {
                Value::Null
            };
            self.same(
                &format!("nf{i}: node(Feedback {id})"),
                want,
                &data[format!("nf{i}")],
            );
        }
        for (i, id) in plan.attachments.iter().enumerate() {
            let want =
                if model.attachments.contains_key(id) && self.sees(&model.attachment_object(*id)) {
                    let uploader = model.attachments[id].uploaded_by;
                    json!({
                        "__typename": "Attachment",
                        "id": gid("Attachment", *id),
                        "downloadUrl": format!("/attachments/{}", gid("Attachment", *id)),
                        "uploadedBy": self.person(uploader),
                    })
                } else {
                    Value::Null
                };
            self.same(
                &format!("na{i}: node(Attachment {id})"),
                want,
                &data[format!("na{i}")],
            );
        }
        for (i, id) in plan.invoices.iter().enumerate() {
            let want = if model.invoices.contains_key(id) && self.sees(&model.invoice_object(*id)) {
                let lines = model
                    .invoice_lines
                    .iter()
                    .filter(|(line, row)| {
                        row.invoice == *id && self.sees(&model.invoice_line_object(**line))
                    })
                    .count();
                json!({
                    "__typename": "Invoice",
                    "id": gid("Invoice", *id),
                    "organisation": { "id": gid("Organisation", model.invoices[id].organisation) },
                    "lines": { "totalCount": lines },
                })
            } else {
                Value::Null
            };
            self.same(
                &format!("ni{i}: node(Invoice {id})"),
                want,
                &data[format!("ni{i}")],
            );
        }
        for (i, id) in plan.invoice_lines.iter().enumerate() {
            let want = if model.invoice_lines.contains_key(id)
                && self.sees(&model.invoice_line_object(*id))
            {
                let mut want = self.invoice_line(*id);
                want["__typename"] = json!("InvoiceLine");
                want
            } else {
                Value::Null
            };
            self.same(
                &format!("nl{i}: node(InvoiceLine {id})"),
                want,
                &data[format!("nl{i}")],
            );
        }
    }

    /// `GET /attachments/{id}`: the bytes to whoever sees the ticket; to
    /// anyone else, the very 404 an id that never existed gets.
    async fn downloads(&mut self, app: &TestApp, plan: &Plan, token: &str) {
        let get = |id: i64| {
            let url = format!("{}/attachments/{}", app.address, gid("Attachment", id));
            let request = app.client.get(url).bearer_auth(token);
            async move {
                let response = request.send().await.expect("download request");
                let status = response.status().as_u16();
                let bytes = response.bytes().await.expect("download body").to_vec();
                (status, bytes)
            }
        };
        let (missing_status, missing_body) = get(MISSING).await;
        if missing_status != 404 {
            self.fail(
                "download(missing)",
                format!("status {missing_status}, expected 404"),
            );
        }
        for id in &plan.attachments {
            let Some(row) = self.model.attachments.get(id) else {
                continue;
            };
            let (status, body) = get(*id).await;
            let path = format!("download({})", self.describe(&gid("Attachment", *id)));
            if self.sees(&self.model.attachment_object(*id)) {
                if status != 200 || body != row.bytes {
                    self.fail(
                        &path,
                        format!(
                            "expected 200 with the file, got {status}: {}",
                            String::from_utf8_lossy(&body)
                        ),
                    );
                }
            } else if status != missing_status || body != missing_body {
                self.fail(
                    &path,
                    format!(
                        "expected the 404 of a missing file ({}), got {status}: {}",
                        String::from_utf8_lossy(&missing_body),
                        String::from_utf8_lossy(&body)
                    ),
                );
            }
        }
    }
}

/// The fields where `got` differs from `expected`, as `field: expected …,
/// got …`.
fn differ(at: &str, expected: &Value, got: &Value, out: &mut Vec<String>) {
    match (expected, got) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let inner = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                differ(&inner, value, have.get(key).unwrap_or(&Value::Null), out);
            }
        }
        _ if expected != got => {
            let at = if at.is_empty() { "value" } else { at };
            out.push(format!("{at}: expected {expected}, got {got}"));
        }
        _ => {}
    }
}

/// `actual` cut down to the keys of `expected` (recursively, for objects).
fn restrict(actual: &Value, expected: &Value) -> Value {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => Value::Object(
            want.iter()
                .map(|(key, value)| {
                    let got = got.get(key).unwrap_or(&Value::Null);
                    (key.clone(), restrict(got, value))
                })
                .collect(),
        ),
        _ => actual.clone(),
    }
}

fn ids(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|item| item["id"].as_str())
        .collect()
}

/// The row id of an item of type `type_name`.
fn row_id(item: &Value, type_name: &str) -> Option<i64> {
    let id = item["id"].as_str()?;
    match from_global_id(&async_graphql::ID(id.to_owned())) {
        Some((found, row)) if found == type_name => Some(row),
        _ => None,
    }
}

pub fn gid(type_name: &str, id: i64) -> String {
    to_global_id(type_name, id).0
}

/// A GraphQL string literal.
fn lit(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
