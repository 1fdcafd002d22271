//! The battery keeps up with the schema.
//!
//! The schema is read by introspection from the very builder the server
//! uses; the battery's documents are parsed and walked against it. The test
//! fails, naming each item, when:
//! - an object type is not listed below, with the battery operation that
//!   reads it, or as excluded with a reason (only a mutation returns it);
//!   a listed type must really be reached by the operation named, and an
//!   excluded one must not be readable from `Query`;
//! - a `Query` field is not read by the operation named below; a
//!   `Mutation` field is not listed as excluded (writes are not the
//!   battery's business); a `Subscription` field is not listed with the
//!   check of `super::subscriptions` that covers it;
//! - a field of a readable type, an argument of a read field, or a field of
//!   an input object those arguments take, is used by no operation (except
//!   the few pagination arguments excluded below, with the reason);
//! - an implementation of an interface returned by a root field (`node`)
//!   is not spread by the operation that reads it.
//!
//! So a new type (`Invoice`, `InvoiceLine`, `Report`…), a new root field
//! (`invoices`, `reports`), a new relation (`Organisation.tickets`) or a
//! new filter cannot reach the schema without the battery, and therefore
//! the oracle, learning about it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use async_graphql::parser::types::{Selection, SelectionSet};
use async_graphql::{Name, Value as GqlValue};
use serde_json::Value;

use super::battery::{OPERATION_NAMES, Plan, documents, requests};

/// Object types readable from `Query`, and the battery operation that
/// reads each.
const TYPES: &[(&str, &str)] = &[
    ("Query", "roots"),
    ("User", "userById"),
    ("UserConnection", "organisationById"),
    ("UserEdge", "roots"),
    ("Organisation", "organisationById"),
    ("OrganisationConnection", "roots"),
    ("OrganisationEdge", "roots"),
    ("PriceAgreement", "organisationById"),
    ("PageInfo", "roots"),
    ("Ticket", "ticketById"),
    ("TicketConnection", "ticketFilters"),
    ("TicketEdge", "ticketFilters"),
    ("Order", "ticketById"),
    ("Comment", "ticketById"),
    ("CommentConnection", "ticketById"),
    ("CommentEdge", "ticketById"),
    ("Attachment", "ticketById"),
    ("AttachmentConnection", "ticketById"),
    ("AttachmentEdge", "ticketById"),
    ("TicketEvent", "ticketById"),
    ("TicketEventConnection", "ticketById"),
    ("TicketEventEdge", "ticketById"),
    ("TicketTransition", "ticketById"),
    ("Person", "ticketById"),
    ("Feedback", "roots"),
    ("FeedbackConnection", "roots"),
    ("FeedbackEdge", "roots"),
    ("Invoice", "invoiceById"),
    ("InvoiceConnection", "roots"),
    ("InvoiceEdge", "roots"),
    ("InvoiceLine", "invoiceById"),
    ("InvoiceLineConnection", "invoiceById"),
    ("InvoiceLineEdge", "invoiceById"),
    ("Reports", "reports"),
    ("TicketStatusCount", "reports"),
    ("OrganisationTicketCounts", "reports"),
    ("PeriodCount", "reports"),
    ("LeadTime", "reports"),
    ("OrganisationLeadTime", "reports"),
    ("DeviceModelCount", "reports"),
    ("QuarterBilling", "reports"),
    ("Email", "outbox"),
    ("EmailConnection", "outbox"),
    ("EmailEdge", "outbox"),
];

/// `Subscription` fields, and how the isolation run covers each.
const SUBSCRIPTIONS: &[(&str, &str)] = &[(
    "ticketEvents",
    "isolation::subscriptions: every user of every world subscribes, an event is published for each ticket, comment and invoice, and what arrives is compared with the oracle",
)];

