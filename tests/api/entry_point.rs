//! The GraphQL request entry point under property tests (proptest): no
//! request that reaches `/graphql` makes the server panic, hang or fail
//! internally. Whatever is sent — a document built from the schema itself
//! (fields, arguments of every type, variables, aliases, fragments,
//! directives, nesting past the limits), a soup of GraphQL tokens, any JSON
//! body, any bytes — by an anonymous client, a partner or staff, over POST
//! or GET:
//! - an answer comes within [`CEILING`] (no hang);
//! - its status is below 500 and no error in it is INTERNAL (no panic, no
//!   unhandled case: a panic in a handler would cut the connection or
//!   answer 500);
//! - the server still answers `/healthz` afterwards.
//!
//! Cases per property: proptest's 256, or `PROPTEST_CASES` (2,048 in CI).
//! Each property prints its case count and its slowest answer.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use crate::helpers::world;

/// The longest any answer may take: generous for a debug build on a
/// loaded CI machine beside the rest of the suite, where an answer takes
/// milliseconds; a hang, such as the fragment bomb's 26 s, exceeds it.
const CEILING: Duration = Duration::from_secs(10);

const INTROSPECTION: &str = include_str!("fixtures/graphql-js-introspection.graphql");

/// Who sends a case.
#[derive(Debug, Clone, Copy)]
enum Sender {
    Anonymous,
    Member,
    Staff,
    Admin,
}

/// How a case reaches the server.
#[derive(Clone)]
enum Request {
    Post {
        content_type: &'static str,
        body: Vec<u8>,
    },
    Get {
        params: Vec<(String, String)>,
    },
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Post { content_type, body } => {
                write!(f, "POST ({content_type}) {}", String::from_utf8_lossy(body))
            }
            Request::Get { params } => write!(f, "GET {params:?}"),
        }
    }
}

/// The running server and a token per sender.
struct Target {
    address: String,
    client: reqwest::Client,
    tokens: BTreeMap<&'static str, String>,
}

impl Target {
    fn token(&self, sender: Sender) -> Option<&str> {
        let key = match sender {
            Sender::Anonymous => return None,
            Sender::Member => "member",
            Sender::Staff => "staff",
            Sender::Admin => "admin",
        };
        self.tokens.get(key).map(String::as_str)
    }

    /// Sends `request`; fails the case unless it is answered within the
    /// ceiling, below 500 and without INTERNAL. Returns how long it took
    /// and what the answer was, in a word.
    async fn answer(
        &self,
        sender: Sender,
        request: &Request,
    ) -> Result<(Duration, String), TestCaseError> {
        let url = format!("{}/graphql", self.address);
        let mut builder = match request {
            Request::Post { content_type, body } => self
                .client
                .post(&url)
                .header("content-type", *content_type)
                .body(body.clone()),
            Request::Get { params } => self.client.get(&url).query(params),
        }
        .header("accept", "application/graphql-response+json");
        if let Some(token) = self.token(sender) {
            builder = builder.bearer_auth(token);
        }
        let started = Instant::now();
        let answered = tokio::time::timeout(CEILING, async {
            let response = builder.send().await?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        })
        .await;
        let elapsed = started.elapsed();
        let (status, bytes) = match answered {
            Err(_) => {
                return Err(TestCaseError::fail(format!("no answer within {CEILING:?}")));
            }
            Ok(Err(e)) => return Err(TestCaseError::fail(format!("no answer: {e}"))),
            Ok(Ok(answer)) => answer,
        };
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(status < 500, "HTTP {}: {}", status, text);
        let body = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["extensions"]["code"].as_str().unwrap_or("no code"))
                    .collect()
            })
            .unwrap_or_default();
        prop_assert!(!codes.contains(&"INTERNAL"), "INTERNAL: {}", text);
        let outcome = match (body["data"].is_object(), codes.first()) {
            (true, None) => "data".to_owned(),
            (true, Some(code)) => format!("data and {code}"),
            (false, Some(code)) => format!("HTTP {status} {code}"),
            (false, None) => format!("HTTP {status}"),
        };
        Ok((elapsed, outcome))
    }
}

