//! The scenarios: what a partner portal, a staff dashboard and reporting
//! send, as GraphQL documents, and who sends them.

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::client::Target;

/// The API a target serves: partnerdesk's own schema, or the schema
/// PostGraphile generates from the same tables (no row rules, no auth),
/// which takes the equivalent documents below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Partnerdesk,
    Postgraphile,
}

/// Who sends a scenario's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A PARTNER_MEMBER (of an organisation whose tickets it all sees).
    Member,
    /// A PARTNER_MANAGER: reports over its organisation.
    Manager,
    /// A STAFF user: the queue and reports over every organisation.
    Staff,
    /// No token: the request is a login.
    Anonymous,
}

/// One scenario: a name, a role and the body it posts.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub role: Role,
    /// What the figure means, for the tables.
    pub about: &'static str,
    document: &'static str,
    variables: Value,
}

/// The portal list: a member's 20 newest tickets with the count, the
/// organisation, the creator, the order and the last three comments with
/// their authors.
const PORTAL: &str = "query Portal { tickets(first: 20) { totalCount nodes { id reference status subject createdAt \
organisation { name } createdBy { displayName } order { recipientName city deviceModel shippedAt } \
comments(last: 3) { nodes { body createdAt author { displayName } } } } } }";

/// A ticket as its detail page shows it.
const DETAIL: &str = "query Detail($reference: String!) { ticketByReference(reference: $reference) { id reference status \
statusLabel subject description createdAt updatedAt version organisation { name } createdBy { displayName } \
order { recipientName street postalCode city phone forLearning deviceModel serialNumber shippedAt trackingNumber } \
events(first: 20) { totalCount nodes { kind from to note createdAt actor { displayName } } } \
comments(first: 20) { totalCount nodes { body visibility createdAt author { displayName isStaff } } } \
attachments(first: 10) { totalCount nodes { fileName contentType sizeBytes } } } }";

/// The staff queue: the 50 oldest tickets in REVIEW across organisations.
const QUEUE: &str = "query Queue { tickets(filter: {status: [REVIEW]}, orderBy: CREATED_AT_ASC, first: 50) { totalCount \
nodes { id reference subject createdAt organisation { name } createdBy { displayName } } } }";

/// The reports a dashboard opens with, over the viewer's scope.
const REPORT: &str = "query Report($from: NaiveDate!, $to: NaiveDate!) { reports { ticketsByStatus { status count } \
shipments(from: $from, to: $to, period: MONTH) { firstDay count } leadTime { orders medianHours p90Hours } \
devicesShipped { model learning standard total } billingByQuarter(from: $from, to: $to) { quarter invoices invoicedCents paidCents outstandingCents } \
feedbackByMonth(from: $from, to: $to) { firstDay count } } }";

/// The same for staff, with the per-organisation figures.
const REPORT_ALL: &str = "query ReportAll($from: NaiveDate!, $to: NaiveDate!) { reports { ticketsByStatus { status count } \
ticketsByOrganisation { total organisation { name } } shipments(from: $from, to: $to, period: MONTH) { firstDay count } \
leadTime { orders medianHours p90Hours } leadTimeByOrganisation { organisation { name } leadTime { medianHours p90Hours } } \
devicesShipped { model learning standard total } billingByQuarter(from: $from, to: $to) { quarter invoices invoicedCents paidCents outstandingCents } \
feedbackByMonth(from: $from, to: $to) { firstDay count } } }";

/// PostGraphile's equivalent of [`PORTAL`]: the member's organisation's
/// tickets (what an ORGANISATION-visibility member sees) and their public
/// comments, the row rules written into the query.
const PG_PORTAL: &str = "query Portal($org: BigInt!) { allTickets(first: 20, condition: {organisationId: $org}, \
orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { totalCount nodes { id reference status subject createdAt \
organisationByOrganisationId { name } userByCreatedById { displayName } \
orderByTicketId { recipientName city deviceModel shippedAt } \
commentsByTicketId(last: 3, condition: {visibility: \"PUBLIC\"}, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) \
{ nodes { body createdAt userByAuthorId { displayName } } } } } }";