/// Object types no read reaches, and why.
const EXCLUDED_TYPES: &[(&str, &str)] = &[
    ("Mutation", "the root of writes; reads only, here"),
    (
        "Subscription",
        "the root of live updates: its fields are listed in SUBSCRIPTIONS",
    ),
    (
        "TicketLiveEvent",
        "delivered by ticketEvents only (isolation::subscriptions); the Ticket, Comment and Invoice it carries are the battery's",
    ),
    ("LoginPayload", "returned by login and changePassword only"),
    (
        "RequestPasswordResetPayload",
        "returned by requestPasswordReset only",
    ),
    ("ResetPasswordPayload", "returned by resetPassword only"),
    ("CreateUserPayload", "returned by createUser only"),
    (
        "UserActivationPayload",
        "returned by deactivateUser, reactivateUser and resendInvitation only",
    ),
    (
        "SetStaffNotificationsPayload",
        "returned by setStaffNotifications only",
    ),
    (
        "CreateOrganisationPayload",
        "returned by createOrganisation only",
    ),
    (
        "UpdateOrganisationPayload",
        "returned by updateOrganisation only",
    ),
    (
        "TicketPayload",
        "returned by the ticket workflow mutations only",
    ),
    ("AddCommentPayload", "returned by addComment only"),
    (
        "TransitionTicketPayload",
        "returned by transitionTicket only",
    ),
    ("ShipOrderPayload", "returned by shipOrder only"),
    ("GiveFeedbackPayload", "returned by giveFeedback only"),
    (
        "UploadAttachmentPayload",
        "returned by uploadAttachment only",
    ),
    (
        "InvoicePayload",
        "returned by markInvoicePaid, voidInvoice and reissueInvoice only",
    ),
    (
        "IssueQuarterlyInvoicesPayload",
        "returned by issueQuarterlyInvoices only",
    ),
];

/// `Query` fields, and the battery operation that reads each.
const ROOT_FIELDS: &[(&str, &str)] = &[
    ("viewer", "roots"),
    ("organisations", "roots"),
    ("users", "roots"),
    ("feedback", "roots"),
    ("organisation", "organisationById"),
    ("user", "userById"),
    ("tickets", "ticketFilters"),
    ("ticket", "ticketById"),
    ("ticketByReference", "ticketByReference"),
    ("invoices", "roots"),
    ("invoice", "invoiceById"),
    ("node", "node"),
    ("reports", "reports"),
    ("emails", "outbox"),
];

const WRITE: &str = "a write: the battery reads; the mutation's own tests check who may take it";

/// `Mutation` fields: all outside the battery, for one reason.
const EXCLUDED_MUTATIONS: &[(&str, &str)] = &[
    ("login", WRITE),
    ("requestPasswordReset", WRITE),
    ("resetPassword", WRITE),
    ("changePassword", WRITE),
    ("createUser", WRITE),
    ("deactivateUser", WRITE),
    ("reactivateUser", WRITE),
    ("resendInvitation", WRITE),
    ("setStaffNotifications", WRITE),
    ("createOrganisation", WRITE),
    ("updateOrganisation", WRITE),
    ("orderLaptop", WRITE),
    ("askQuestion", WRITE),
    ("transitionTicket", WRITE),
    ("cancelTicket", WRITE),
    ("shipOrder", WRITE),
    ("reportDeliveryIssue", WRITE),
    ("addComment", WRITE),
    ("giveFeedback", WRITE),
    ("uploadAttachment", WRITE),
    ("issueQuarterlyInvoices", WRITE),
    ("markInvoicePaid", WRITE),
    ("voidInvoice", WRITE),
    ("reissueInvoice", WRITE),
];

/// Arguments no operation needs to pass, by name, and why.
const EXCLUDED_ARGUMENTS: &[(&str, &str)] = &[
    (
        "after",
        "continues a list past a cursor: the battery compares first pages and totalCount, and a cursor only narrows the same scoped select",
    ),
    ("before", "as after, backwards"),
    (
        "last",
        "the last page of the same scoped select; `tickets(last:)` is read once to keep backward pages honest",
    ),
];

/// Reads outside GraphQL, and the battery operation that makes them.
pub const HTTP_READS: &[(&str, &str)] = &[
    ("GET /attachments/{id}", "download"),
    ("GET /invoices/{id}.csv", "download"),
];

const INTROSPECTION: &str = r"{
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name fields { name } }
    types {
      kind name
      fields(includeDeprecated: true) { name args { name type { ...Ref } } type { ...Ref } }
      inputFields { name type { ...Ref } }
      possibleTypes { name }
    }
  }
}
fragment Ref on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}";

#[derive(Debug, Default)]
struct TypeInfo {
    kind: String,
    /// Field name → (named type, argument name → named type).
    fields: BTreeMap<String, (String, BTreeMap<String, String>)>,
    /// Input field name → named type.
    input_fields: BTreeMap<String, String>,
    possible: Vec<String>,
}

struct SchemaInfo {
    types: BTreeMap<String, TypeInfo>,
    query: String,
    mutation: Option<String>,
    subscription_fields: Vec<String>,
}