/// Runs `strategy`'s cases against `target` on a thread of its own (the
/// server keeps the runtime's workers), prints the figures.
async fn check<S>(
    target: &Arc<Target>,
    what: &'static str,
    strategy: impl FnOnce() -> S + Send + 'static,
) where
    S: Strategy<Value = (Sender, Request)>,
{
    let handle = tokio::runtime::Handle::current();
    let shared = target.clone();
    let (cases, slowest, outcomes) = tokio::task::spawn_blocking(move || {
        let config = Config {
            // Cases are documents and bodies, not source files: a failure
            // is reported with its shrunk case instead.
            failure_persistence: None,
            ..Config::default()
        };
        let cases = config.cases;
        let mut runner = TestRunner::new(config);
        let slowest = Cell::new(Duration::ZERO);
        let outcomes = RefCell::new(BTreeMap::<String, u32>::new());
        let result = runner.run(&strategy(), |(sender, request)| {
            let (took, outcome) = handle.block_on(shared.answer(sender, &request))?;
            slowest.set(slowest.get().max(took));
            *outcomes.borrow_mut().entry(outcome).or_default() += 1;
            Ok(())
        });
        if let Err(failure) = result {
            panic!("{what}: {failure}");
        }
        (cases, slowest.get(), outcomes.into_inner())
    })
    .await
    .expect("the property's thread");
    println!(
        "entry point, {what}: {cases} cases answered, slowest in {slowest:?} (ceiling {CEILING:?}); \
         answers (shrinking included): {outcomes:?}"
    );
    let health = target
        .client
        .get(format!("{}/healthz", target.address))
        .send()
        .await
        .expect("/healthz after the cases");
    assert_eq!(health.status(), 200, "{what}: the server still answers");
}

async fn target() -> (crate::helpers::World, Arc<Target>) {
    let w = world().await;
    let mut tokens = BTreeMap::new();
    tokens.insert("member", w.token(&w.member).await);
    tokens.insert("staff", w.token(&w.staff).await);
    tokens.insert("admin", w.token(&w.admin).await);
    let target = Arc::new(Target {
        address: w.app.address.clone(),
        client: reqwest::Client::new(),
        tokens,
    });
    (w, target)
}

fn sender() -> impl Strategy<Value = Sender> {
    prop_oneof![
        Just(Sender::Anonymous),
        Just(Sender::Member),
        Just(Sender::Staff),
        Just(Sender::Admin),
    ]
}

/// `{query, variables, operationName}` over POST (JSON), or as GET
/// parameters.
fn graphql_request(
    query: String,
    variables: Value,
    operation_name: Option<String>,
    get: bool,
) -> Request {
    if get {
        let mut params = vec![("query".to_owned(), query)];
        if variables.as_object().is_some_and(|v| !v.is_empty()) {
            params.push(("variables".to_owned(), variables.to_string()));
        }
        if let Some(name) = operation_name {
            params.push(("operationName".to_owned(), name));
        }
        return Request::Get { params };
    }
    let mut body = json!({ "query": query, "variables": variables });
    if let Some(name) = operation_name {
        body["operationName"] = Value::String(name);
    }
    Request::Post {
        content_type: "application/json",
        body: serde_json::to_vec(&body).expect("JSON"),
    }
}

// -- Documents built from the schema ------------------------------------

/// A type reference, as introspection spells it.
#[derive(Debug, Clone)]
enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn parse(value: &Value) -> TypeRef {
        let inner = || Box::new(TypeRef::parse(&value["ofType"]));
        match value["kind"].as_str() {
            Some("NON_NULL") => TypeRef::NonNull(inner()),
            Some("LIST") => TypeRef::List(inner()),
            _ => TypeRef::Named(value["name"].as_str().unwrap_or("String").to_owned()),
        }
    }

    fn named(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.named(),
        }
    }

    fn spelled(&self) -> String {
        match self {
            TypeRef::Named(name) => name.clone(),
            TypeRef::List(inner) => format!("[{}]", inner.spelled()),
            TypeRef::NonNull(inner) => format!("{}!", inner.spelled()),
        }
    }
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    args: Vec<(String, TypeRef)>,
    ty: TypeRef,
}

#[derive(Debug, Clone, Default)]
struct TypeInfo {
    kind: String,
    fields: Vec<Field>,
    input_fields: Vec<(String, TypeRef)>,
    enum_values: Vec<String>,
    possible_types: Vec<String>,
}