/// PostGraphile's equivalent of [`DETAIL`].
const PG_DETAIL: &str = "query Detail($reference: String!) { ticketByReference(reference: $reference) { id reference \
status subject description createdAt updatedAt version organisationByOrganisationId { name } \
userByCreatedById { displayName } orderByTicketId { recipientName street postalCode city phone forLearning \
deviceModel serialNumber shippedAt trackingNumber } \
ticketEventsByTicketId(first: 20, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { totalCount nodes { kind fromStatus \
toStatus note createdAt userByActorId { displayName } } } \
commentsByTicketId(first: 20, condition: {visibility: \"PUBLIC\"}, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) \
{ totalCount nodes { body visibility createdAt userByAuthorId { displayName role } } } \
attachmentsByTicketId(first: 10) { totalCount nodes { fileName contentType sizeBytes } } } }";

/// PostGraphile's equivalent of [`QUEUE`].
const PG_QUEUE: &str = "query Queue { allTickets(first: 50, condition: {status: \"REVIEW\"}, \
orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { totalCount nodes { id reference subject createdAt \
organisationByOrganisationId { name } userByCreatedById { displayName } } } }";

const ORDER: &str = "mutation Order($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }";

const LOGIN: &str = "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }";

/// Every scenario's name, in the order they run.
pub const NAMES: [&str; 7] = [
    "portal",
    "detail",
    "queue",
    "report-org",
    "report-all",
    "order",
    "login",
];

/// The scenario called `name` in `api`'s terms, with the variables it
/// needs from `ctx`; `None` when that API has no equivalent (PostGraphile
/// has no reports, and no orders or logins with partnerdesk's rules).
pub fn scenario(name: &str, api: Api, ctx: &Setup) -> anyhow::Result<Option<Scenario>> {
    if !NAMES.contains(&name) {
        bail!("unknown scenario {name:?}; known: {}", NAMES.join(", "));
    }
    match api {
        Api::Partnerdesk => own(name, ctx).map(Some),
        Api::Postgraphile => Ok(peer(name, ctx)),
    }
}

/// PostGraphile's equivalents, for the scenarios that have one.
fn peer(name: &str, ctx: &Setup) -> Option<Scenario> {
    let (document, variables, role) = match name {
        "portal" => (
            PG_PORTAL,
            json!({ "org": ctx.member_organisation }),
            Role::Member,
        ),
        "detail" => (
            PG_DETAIL,
            json!({ "reference": ctx.reference }),
            Role::Member,
        ),
        "queue" => (PG_QUEUE, json!({}), Role::Staff),
        _ => return None,
    };
    let own = own(name, ctx).ok()?;
    Some(Scenario {
        document,
        variables,
        role,
        ..own
    })
}

fn own(name: &str, ctx: &Setup) -> anyhow::Result<Scenario> {
    let year = json!({ "from": ctx.report_from, "to": ctx.report_to });
    Ok(match name {
        "portal" => Scenario {
            name: "portal",
            role: Role::Member,
            about: "a member's 20 newest tickets, count, names, order, last 3 comments",
            document: PORTAL,
            variables: json!({}),
        },
        "detail" => Scenario {
            name: "detail",
            role: Role::Member,
            about: "one ticket by reference with events, comments and files",
            document: DETAIL,
            variables: json!({ "reference": ctx.reference }),
        },
        "queue" => Scenario {
            name: "queue",
            role: Role::Staff,
            about: "staff: the 50 oldest REVIEW tickets across organisations, with count",
            document: QUEUE,
            variables: json!({}),
        },
        "report-org" => Scenario {
            name: "report-org",
            role: Role::Manager,
            about: "a manager's reports over its organisation",
            document: REPORT,
            variables: year,
        },
        "report-all" => Scenario {
            name: "report-all",
            role: Role::Staff,
            about: "staff reports over every organisation",
            document: REPORT_ALL,
            variables: year,
        },
        "order" => Scenario {
            name: "order",
            role: Role::Member,
            about: "orderLaptop: a new ticket with its order and event",
            document: ORDER,
            variables: json!({ "input": {
                "recipientName": "Bench Recipient",
                "street": "Rue du Marché 1",
                "postalCode": "1204",
                "city": "Genève",
                "phone": "+41 22 123 45 67",
                "forLearning": false,
            } }),
        },
        "login" => Scenario {
            name: "login",
            role: Role::Anonymous,
            about: "login: one argon2id hash, bounded by design",
            document: LOGIN,
            variables: json!({ "email": ctx.member_email, "password": ctx.password }),
        },
        other => bail!("unknown scenario {other:?}; known: {}", NAMES.join(", ")),
    })
}