fn named(type_ref: &Value) -> String {
    let mut t = type_ref;
    while t["name"].is_null() && !t["ofType"].is_null() {
        t = &t["ofType"];
    }
    t["name"].as_str().unwrap_or_default().to_owned()
}

async fn schema() -> SchemaInfo {
    let response = partnerdesk::graphql::schema_builder(true)
        .finish()
        .execute(INTROSPECTION)
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("introspection as JSON");
    let schema = &data["__schema"];
    let mut types = BTreeMap::new();
    for t in schema["types"].as_array().expect("types") {
        let mut info = TypeInfo {
            kind: t["kind"].as_str().unwrap_or_default().to_owned(),
            ..Default::default()
        };
        for f in t["fields"].as_array().into_iter().flatten() {
            let args = f["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    (
                        a["name"].as_str().unwrap_or_default().to_owned(),
                        named(&a["type"]),
                    )
                })
                .collect();
            info.fields.insert(
                f["name"].as_str().unwrap_or_default().to_owned(),
                (named(&f["type"]), args),
            );
        }
        for f in t["inputFields"].as_array().into_iter().flatten() {
            info.input_fields.insert(
                f["name"].as_str().unwrap_or_default().to_owned(),
                named(&f["type"]),
            );
        }
        info.possible = t["possibleTypes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        types.insert(t["name"].as_str().unwrap_or_default().to_owned(), info);
    }
    SchemaInfo {
        types,
        query: schema["queryType"]["name"]
            .as_str()
            .unwrap_or("Query")
            .to_owned(),
        mutation: schema["mutationType"]["name"].as_str().map(str::to_owned),
        subscription_fields: schema["subscriptionType"]["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str().map(str::to_owned))
            .collect(),
    }
}

impl SchemaInfo {
    /// The object types reachable from `root` through fields and
    /// interface implementations.
    fn reachable(&self, root: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([root.to_owned()]);
        while let Some(name) = queue.pop_front() {
            let Some(info) = self.types.get(&name) else {
                continue;
            };
            if !matches!(info.kind.as_str(), "OBJECT" | "INTERFACE" | "UNION") {
                continue;
            }
            if !seen.insert(name.clone()) {
                continue;
            }
            queue.extend(info.fields.values().map(|(t, _)| t.clone()));
            queue.extend(info.possible.iter().cloned());
        }
        seen.retain(|name| self.types[name].kind == "OBJECT");
        seen
    }
}

/// What the battery's documents read, each with the operations reading it.
#[derive(Debug, Default)]
struct Reads {
    types: BTreeMap<String, BTreeSet<String>>,
    /// `Type.field`.
    fields: BTreeMap<String, BTreeSet<String>>,
    /// `Type.field(argument)`.
    arguments: BTreeSet<String>,
    /// `InputType.field`.
    input_fields: BTreeSet<String>,
    /// `Type.field` → the types spread under it.
    spreads: BTreeMap<String, BTreeSet<String>>,
    problems: Vec<String>,
}