/// The schema as the server introspects it.
#[derive(Debug, Default)]
struct SchemaInfo {
    types: BTreeMap<String, TypeInfo>,
    roots: [Option<String>; 3],
}

impl SchemaInfo {
    fn from_introspection(body: &Value) -> SchemaInfo {
        let schema = &body["data"]["__schema"];
        let mut info = SchemaInfo {
            roots: ["queryType", "mutationType", "subscriptionType"]
                .map(|root| schema[root]["name"].as_str().map(str::to_owned)),
            ..SchemaInfo::default()
        };
        let values = |v: &Value| v.as_array().cloned().unwrap_or_default();
        let inputs = |v: &Value| {
            values(v)
                .iter()
                .map(|i| {
                    (
                        i["name"].as_str().unwrap_or_default().to_owned(),
                        TypeRef::parse(&i["type"]),
                    )
                })
                .collect::<Vec<_>>()
        };
        for ty in values(&schema["types"]) {
            let name = ty["name"].as_str().unwrap_or_default().to_owned();
            let type_info = TypeInfo {
                kind: ty["kind"].as_str().unwrap_or_default().to_owned(),
                fields: values(&ty["fields"])
                    .iter()
                    .map(|f| Field {
                        name: f["name"].as_str().unwrap_or_default().to_owned(),
                        args: inputs(&f["args"]),
                        ty: TypeRef::parse(&f["type"]),
                    })
                    .collect(),
                input_fields: inputs(&ty["inputFields"]),
                enum_values: values(&ty["enumValues"])
                    .iter()
                    .filter_map(|v| v["name"].as_str().map(str::to_owned))
                    .collect(),
                possible_types: values(&ty["possibleTypes"])
                    .iter()
                    .filter_map(|v| v["name"].as_str().map(str::to_owned))
                    .collect(),
            };
            info.types.insert(name, type_info);
        }
        info
    }
}

/// A stream of choices that a document is built from: proptest generates
/// and shrinks the numbers, and every stream builds some document (an
/// exhausted stream answers 0, the first and smallest choice).
struct Choices<'a> {
    numbers: std::slice::Iter<'a, u16>,
}

impl Choices<'_> {
    fn pick(&mut self, n: usize) -> usize {
        match self.numbers.next() {
            Some(&c) if n > 0 => usize::from(c) % n,
            _ => 0,
        }
    }

    /// True with probability `percent` in 100 (false once exhausted).
    fn chance(&mut self, percent: usize) -> bool {
        self.numbers
            .next()
            .is_some_and(|&c| usize::from(c) % 100 < percent)
    }

    fn one_of<'s>(&mut self, items: &'s [&'s str]) -> &'s str {
        items[self.pick(items.len())]
    }
}

/// Strings that mean something somewhere: ids of every kind, references,
/// dates, emails, and the awkward ones.
const STRINGS: &[&str] = &[
    "",
    "VGlja2V0OjE=",                                                       // Ticket:1
    "VGlja2V0OjA=",                                                       // Ticket:0
    "VGlja2V0Oi0x",                                                       // Ticket:-1
    "T3JnYW5pc2F0aW9uOjE=",                                               // Organisation:1
    "VXNlcjox",                                                           // User:1
    "SW52b2ljZTox",                                                       // Invoice:1
    "QXR0YWNobWVudDox",                                                   // Attachment:1
    "VGlja2V0OjkyMjMzNzIwMzY4NTQ3NzU4MDc=",                               // Ticket:i64::MAX
    "WyJjcmVhdGVkX2F0Iix7IkludCI6NX0sMV0", // a cursor of another type: ["created_at",{"Int":5},1]
    "WyJuYW1lIix7IlRleHQiOiJhXHUwMDAwIn0sMV0", // a cursor holding NUL: ["name",{"Text":"a\u0000"},1]
    "WyJwb3NpdGlvbiIseyJJbnQiOjF9LDFd",        // a loaded list's cursor: ["position",{"Int":1},1]
    "WyJkaXNwbGF5X25hbWUiLHsiVGV4dCI6IloifSw5MjIzMzcyMDM2ODU0Nzc1ODA3XQ", // a user list's cursor: ["display_name",{"Text":"Z"},9223372036854775807]
    "nonsense",
    "GEM-1",
    "GEM-99999999999999999999",
    "2026-Q3",
    "2026-11-26",
    "2026-11-26T09:00:00Z",
    "9999-12-31T23:59:59Z",
    "-0001-01-01T00:00:00Z",
    "staff@desk.example",
    "UPPER@Example.COM",
    "8001",
    "+41 44 123 45 67",
    "correct horse battery staple",
    "\u{0}",
    "\u{202e}lmth.exe",
    "Zürich 🚀",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "=HYPERLINK(\"http://x\")",
];

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "20",
    "100",
    "101",
    "2147483647",
    "-2147483648",
    "2147483648",
    "9007199254740993",
    "99999999999999999999999",
];