impl Scenario {
    /// The POST body of every request.
    pub fn body(&self) -> Value {
        json!({ "query": self.document, "variables": self.variables })
    }
}

/// What scenarios need to know before they start.
#[derive(Debug, Clone)]
pub struct Setup {
    pub member_email: String,
    pub password: String,
    /// A reference the member can read (the newest of its portal list).
    pub reference: String,
    /// The member's organisation's row id, for PostGraphile's conditions.
    pub member_organisation: String,
    pub report_from: String,
    pub report_to: String,
}

/// The tokens of one target.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub member: String,
    pub manager: String,
    pub staff: String,
}

impl Tokens {
    /// No tokens: PostGraphile runs with no authentication.
    pub fn none() -> Self {
        Self {
            member: String::new(),
            manager: String::new(),
            staff: String::new(),
        }
    }

    pub fn for_role(&self, role: Role) -> Option<&str> {
        if self.member.is_empty() {
            return None;
        }
        match role {
            Role::Member => Some(&self.member),
            Role::Manager => Some(&self.manager),
            Role::Staff => Some(&self.staff),
            Role::Anonymous => None,
        }
    }
}

/// Logs the three users in on `target`.
pub async fn log_in(target: &Target, emails: [&str; 3], password: &str) -> anyhow::Result<Tokens> {
    let mut tokens = Vec::with_capacity(3);
    for email in emails {
        let body = json!({ "query": LOGIN, "variables": { "email": email, "password": password } });
        let answer = target.post(&body, None).await?;
        let token = answer
            .pointer("/data/login/token")
            .and_then(Value::as_str)
            .with_context(|| format!("{}: login of {email} failed: {answer}", target.name))?;
        tokens.push(token.to_owned());
    }
    let [member, manager, staff] =
        <[String; 3]>::try_from(tokens).map_err(|_| anyhow::anyhow!("three logins expected"))?;
    Ok(Tokens {
        member,
        manager,
        staff,
    })
}

/// The newest ticket reference the member sees on `target`.
pub async fn newest_reference(target: &Target, member: &str) -> anyhow::Result<String> {
    let body = json!({ "query": "{ tickets(first: 1) { nodes { reference } } }" });
    let answer = target.post(&body, Some(member)).await?;
    answer
        .pointer("/data/tickets/nodes/0/reference")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{}: the member sees no ticket: {answer}", target.name))
}

/// The row id of the member's organisation, read through PostGraphile.
pub async fn peer_organisation(target: &Target, member_email: &str) -> anyhow::Result<String> {
    let body = json!({
        "query": "query($email: String!) { userByEmail(email: $email) { organisationId } }",
        "variables": { "email": member_email },
    });
    let answer = target.post(&body, None).await?;
    answer
        .pointer("/data/userByEmail/organisationId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{}: no user {member_email}: {answer}", target.name))
}

/// Sends `scenario` once and fails unless it answers without errors: a
/// benchmark of error answers measures nothing.
pub async fn check(target: &Target, scenario: &Scenario, tokens: &Tokens) -> anyhow::Result<()> {
    let answer = target
        .post(&scenario.body(), tokens.for_role(scenario.role))
        .await?;
    if answer.get("errors").is_some() || answer.get("data").is_none_or(Value::is_null) {
        bail!(
            "{}: scenario {} answered with errors: {answer}",
            target.name,
            scenario.name
        );
    }
    Ok(())
}