impl Reads {
    fn walk(&mut self, schema: &SchemaInfo, op: &str, on: &str, set: &SelectionSet, parent: &str) {
        self.types
            .entry(on.to_owned())
            .or_default()
            .insert(op.to_owned());
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if name.starts_with("__") {
                        continue;
                    }
                    let Some((target, args)) = schema.types.get(on).and_then(|t| t.fields.get(name))
                    else {
                        self.problems
                            .push(format!("operation {op} selects {on}.{name}, which the schema lacks"));
                        continue;
                    };
                    let key = format!("{on}.{name}");
                    self.fields.entry(key.clone()).or_default().insert(op.to_owned());
                    for (arg, value) in &field.arguments {
                        let arg = arg.node.as_str();
                        self.arguments.insert(format!("{key}({arg})"));
                        // The battery passes literals only, never variables.
                        match (args.get(arg), value.node.clone().into_const()) {
                            (Some(input), Some(value)) => self.input_value(schema, input, &value),
                            _ => self.problems.push(format!(
                                "operation {op} passes {key}({arg}:) a variable or an unknown argument"
                            )),
                        }
                    }
                    self.walk(schema, op, target, &field.selection_set.node, &key);
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let target = fragment
                        .type_condition
                        .as_ref()
                        .map_or(on.to_owned(), |c| c.node.on.node.to_string());
                    self.spreads
                        .entry(parent.to_owned())
                        .or_default()
                        .insert(target.clone());
                    self.walk(schema, op, &target, &fragment.selection_set.node, parent);
                }
                Selection::FragmentSpread(spread) => self.problems.push(format!(
                    "operation {op} spreads the named fragment {}: the walk reads inline fragments only",
                    spread.node.fragment_name.node
                )),
            }
        }
    }

    fn input_value(&mut self, schema: &SchemaInfo, input: &str, value: &GqlValue) {
        match value {
            GqlValue::Object(fields) => {
                for (name, inner) in fields {
                    self.input_fields.insert(format!("{input}.{name}"));
                    let inner_type = schema
                        .types
                        .get(input)
                        .and_then(|t| t.input_fields.get(Name::as_str(name)))
                        .cloned()
                        .unwrap_or_default();
                    self.input_value(schema, &inner_type, inner);
                }
            }
            GqlValue::List(items) => {
                for item in items {
                    self.input_value(schema, input, item);
                }
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_isolation_battery_reads_every_type_field_and_root_of_the_schema() {
    let schema = schema().await;
    let mut reads = Reads::default();
    for op in documents(&Plan::sample()) {
        let document = async_graphql::parser::parse_query(op.document())
            .unwrap_or_else(|e| panic!("operation {} does not parse: {e}", op.name));
        for (_, definition) in document.operations.iter() {
            reads.walk(
                &schema,
                op.name,
                &schema.query,
                &definition.node.selection_set.node,
                &schema.query,
            );
        }
    }
    let mut problems = std::mem::take(&mut reads.problems);
    let readable = schema.reachable(&schema.query);

    // Every object type: read by the operation named, or excluded.
    for (name, info) in &schema.types {
        if info.kind != "OBJECT" || name.starts_with("__") {
            continue;
        }
        let listed = TYPES.iter().find(|(t, _)| t == name);
        let excluded = EXCLUDED_TYPES.iter().find(|(t, _)| t == name);
        match (listed, excluded, readable.contains(name)) {
            (Some((_, op)), None, true) => {
                if !reads.types.get(name).is_some_and(|ops| ops.contains(*op)) {
                    problems.push(format!(
                        "type {name} is listed as read by operation {op}, which does not reach it"
                    ));
                }
            }
            (None, Some(_), false) => {}
            (None, Some(_), true) => problems.push(format!(
                "type {name} is excluded, but is now readable from {}: add it to the battery",
                schema.query
            )),
            (Some(_), _, false) => problems.push(format!(
                "type {name} is listed as read, but no read reaches it any more"
            )),
            (Some(_), Some(_), true) => {
                problems.push(format!("type {name} is both listed and excluded"));
            }
            (None, None, true) => problems.push(format!(
                "type {name} is readable and no battery operation covers it: add it to the battery, and to TYPES"
            )),
            (None, None, false) => problems.push(format!(
                "type {name} is neither covered nor excluded: add it to EXCLUDED_TYPES with a reason"
            )),
        }
    }
    for (name, _) in TYPES.iter().chain(EXCLUDED_TYPES) {
        if !schema.types.contains_key(*name) {
            problems.push(format!(
                "type {name} is listed but the schema has no such type"
            ));
        }
    }

    // Root fields.
    let query_fields = &schema.types[&schema.query].fields;
    for field in query_fields.keys() {
        match ROOT_FIELDS.iter().find(|(f, _)| f == field) {
            Some((_, op)) => {
                let key = format!("{}.{field}", schema.query);
                if !reads.fields.get(&key).is_some_and(|ops| ops.contains(*op)) {
                    problems.push(format!(
                        "root field {field} is listed as read by operation {op}, which does not select it"
                    ));
                }
            }
            None => problems.push(format!(
                "root field {} .{field} is not covered by the battery: add it, and to ROOT_FIELDS",
                schema.query
            )),
        }
    }
    for (field, op) in ROOT_FIELDS {
        if !query_fields.contains_key(*field) {
            problems.push(format!(
                "root field {field} is listed but the schema has none"
            ));
        }
        if !OPERATION_NAMES.contains(op) {
            problems.push(format!(
                "operation {op} (for {field}) is not a battery operation"
            ));
        }
    }
    if let Some(mutation) = &schema.mutation {
        for field in schema.types[mutation].fields.keys() {
            if !EXCLUDED_MUTATIONS.iter().any(|(f, _)| f == field) {
                problems.push(format!(
                    "mutation {field} is not listed: add it to EXCLUDED_MUTATIONS with a reason (and cover any new type it makes readable)"
                ));
            }
        }
        for (field, _) in EXCLUDED_MUTATIONS {
            if !schema.types[mutation].fields.contains_key(*field) {
                problems.push(format!(
                    "mutation {field} is listed but the schema has none"
                ));
            }
        }
    }
    for field in &schema.subscription_fields {
        if !SUBSCRIPTIONS.iter().any(|(f, _)| f == field) {
            problems.push(format!(
                "subscription {field} is a read path the battery does not cover yet"
            ));
        }
    }
    for (field, _) in SUBSCRIPTIONS {
        if !schema.subscription_fields.iter().any(|f| f == field) {
            problems.push(format!(
                "subscription {field} is listed but the schema has none"
            ));
        }
    }

    // Fields, arguments and input fields of what is read.
    for name in &readable {
        for (field, (_, args)) in &schema.types[name].fields {
            let key = format!("{name}.{field}");
            if !reads.fields.contains_key(&key) {
                problems.push(format!("field {key} is read by no battery operation"));
                continue;
            }
            for (arg, input) in args {
                let excluded = EXCLUDED_ARGUMENTS.iter().any(|(a, _)| a == arg);
                if !excluded && !reads.arguments.contains(&format!("{key}({arg})")) {
                    problems.push(format!(
                        "argument {key}({arg}:) is passed by no battery operation"
                    ));
                }
                if let Some(info) = schema.types.get(input)
                    && info.kind == "INPUT_OBJECT"
                {
                    for input_field in info.input_fields.keys() {
                        let input_key = format!("{input}.{input_field}");
                        if !reads.input_fields.contains(&input_key) {
                            problems.push(format!(
                                "input field {input_key} (of {key}) is used by no battery operation"
                            ));
                        }
                    }
                }
            }
        }
    }

    // Interfaces returned by a root field: every implementation spread.
    for (field, (target, _)) in query_fields {
        let Some(info) = schema.types.get(target) else {
            continue;
        };
        let key = format!("{}.{field}", schema.query);
        for implementation in &info.possible {
            if !reads
                .spreads
                .get(&key)
                .is_some_and(|spread| spread.contains(implementation))
            {
                problems.push(format!(
                    "{key} can return {implementation}, which no battery operation spreads there"
                ));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "the isolation battery lags behind the schema:\n  {}",
        problems.join("\n  ")
    );
    // What the battery covers, for whoever reads the test's output
    // (`cargo test --test api coverage -- --nocapture`).
    println!("isolation battery coverage:");
    for (item, op) in TYPES.iter().chain(ROOT_FIELDS).chain(HTTP_READS) {
        println!("  {item:<28} read by {op}");
    }
    for (item, reason) in EXCLUDED_TYPES.iter().chain(EXCLUDED_MUTATIONS) {
        println!("  {item:<28} excluded: {reason}");
    }
    for (item, how) in SUBSCRIPTIONS {
        println!("  {item:<28} subscription: {how}");
    }
}

#[test]
fn the_coverage_lists_name_battery_operations() {
    for (_, op) in TYPES.iter().chain(ROOT_FIELDS).chain(HTTP_READS) {
        assert!(
            OPERATION_NAMES.contains(op),
            "{op} is not a battery operation"
        );
    }
    for (_, reason) in EXCLUDED_TYPES
        .iter()
        .chain(EXCLUDED_MUTATIONS)
        .chain(EXCLUDED_ARGUMENTS)
    {
        assert!(
            !reason.trim().is_empty(),
            "every exclusion gives its reason"
        );
    }
}

/// The server refuses a request over its depth or complexity limit; the
/// battery's requests for the largest world must pass them (a refusal would
/// be reported by the property test, but only for a world that large).
#[tokio::test]
async fn the_largest_world_s_requests_stay_within_the_server_s_limits() {
    let schema = partnerdesk::graphql::schema_builder(true).finish();
    for (group, document) in requests(&documents(&Plan::largest())) {
        // No request context: resolvers fail, but the limits are checked
        // before anything resolves.
        let response = schema.execute(document.as_str()).await;
        let refused: Vec<&str> = response
            .errors
            .iter()
            .map(|e| e.message.as_str())
            .filter(|m| m.contains("too complex") || m.contains("too deep") || m.contains("parse"))
            .collect();
        assert!(refused.is_empty(), "request {group:?}: {refused:?}");
        assert!(
            !response.errors.is_empty(),
            "the resolvers ran without a context?"
        );
    }
}