/// A document for `schema`, its variables and operation name, from
/// `choices`.
struct Builder<'a> {
    schema: &'a SchemaInfo,
    choices: Choices<'a>,
    variables: Vec<(String, String, Value)>,
    fragments: Vec<String>,
    aliases: usize,
    /// Whether this document also gets mistakes: unknown fields,
    /// arguments, fragments and directives, values of the wrong type,
    /// missing selections and arguments. A document without is valid but
    /// for its values (ids, dates, texts), which the resolvers then parse.
    flawed: bool,
}

/// Data fields nest at most 12 deep; documents go a little past that, so
/// that the depth limit is reached too.
const MAX_DEPTH: usize = 14;

impl Builder<'_> {
    /// A mistake, with probability `percent` in 100, in a flawed document.
    fn flaw(&mut self, percent: usize) -> bool {
        self.flawed && self.choices.chance(percent)
    }

    fn document(&mut self) -> (String, Value, Option<String>) {
        self.flawed = self.choices.chance(40);
        let operation = match self.choices.pick(20) {
            0..=13 => 0,
            14..=18 => 1,
            _ => 2,
        };
        let keyword = ["query", "mutation", "subscription"][operation];
        let root = self.schema.roots[operation]
            .clone()
            .unwrap_or_else(|| "Query".to_owned());
        let selection = self.selection_set(&root, 0);
        let named = self.choices.chance(30);
        let name = named.then(|| format!("Op{}", self.choices.pick(3)));
        let declarations: Vec<String> = self
            .variables
            .iter()
            .map(|(name, ty, _)| format!("${name}: {ty}"))
            .collect();
        let mut document = if declarations.is_empty() && name.is_none() && operation == 0 {
            selection
        } else {
            let declared = if declarations.is_empty() {
                String::new()
            } else {
                format!("({})", declarations.join(", "))
            };
            format!(
                "{keyword} {}{declared} {selection}",
                name.clone().unwrap_or_default()
            )
        };
        for fragment in &self.fragments {
            document.push(' ');
            document.push_str(fragment);
        }
        if self.flaw(5) {
            // A second operation: the request must then name one.
            document.push_str(" query Other { __typename }");
        }
        let variables: Map<String, Value> = self
            .variables
            .iter()
            .filter(|(_, _, value)| !value.is_null())
            .map(|(name, _, value)| (name.clone(), value.clone()))
            .collect();
        let operation_name = if self.flaw(20) {
            Some(["Op0", "Op1", "Other", ""][self.choices.pick(4)].to_owned())
        } else {
            name
        };
        (document, Value::Object(variables), operation_name)
    }

    fn selection_set(&mut self, type_name: &str, depth: usize) -> String {
        let count = 1 + self.choices.pick(4);
        let selections: Vec<String> = (0..count)
            .map(|_| self.selection(type_name, depth))
            .collect();
        format!("{{ {} }}", selections.join(" "))
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let Some(ty) = self.schema.types.get(type_name) else {
            return "__typename".to_owned();
        };
        if !ty.possible_types.is_empty() && self.choices.chance(40) {
            // An interface (Node, Person): a fragment on one of its types.
            let on = ty.possible_types[self.choices.pick(ty.possible_types.len())].clone();
            let inner = self.selection_set(&on, depth);
            return format!("... on {on} {inner}");
        }
        if self.choices.chance(8) && self.fragments.len() < 4 {
            let name = format!("F{}", self.fragments.len());
            // Reserve the slot so that a fragment's body may spread others.
            self.fragments.push(String::new());
            let at = self.fragments.len() - 1;
            let body = self.selection_set(type_name, depth);
            self.fragments[at] = format!("fragment {name} on {type_name} {body}");
            return format!("...{name}");
        }
        if self.flaw(3) {
            // A fragment that may not exist, or spreads itself.
            return format!("...F{}", self.choices.pick(5));
        }
        if ty.fields.is_empty() || self.choices.chance(4) {
            let on_query = self.schema.roots[0].as_deref() == Some(type_name);
            return if (on_query || self.flawed) && self.choices.chance(10) {
                "__schema { types { name } }".to_owned()
            } else {
                "__typename".to_owned()
            };
        }
        // Past the depth bound, leaves only (most of the time).
        let leaves: Vec<&Field> = ty
            .fields
            .iter()
            .filter(|f| self.is_leaf(f.ty.named()))
            .collect();
        let field = if depth >= MAX_DEPTH && !leaves.is_empty() {
            leaves[self.choices.pick(leaves.len())].clone()
        } else {
            ty.fields[self.choices.pick(ty.fields.len())].clone()
        };
        let mut text = String::new();
        // Two fields of one name with different arguments conflict, so a
        // valid document aliases those that take any.
        if (!field.args.is_empty() && !self.flawed) || self.choices.chance(15) {
            self.aliases += 1;
            text.push_str(&format!("a{}: ", self.aliases));
        }
        text.push_str(&field.name);
        if self.flaw(3) {
            text.push_str("Typo");
        }
        let args = self.arguments(&field.args);
        text.push_str(&args);
        if self.choices.chance(5) {
            let directives: &[&str] = if self.flawed {
                &[
                    " @include(if: $flag)",
                    " @deprecated",
                    " @unknown(x: 1)",
                    " @skip",
                ]
            } else {
                &[
                    " @include(if: true)",
                    " @skip(if: true)",
                    " @include(if: $flag)",
                ]
            };
            text.push_str(self.choices.one_of(directives));
            if text.ends_with("$flag)") && !self.variables.iter().any(|(n, ..)| n == "flag") {
                let flag = self.choices.chance(50);
                self.variables
                    .push(("flag".into(), "Boolean!".into(), Value::Bool(flag)));
            }
        }
        if !self.is_leaf(field.ty.named()) {
            if depth >= MAX_DEPTH + 2 {
                text.push_str(" { __typename }");
            } else if !self.flaw(10) {
                let inner = self.selection_set(field.ty.named(), depth + 1);
                text.push(' ');
                text.push_str(&inner);
            }
        } else if self.flaw(5) {
            text.push_str(" { id }");
        }
        text
    }

    fn is_leaf(&self, type_name: &str) -> bool {
        self.schema
            .types
            .get(type_name)
            .is_none_or(|t| t.kind == "SCALAR" || t.kind == "ENUM")
    }

    fn arguments(&mut self, args: &[(String, TypeRef)]) -> String {
        let mut given = Vec::new();
        for (name, ty) in args {
            let required = matches!(ty, TypeRef::NonNull(_));
            let give = if required {
                !self.flaw(10)
            } else {
                self.choices.chance(40)
            };
            if !give {
                continue;
            }
            let value = if self.choices.chance(25) {
                self.variable(ty)
            } else {
                self.literal(ty, 0)
            };
            given.push(format!("{name}: {value}"));
        }
        if self.flaw(5) {
            given.push("unknownArgument: 1".to_owned());
        }
        if given.is_empty() {
            String::new()
        } else {
            format!("({})", given.join(", "))
        }
    }

    /// A variable of type `ty` (or, now and then, declared with another
    /// type), with a JSON value that may not fit it.
    fn variable(&mut self, ty: &TypeRef) -> String {
        let name = format!("v{}", self.variables.len());
        let declared = if self.flaw(10) {
            self.choices
                .one_of(&["Int", "String!", "[ID!]!", "Unknown"])
                .to_owned()
        } else {
            ty.spelled()
        };
        let value = if self.flaw(10) {
            Value::Null
        } else {
            self.json(ty, 0)
        };
        self.variables.push((name.clone(), declared, value));
        format!("${name}")
    }

    fn literal(&mut self, ty: &TypeRef, depth: usize) -> String {
        if self.flaw(10) {
            // The wrong kind of value.
            return self
                .choices
                .one_of(&[
                    "null",
                    "\"x\"",
                    "1",
                    "1.5",
                    "true",
                    "[]",
                    "{}",
                    "NOT_AN_ENUM",
                ])
                .to_owned();
        }
        match ty {
            TypeRef::NonNull(inner) => self.literal(inner, depth),
            TypeRef::List(inner) => {
                let n = if depth > 2 { 0 } else { self.choices.pick(4) };
                let items: Vec<String> = (0..n).map(|_| self.literal(inner, depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
            TypeRef::Named(name) => match name.as_str() {
                "Int" => self.choices.one_of(INTS).to_owned(),
                "Float" => self.choices.one_of(&["0.5", "-1e308", "1e400"]).to_owned(),
                "Boolean" => self.choices.one_of(&["true", "false"]).to_owned(),
                _ => self.literal_of_type(name, depth),
            },
        }
    }

    fn literal_of_type(&mut self, name: &str, depth: usize) -> String {
        let Some(ty) = self.schema.types.get(name) else {
            return quoted(self.choices.one_of(STRINGS));
        };
        match ty.kind.as_str() {
            "ENUM" if !ty.enum_values.is_empty() => {
                ty.enum_values[self.choices.pick(ty.enum_values.len())].clone()
            }
            "INPUT_OBJECT" if depth < 4 => {
                let fields = ty.input_fields.clone();
                let mut given = Vec::new();
                for (field, field_ty) in &fields {
                    let required = matches!(field_ty, TypeRef::NonNull(_));
                    if (required && !self.flaw(10)) || (!required && self.choices.chance(40)) {
                        given.push(format!("{field}: {}", self.literal(field_ty, depth + 1)));
                    }
                }
                format!("{{{}}}", given.join(", "))
            }
            _ => {
                if self.choices.chance(5) {
                    // Long enough to meet a length limit.
                    quoted(&"x".repeat(1 + self.choices.pick(12_000)))
                } else {
                    quoted(self.choices.one_of(STRINGS))
                }
            }
        }
    }

    fn json(&mut self, ty: &TypeRef, depth: usize) -> Value {
        if self.flaw(10) {
            return [
                json!("x"),
                json!(1),
                json!(1.5),
                json!(true),
                json!([]),
                json!({}),
            ][self.choices.pick(6)]
            .clone();
        }
        match ty {
            TypeRef::NonNull(inner) => self.json(inner, depth),
            TypeRef::List(inner) => {
                let n = if depth > 2 { 0 } else { self.choices.pick(4) };
                Value::Array((0..n).map(|_| self.json(inner, depth + 1)).collect())
            }
            TypeRef::Named(name) => match name.as_str() {
                "Int" => serde_json::from_str(self.choices.one_of(INTS)).unwrap_or(Value::Null),
                "Float" => json!(0.5),
                "Boolean" => json!(self.choices.chance(50)),
                _ => {
                    let Some(ty) = self.schema.types.get(name.as_str()) else {
                        return json!(self.choices.one_of(STRINGS));
                    };
                    match ty.kind.as_str() {
                        "ENUM" if !ty.enum_values.is_empty() => {
                            json!(ty.enum_values[self.choices.pick(ty.enum_values.len())])
                        }
                        "INPUT_OBJECT" if depth < 4 => {
                            let fields = ty.input_fields.clone();
                            let mut object = Map::new();
                            for (field, field_ty) in &fields {
                                let required = matches!(field_ty, TypeRef::NonNull(_));
                                if (required && !self.flaw(10))
                                    || (!required && self.choices.chance(40))
                                {
                                    object.insert(field.clone(), self.json(field_ty, depth + 1));
                                }
                            }
                            Value::Object(object)
                        }
                        _ => json!(self.choices.one_of(STRINGS)),
                    }
                }
            },
        }
    }
}

/// `text` as a GraphQL string literal (JSON's escapes are GraphQL's).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string")
}

fn documents(schema: Arc<SchemaInfo>) -> impl Strategy<Value = (Sender, Request)> {
    (
        sender(),
        proptest::collection::vec(any::<u16>(), 0..400),
        proptest::bool::weighted(0.1),
    )
        .prop_map(move |(sender, numbers, get)| {
            let mut builder = Builder {
                schema: &schema,
                choices: Choices {
                    numbers: numbers.iter(),
                },
                variables: Vec::new(),
                fragments: Vec::new(),
                aliases: 0,
                flawed: false,
            };
            let (query, variables, operation_name) = builder.document();
            (
                sender,
                graphql_request(query, variables, operation_name, get),
            )
        })
}

// -- Token soup, any JSON, any bytes --------------------------------------

fn token_soup() -> impl Strategy<Value = (Sender, Request)> {
    let token = prop_oneof![
        4 => proptest::sample::select(vec![
            "{", "}", "(", ")", "[", "]", ":", "...", "$", "@", "!", "=", "|", "&", ",",
            "query", "mutation", "subscription", "fragment", "on", "\"", "\"\"\"", "#",
            "\n", "1", "-1.5e3", "0x1F", "\"x\"", "\"\\u0000\"", "\"\\uD800\"", "\\",
            "__typename", "__schema", "__type", "viewer", "tickets", "node", "id",
            "ticket", "first", "after", "login", "orderLaptop", "input", "F", "$v",
            "true", "null", "\u{feff}", "\u{0}",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{1,3}",
    ];
    (
        sender(),
        proptest::collection::vec(token, 0..80),
        proptest::bool::ANY,
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(sender, tokens, spaced, get)| {
            let query = tokens.join(if spaced { " " } else { "" });
            (sender, graphql_request(query, json!({}), None, get))
        })
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,16}".prop_map(Value::from),
        Just(json!("{ __typename }")),
        Just(json!("query($id: ID!) { node(id: $id) { id } }")),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        let key = prop_oneof![
            3 => proptest::sample::select(vec![
                "query", "variables", "operationName", "extensions", "id", "input",
                "persistedQuery", "sha256Hash", "__proto__",
            ])
            .prop_map(str::to_owned),
            1 => "\\PC{0,8}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn any_body() -> impl Strategy<Value = (Sender, Request)> {
    let content_type = proptest::sample::select(vec![
        "application/json",
        "application/json; charset=utf-8",
        "application/graphql-response+json",
        "multipart/form-data; boundary=x",
        "application/graphql",
    ]);
    let body = prop_oneof![
        // Any JSON value.
        3 => any_json().prop_map(|v| serde_json::to_vec(&v).expect("JSON")),
        // A well-formed request with a few bytes changed or cut.
        2 => (
            any_json(),
            proptest::collection::vec((any::<u16>(), any::<u8>()), 0..4),
            proptest::option::of(any::<u16>()),
        )
            .prop_map(|(variables, flips, cut)| {
                let mut body = serde_json::to_vec(&json!({
                    "query": "query($id: ID!) { node(id: $id) { id } }",
                    "variables": variables,
                }))
                .expect("JSON");
                for (at, byte) in flips {
                    let len = body.len();
                    body[usize::from(at) % len] = byte;
                }
                if let Some(cut) = cut {
                    body.truncate(usize::from(cut) % (body.len() + 1));
                }
                body
            }),
        // Any bytes.
        1 => proptest::collection::vec(any::<u8>(), 0..256),
    ];
    (sender(), content_type, body)
        .prop_map(|(sender, content_type, body)| (sender, Request::Post { content_type, body }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_built_from_the_schema_are_answered_without_panic_hang_or_internal_error() {
    let (w, target) = target().await;
    let introspection = w.app.graphql(INTROSPECTION, json!({}), None).await;
    let schema = SchemaInfo::from_introspection(&introspection);
    assert!(
        schema
            .types
            .get("Query")
            .is_some_and(|q| q.fields.len() > 10),
        "the schema was read: {introspection}"
    );
    let schema = Arc::new(schema);
    check(&target, "documents built from the schema", move || {
        documents(schema)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soup_of_graphql_tokens_is_answered_without_panic_hang_or_internal_error() {
    let (_w, target) = target().await;
    check(&target, "token soup", token_soup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_body_is_answered_without_panic_hang_or_internal_error() {
    let (_w, target) = target().await;
    check(&target, "any JSON or bytes as the body", any_body).await;
}
