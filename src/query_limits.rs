//! What a GraphQL document may cost before the library sees it.
//!
//! async-graphql parses a document on the async worker, then walks it
//! (recursion depth, depth, complexity, every validation rule) inlining a
//! fragment again at every spread, and compares with its limits only once
//! a walk is over: a 1 KB document whose fragments spread each other twice
//! per level walks 2^25 paths and holds a worker for half a minute. So
//! every document is first checked here, in four steps, each bounding the
//! next:
//!
//! 1. size: at most [`QueryLimits::max_document_bytes`];
//! 2. a lexical scan (no parsing): at most `max_tokens` tokens and
//!    `max_nesting` open brackets, so that the parser's recursion is bounded;
//! 3. the parse, then counts over the document as written: fragments,
//!    fragment spreads, selections; a fragment cycle is refused here (the
//!    library's recursion check would walk it exponentially);
//! 4. counts over the document as executed, every fragment inlined, each
//!    fragment measured once (memoised): fragment expansions, selections,
//!    aliases, root fields, `__typename` fields, and the nesting of data
//!    fields ([`MAX_DEPTH`]; introspection nests up to
//!    [`MAX_INTROSPECTION_DEPTH`], enforced by the library).
//!
//! Steps 1–4 are linear in the document and run on the blocking pool
//! ([`check_blocking`]), off the async workers. The library's own
//! validation then runs on a worker, but under a budget these checks
//! enforce: a document it sees expands to at most
//! `max_expanded_selections` selections, so each of its walks is bounded.
//! (Its validation cannot be moved off the worker itself: it runs inside
//! `Schema::execute`, whose validation entry point is private.)
//!
//! Invariants:
//! - no document reaches the library's parser or validation unless it passed
//!   every check here; over HTTP the checks run in the handler, on every
//!   other transport in [`QueryLimitsExtension`]'s `prepare_request`;
//! - no data field nests deeper than [`MAX_DEPTH`], no query deeper than
//!   [`MAX_INTROSPECTION_DEPTH`];
//! - `__typename` counts one in complexity, like any other field (the
//!   library leaves it out);
//! - a refusal is a VALIDATION error naming the limit (`extensions.limit`)
//!   and its value (`extensions.max`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{
    ErrorExtensionValues, Request, Response, ServerError, ServerResult, ValidationResult, Variables,
};

/// Maximum nesting of the data fields of a query.
pub const MAX_DEPTH: usize = 12;

/// Maximum nesting of any query: the depth of graphql-js's standard
/// introspection query (`getIntrospectionQuery()`, graphql 16.15 and 17),
/// whose type references nest nine `ofType` deep.
pub const MAX_INTROSPECTION_DEPTH: usize = 15;

/// Maximum complexity (roughly: fields × page sizes) of a query,
/// `__typename` included.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Default of [`QueryLimits::max_aliases`] (setting `GRAPHQL_MAX_ALIASES`).
pub const DEFAULT_MAX_ALIASES: usize = 30;

/// Default of [`QueryLimits::max_root_fields`] (setting
/// `GRAPHQL_MAX_ROOT_FIELDS`).
pub const DEFAULT_MAX_ROOT_FIELDS: usize = 20;

/// The root fields whose subtrees are introspection.
const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];

/// The bounds a document must stay within. [`Default`] holds the documented
/// defaults; the alias and root-field caps are settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLimits {
    /// Bytes of the query document (not of its variables).
    pub max_document_bytes: usize,
    /// Lexical tokens (names, punctuators, values) of the document.
    pub max_tokens: usize,
    /// Open `{`, `[` and `(` at any point of the document.
    pub max_nesting: usize,
    /// Fragment definitions.
    pub max_fragments: usize,
    /// Fragment spreads as written.
    pub max_spreads: usize,
    /// Selections (fields, spreads, inline fragments) as written.
    pub max_selections: usize,
    /// Fragment spreads once every fragment is inlined.
    pub max_fragment_expansions: usize,
    /// Selections once every fragment is inlined.
    pub max_expanded_selections: usize,
    /// Aliased fields of an operation, fragments inlined.
    pub max_aliases: usize,
    /// Fields of an operation's root selection, fragments inlined.
    pub max_root_fields: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_document_bytes: 64 * 1024,
            max_tokens: 10_000,
            max_nesting: 48,
            max_fragments: 100,
            max_spreads: 500,
            max_selections: 2_500,
            max_fragment_expansions: 500,
            max_expanded_selections: 5_000,
            max_aliases: DEFAULT_MAX_ALIASES,
            max_root_fields: DEFAULT_MAX_ROOT_FIELDS,
        }
    }
}

/// A document that passed every check, with what the later steps need.
#[derive(Debug)]
pub struct Checked {
    pub document: ExecutableDocument,
    /// `__typename` fields of the costliest operation, fragments inlined:
    /// what the library's complexity leaves out.
    pub typenames: u64,
}

/// What a checked request carries into the schema, so that
/// [`QueryLimitsExtension`] does not check it twice.
#[derive(Debug, Clone, Copy)]
pub struct Prechecked {
    pub typenames: u64,
}

/// Counts the requests that reached the library's validation, so that a
/// test can show that a refused document never did.
#[derive(Debug, Clone, Default)]
pub struct ValidationCounter(Arc<AtomicU64>);

impl ValidationCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Set by [`QueryLimitsExtension`] when an operation starts executing: a
/// response without it is a request error (parse, validation, a limit),
/// which GraphQL over HTTP answers without `data`.
#[derive(Debug, Clone, Default)]
pub struct Executed(Arc<std::sync::atomic::AtomicBool>);

impl Executed {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A refusal: VALIDATION, naming the limit and its value.
fn refuse(limit: &'static str, max: usize, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "VALIDATION");
    extensions.set("limit", limit);
    extensions.set("max", max as u64);
    error.extensions = Some(extensions);
    error
}

impl QueryLimits {
    /// The defaults, with the caps that are settings taken from `config`.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_aliases: config.graphql_max_aliases,
            max_root_fields: config.graphql_max_root_fields,
            ..Self::default()
        }
    }

    /// Every check of this module over `query`, with `variables` and the
    /// operation to run (for its required variables). Linear in the size
    /// of `query`; call it through [`check_blocking`] on a server.
    pub fn check(
        &self,
        query: &str,
        variables: &Variables,
        operation_name: Option<&str>,
    ) -> ServerResult<Checked> {
        if query.len() > self.max_document_bytes {
            return Err(refuse(
                "documentBytes",
                self.max_document_bytes,
                format!(
                    "The query document is too large ({} bytes; at most {}).",
                    query.len(),
                    self.max_document_bytes
                ),
            ));
        }
        self.scan(query)?;
        let document = async_graphql::parser::parse_query(query)?;
        self.check_written(&document)?;
        let typenames = self.check_expanded(&document)?;
        check_required_variables(&document, variables, operation_name)?;
        Ok(Checked {
            document,
            typenames,
        })
    }

    /// Step 2: tokens and bracket nesting, by a scan that knows strings,
    /// block strings and comments (so that a brace inside them is not
    /// counted) and nothing else.
    fn scan(&self, query: &str) -> ServerResult<()> {
        let bytes = query.as_bytes();
        let mut tokens = 0usize;
        let mut nesting = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                    i += 1;
                    continue;
                }
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                        i += 1;
                    }
                    continue;
                }
                b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                    i += 3;
                    loop {
                        if i >= bytes.len() {
                            break;
                        }
                        if bytes[i..].starts_with(b"\\\"\"\"") {
                            i += 4;
                        } else if bytes[i..].starts_with(b"\"\"\"") {
                            i += 3;
                            break;
                        } else {
                            i += 1;
                        }
                    }
                }
                b'"' => {
                    i += 1;
                    while i < bytes.len() {
                        match bytes[i] {
                            b'\\' => i += 2,
                            b'"' => {
                                i += 1;
                                break;
                            }
                            // A string ends at a line end; the parser
                            // refuses it there.
                            b'\n' | b'\r' => break,
                            _ => i += 1,
                        }
                    }
                }
                b'{' | b'[' | b'(' => {
                    nesting += 1;
                    if nesting > self.max_nesting {
                        return Err(refuse(
                            "nesting",
                            self.max_nesting,
                            format!(
                                "Query is nested too deep: more than {} open brackets.",
                                self.max_nesting
                            ),
                        ));
                    }
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    nesting = nesting.saturating_sub(1);
                    i += 1;
                }
                b'.' if bytes[i..].starts_with(b"...") => i += 3,
                b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                    while i < bytes.len()
                        && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+' | b'-')
                    {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
            tokens += 1;
            if tokens > self.max_tokens {
                return Err(refuse(
                    "tokens",
                    self.max_tokens,
                    format!(
                        "The query document has too many tokens (more than {}).",
                        self.max_tokens
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Step 3: the document as written.
    fn check_written(&self, document: &ExecutableDocument) -> ServerResult<()> {
        if document.fragments.len() > self.max_fragments {
            return Err(refuse(
                "fragments",
                self.max_fragments,
                format!(
                    "The query document defines too many fragments ({}; at most {}).",
                    document.fragments.len(),
                    self.max_fragments
                ),
            ));
        }
        let mut written = Written::default();
        for (_, operation) in document.operations.iter() {
            written.selection_set(&operation.node.selection_set.node);
        }
        for fragment in document.fragments.values() {
            written.selection_set(&fragment.node.selection_set.node);
        }
        if written.spreads > self.max_spreads {
            return Err(refuse(
                "spreads",
                self.max_spreads,
                format!(
                    "The query document has too many fragment spreads ({}; at most {}).",
                    written.spreads, self.max_spreads
                ),
            ));
        }
        if written.selections > self.max_selections {
            return Err(refuse(
                "selections",
                self.max_selections,
                format!(
                    "The query document has too many selections ({}; at most {}).",
                    written.selections, self.max_selections
                ),
            ));
        }
        if let Some(name) = fragment_cycle(document) {
            return Err(ServerError::new(
                format!("Cannot spread fragment \"{name}\" within itself."),
                None,
            ));
        }
        Ok(())
    }

    /// Step 4: every operation as executed, fragments inlined. Returns the
    /// largest `__typename` count of an operation.
    fn check_expanded(&self, document: &ExecutableDocument) -> ServerResult<u64> {
        let mut measure = Measure {
            document,
            memo: HashMap::new(),
        };
        let mut typenames = 0;
        for (_, operation) in document.operations.iter() {
            let cost = measure.selection_set(&operation.node.selection_set.node);
            let checks = [
                (
                    cost.expansions,
                    self.max_fragment_expansions,
                    "fragmentExpansions",
                    "Fragment spreads expand too far",
                ),
                (
                    cost.selections,
                    self.max_expanded_selections,
                    "expandedSelections",
                    "The query selects too many fields once its fragments are inlined",
                ),
                (
                    cost.aliases,
                    self.max_aliases,
                    "aliases",
                    "The query has too many aliases",
                ),
                (
                    cost.top_fields,
                    self.max_root_fields,
                    "rootFields",
                    "The query has too many root fields",
                ),
            ];
            for (value, max, limit, what) in checks {
                if value > max as u64 {
                    return Err(refuse(
                        limit,
                        max,
                        format!("{what} ({value}; at most {max})."),
                    ));
                }
            }
            typenames = typenames.max(cost.typenames);
        }
        if data_depth(document) > MAX_DEPTH {
            return Err(refuse(
                "depth",
                MAX_DEPTH,
                "Query is nested too deep.".to_owned(),
            ));
        }
        Ok(typenames)
    }
}

/// [`QueryLimits::check`] on the blocking pool, so that no document holds
/// an async worker while it is measured. Hands the query text back.
pub async fn check_blocking(
    limits: Arc<QueryLimits>,
    query: String,
    variables: Variables,
    operation_name: Option<String>,
) -> (String, Variables, ServerResult<Checked>) {
    let check = move || {
        let checked = limits.check(&query, &variables, operation_name.as_deref());
        (query, variables, checked)
    };
    // Outside a Tokio runtime (a schema driven by another executor) there
    // are no async workers to spare.
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return check();
    };
    let task = runtime.spawn_blocking(check);
    match task.await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, "the query check failed");
            (
                String::new(),
                Variables::default(),
                Err(ServerError::new("internal error", None)),
            )
        }
    }
}

/// The type of the operation `operation_name` selects (the only one when
/// unnamed); `None` when there is no such operation.
pub fn operation_type(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    selected_operation(document, operation_name).map(|op| op.node.ty)
}

/// The name of the document's one operation, when it has one named
/// operation only (a request may then leave `operationName` out).
pub fn only_operation_name(document: &ExecutableDocument) -> Option<String> {
    match &document.operations {
        DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            ops.keys().next().map(ToString::to_string)
        }
        _ => None,
    }
}

fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a async_graphql::Positioned<async_graphql::parser::types::OperationDefinition>> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), None) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    }
}

/// A required variable (non-null, without default) must have a non-null
/// value, whether or not the operation uses it: GraphQL's variable
/// coercion, which the library applies to used variables only.
fn check_required_variables(
    document: &ExecutableDocument,
    variables: &Variables,
    operation_name: Option<&str>,
) -> ServerResult<()> {
    let Some(operation) = selected_operation(document, operation_name) else {
        return Ok(()); // the library names the missing operation
    };
    for definition in &operation.node.variable_definitions {
        let definition = &definition.node;
        if definition.var_type.node.nullable || definition.default_value.is_some() {
            continue;
        }
        let name = &definition.name.node;
        let provided = variables
            .get(name)
            .is_some_and(|v| !matches!(v, async_graphql::Value::Null));
        if !provided {
            let mut error = ServerError::new(
                format!(
                    "Variable \"${name}\" of required type \"{}\" was not provided.",
                    definition.var_type.node
                ),
                Some(definition.name.pos),
            );
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "VALIDATION");
            extensions.set("field", name.as_str());
            error.extensions = Some(extensions);
            return Err(error);
        }
    }
    Ok(())
}

/// Counts of the document as written.
#[derive(Default)]
struct Written {
    selections: usize,
    spreads: usize,
}

impl Written {
    fn selection_set(&mut self, set: &SelectionSet) {
        for selection in &set.items {
            self.selections += 1;
            match &selection.node {
                Selection::Field(field) => self.selection_set(&field.node.selection_set.node),
                Selection::FragmentSpread(_) => self.spreads += 1,
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node)
                }
            }
        }
    }
}

/// The name of a fragment that spreads itself, directly or not.
fn fragment_cycle(document: &ExecutableDocument) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Open,
        Done,
    }
    fn spreads<'a>(set: &'a SelectionSet, out: &mut Vec<&'a str>) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => spreads(&field.node.selection_set.node, out),
                Selection::FragmentSpread(spread) => {
                    out.push(spread.node.fragment_name.node.as_str())
                }
                Selection::InlineFragment(inline) => spreads(&inline.node.selection_set.node, out),
            }
        }
    }
    let mut state: HashMap<&str, State> = HashMap::new();
    for start in document.fragments.keys() {
        if state.contains_key(start.as_str()) {
            continue;
        }
        // Depth-first without recursion: (fragment, its spreads, next index).
        let mut stack: Vec<(&str, Vec<&str>, usize)> = Vec::new();
        let open = |name: &str| -> Option<Vec<&str>> {
            let fragment = document.fragments.get(name)?;
            let mut out = Vec::new();
            spreads(&fragment.node.selection_set.node, &mut out);
            Some(out)
        };
        state.insert(start.as_str(), State::Open);
        stack.push((start.as_str(), open(start.as_str()).unwrap_or_default(), 0));
        while let Some((name, children, next)) = stack.last_mut() {
            let Some(child) = children.get(*next).copied() else {
                state.insert(name, State::Done);
                stack.pop();
                continue;
            };
            *next += 1;
            match state.get(child) {
                Some(State::Open) => return Some(child.to_owned()),
                Some(State::Done) => {}
                None => {
                    if let Some(grandchildren) = open(child) {
                        state.insert(child, State::Open);
                        stack.push((child, grandchildren, 0));
                    }
                }
            }
        }
    }
    None
}

/// The cost of a selection set with its fragments inlined.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    /// Fragment spreads, counted once per place they are inlined.
    expansions: u64,
    /// Every selection, counted once per place it is inlined.
    selections: u64,
    aliases: u64,
    typenames: u64,
    /// Fields of this level (inline fragments and spreads flattened).
    top_fields: u64,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.expansions = self.expansions.saturating_add(other.expansions);
        self.selections = self.selections.saturating_add(other.selections);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.typenames = self.typenames.saturating_add(other.typenames);
    }
}

/// Measures each fragment once: its cost is the same wherever it is spread.
struct Measure<'a> {
    document: &'a ExecutableDocument,
    memo: HashMap<&'a str, Cost>,
}

impl<'a> Measure<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Cost {
        let mut cost = Cost::default();
        for selection in &set.items {
            cost.selections = cost.selections.saturating_add(1);
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    cost.top_fields = cost.top_fields.saturating_add(1);
                    if field.alias.is_some() {
                        cost.aliases = cost.aliases.saturating_add(1);
                    }
                    if field.name.node.as_str() == "__typename" {
                        cost.typenames = cost.typenames.saturating_add(1);
                    }
                    cost.add(self.selection_set(&field.selection_set.node));
                }
                Selection::FragmentSpread(spread) => {
                    cost.expansions = cost.expansions.saturating_add(1);
                    let inner = self.fragment(spread.node.fragment_name.node.as_str());
                    cost.top_fields = cost.top_fields.saturating_add(inner.top_fields);
                    cost.add(inner);
                }
                Selection::InlineFragment(inline) => {
                    let inner = self.selection_set(&inline.node.selection_set.node);
                    cost.top_fields = cost.top_fields.saturating_add(inner.top_fields);
                    cost.add(inner);
                }
            }
        }
        cost
    }

    /// Cycles were refused before, so the recursion ends; an unknown
    /// fragment costs nothing here (validation names it).
    fn fragment(&mut self, name: &'a str) -> Cost {
        if let Some(cost) = self.memo.get(name) {
            return *cost;
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Cost::default();
        };
        let cost = self.selection_set(&fragment.node.selection_set.node);
        self.memo.insert(name, cost);
        cost
    }
}

/// Applies this module to every request of the schema, whatever its
/// transport: checks a document the HTTP handler did not (on the blocking
/// pool), adds `__typename` fields to the library's complexity, counts
/// validations and marks the start of execution ([`Executed`]).
#[derive(Default)]
pub struct QueryLimitsExtension {
    pub limits: Arc<QueryLimits>,
    pub validations: ValidationCounter,
}

impl ExtensionFactory for QueryLimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest {
            limits: self.limits.clone(),
            validations: self.validations.clone(),
            typenames: AtomicU64::new(0),
        })
    }
}

struct PerRequest {
    limits: Arc<QueryLimits>,
    validations: ValidationCounter,
    typenames: AtomicU64,
}

#[async_trait::async_trait]
impl Extension for PerRequest {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let prechecked = request
            .data
            .get(&std::any::TypeId::of::<Prechecked>())
            .and_then(|data| data.downcast_ref::<Prechecked>())
            .copied();
        let typenames = match prechecked {
            Some(prechecked) => prechecked.typenames,
            None => {
                let query = std::mem::take(&mut request.query);
                let variables = std::mem::take(&mut request.variables);
                let (query, variables, checked) = check_blocking(
                    self.limits.clone(),
                    query,
                    variables,
                    request.operation_name.clone(),
                )
                .await;
                request.query = query;
                request.variables = variables;
                let checked = checked?;
                request.set_parsed_query(checked.document);
                checked.typenames
            }
        };
        self.typenames.store(typenames, Ordering::Relaxed);
        next.run(ctx, request).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        self.validations.0.fetch_add(1, Ordering::Relaxed);
        let result = next.run(ctx).await?;
        let typenames =
            usize::try_from(self.typenames.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
        let complexity = result.complexity.saturating_add(typenames);
        if complexity > MAX_COMPLEXITY {
            return Err(vec![refuse(
                "complexity",
                MAX_COMPLEXITY,
                format!("Query is too complex ({complexity}; at most {MAX_COMPLEXITY})."),
            )]);
        }
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(executed) = ctx.data_opt::<Executed>() {
            executed.0.store(true, Ordering::Relaxed);
        }
        next.run(ctx, operation_name).await
    }
}

/// The deepest nesting of data fields over every operation of `document`:
/// fields counted, fragments inlined, the subtrees of root `__schema` and
/// `__type` fields left out.
pub fn data_depth(document: &ExecutableDocument) -> usize {
    let mut walk = Walk {
        document,
        memo: HashMap::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| walk.selection_set(&operation.node.selection_set.node, true))
        .max()
        .unwrap_or(0)
}

/// A walk over a document that measures each fragment once per position
/// (at the root or below it), so that fragments spread many times cost
/// nothing more.
struct Walk<'a> {
    document: &'a ExecutableDocument,
    /// Depth of a fragment at the root (`true`) or below it; `None` while it
    /// is being measured, so that a cycle, which validation refuses anyway,
    /// ends the walk instead of recursing forever.
    memo: HashMap<(&'a str, bool), Option<usize>>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, root: bool) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if root && INTROSPECTION_ROOTS.contains(&name) {
                        0
                    } else {
                        1 + self.selection_set(&field.node.selection_set.node, false)
                    }
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), root)
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node, root)
                }
            })
            .max()
            .unwrap_or(0)
    }

    fn fragment(&mut self, name: &'a str, root: bool) -> usize {
        match self.memo.get(&(name, root)) {
            Some(Some(depth)) => return *depth,
            Some(None) => return 0,
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0; // unknown fragment: validation names it
        };
        self.memo.insert((name, root), None);
        let depth = self.selection_set(&fragment.node.selection_set.node, root);
        self.memo.insert((name, root), Some(depth));
        depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(query: &str) -> usize {
        let document = async_graphql::parser::parse_query(query).expect("valid query");
        data_depth(&document)
    }

    /// `levels` fields nested in one another: `f { f { … f } }`.
    fn nested(field: &str, levels: usize) -> String {
        let mut query = field.to_owned();
        for _ in 1..levels {
            query = format!("{field} {{ {query} }}");
        }
        query
    }

    #[test]
    fn data_fields_count_one_level_each() {
        assert_eq!(depth("{ viewer { id } }"), 2);
        assert_eq!(depth(&format!("{{ {} }}", nested("a", 13))), 13);
        assert_eq!(depth("{ __typename }"), 1);
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let query = "query { a { ...F } b { c { ... on T { d { e } } } } }
                     fragment F on T { x { y { z } } }";
        assert_eq!(depth(query), 4);
    }

    #[test]
    fn introspection_subtrees_are_left_out_at_the_root_only() {
        let deep = nested("ofType", 30);
        assert_eq!(depth(&format!("{{ __type(name: \"T\") {{ {deep} }} }}")), 0);
        assert_eq!(
            depth(&format!("{{ alias: __schema {{ types {{ {deep} }} }} }}")),
            0
        );
        assert_eq!(
            depth(&format!(
                "{{ ...R }} fragment R on Query {{ __schema {{ {deep} }} }}"
            )),
            0
        );
        // Below the root, `__type` is an ordinary name and counts.
        assert_eq!(depth(&format!("{{ a {{ __type {{ {deep} }} }} }}")), 32);
        // Data next to introspection still counts.
        assert_eq!(
            depth(&format!("{{ __schema {{ {deep} }} {} }}", nested("a", 13))),
            13
        );
    }

    #[test]
    fn a_fragment_spread_many_times_is_measured_once_per_position() {
        // 2^40 paths if walked naively.
        let mut query = String::from("{ ...F0 }\n");
        for i in 0..40 {
            let next = i + 1;
            query.push_str(&format!(
                "fragment F{i} on T {{ a: f {{ ...F{next} }} b: f {{ ...F{next} }} }}\n"
            ));
        }
        query.push_str("fragment F40 on T { leaf }\n");
        assert_eq!(depth(&query), 41);
    }

    #[test]
    fn a_fragment_cycle_ends_the_walk() {
        let query = "{ ...A } fragment A on T { a { ...B } } fragment B on T { b { ...A } }";
        assert!(depth(query) >= 2);
    }

    /// The limit a document is refused by, or `None` when it passes.
    fn refused_by(query: &str) -> Option<String> {
        match QueryLimits::default().check(query, &Variables::default(), None) {
            Ok(_) => None,
            Err(error) => Some(
                error
                    .extensions
                    .as_ref()
                    .and_then(|e| e.get("limit"))
                    .map_or_else(|| error.message.clone(), ToString::to_string),
            ),
        }
    }

    /// `query { ...F<levels> }` where each fragment spreads the one below
    /// it twice: 2^levels paths once inlined, 1 KB as written.
    fn fragment_bomb(levels: usize) -> String {
        let mut query = format!("query {{ ...F{levels} }} fragment F0 on Query {{ __typename }}");
        for i in 1..=levels {
            let below = i - 1;
            query.push_str(&format!(
                " fragment F{i} on Query {{ ...F{below} ...F{below} }}"
            ));
        }
        query
    }

    #[test]
    fn the_fragment_bomb_is_refused_by_the_expansion_bound_at_once() {
        let query = fragment_bomb(25);
        assert!(query.len() < 1100, "{}", query.len());
        let started = std::time::Instant::now();
        assert_eq!(
            refused_by(&query).as_deref(),
            Some("\"fragmentExpansions\"")
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // Four levels expand to 30 spreads: fine.
        assert_eq!(refused_by(&fragment_bomb(4)), None);
    }

    #[test]
    fn a_fragment_cycle_is_refused_before_anything_walks_it() {
        let query = "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A }";
        let refused = refused_by(query).expect("refused");
        assert!(refused.contains("within itself"), "{refused}");
    }

    #[test]
    fn nesting_is_bounded_before_the_parser_recurses() {
        let deep = format!("{}{}", "{ a ".repeat(1_000), "}".repeat(1_000));
        assert_eq!(refused_by(&deep).as_deref(), Some("\"nesting\""));
        let list = format!("{{ a(x: {}1{}) }}", "[".repeat(1_000), "]".repeat(1_000));
        assert_eq!(refused_by(&list).as_deref(), Some("\"nesting\""));
        // Brackets inside strings and comments are text.
        let text = format!(
            "{{ a(x: \"{0}\", y: \"\"\"{0}\\\"\"\"{0}\"\"\") }} # {0}",
            "{[(".repeat(100)
        );
        assert_eq!(refused_by(&text), None);
    }

    #[test]
    fn size_tokens_and_selections_are_capped() {
        let limits = QueryLimits::default();
        let huge = format!("{{ a(x: \"{}\") }}", "x".repeat(limits.max_document_bytes));
        assert_eq!(refused_by(&huge).as_deref(), Some("\"documentBytes\""));
        let tokens = format!("{{ a(x: [{}]) }}", "1 ".repeat(limits.max_tokens));
        assert_eq!(refused_by(&tokens).as_deref(), Some("\"tokens\""));
        let selections = format!("{{ {} }}", "a { b } ".repeat(limits.max_selections / 2 + 1));
        assert_eq!(refused_by(&selections).as_deref(), Some("\"selections\""));
        let mut fragments = String::from("{ __typename }");
        for i in 0..=limits.max_fragments {
            fragments.push_str(&format!(" fragment F{i} on Query {{ __typename }}"));
        }
        assert_eq!(refused_by(&fragments).as_deref(), Some("\"fragments\""));
    }

    #[test]
    fn aliases_and_root_fields_are_counted_through_fragments() {
        let aliases = |n: usize| {
            let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
            format!(
                "{{ x {{ ...F }} }} fragment F on T {{ {} }}",
                fields.join(" ")
            )
        };
        assert_eq!(refused_by(&aliases(DEFAULT_MAX_ALIASES)), None);
        assert_eq!(
            refused_by(&aliases(DEFAULT_MAX_ALIASES + 1)).as_deref(),
            Some("\"aliases\"")
        );
        let roots = |n: usize| format!("{{ ... on Query {{ {} }} }}", "f(a: 1) ".repeat(n));
        assert_eq!(refused_by(&roots(DEFAULT_MAX_ROOT_FIELDS)), None);
        assert_eq!(
            refused_by(&roots(DEFAULT_MAX_ROOT_FIELDS + 1)).as_deref(),
            Some("\"rootFields\"")
        );
    }

    #[test]
    fn typename_fields_are_counted_for_complexity() {
        let query = "{ a: __typename ...F } fragment F on Query { __typename b { __typename } }";
        let checked = QueryLimits::default()
            .check(query, &Variables::default(), None)
            .expect("passes");
        assert_eq!(checked.typenames, 3);
    }

    #[test]
    fn the_standard_introspection_query_passes() {
        let query = include_str!("../tests/api/fixtures/graphql-js-introspection.graphql");
        assert_eq!(refused_by(query), None);
    }

    #[test]
    fn a_required_variable_must_have_a_value_even_when_unused() {
        let query = "query Q($id: ID!, $n: Int, $d: Int! = 3) { __typename }";
        let limits = QueryLimits::default();
        let missing = limits
            .check(query, &Variables::default(), None)
            .expect_err("refused");
        assert!(missing.message.contains("$id"), "{}", missing.message);
        let null = Variables::from_json(serde_json::json!({ "id": null }));
        assert!(limits.check(query, &null, None).is_err());
        let given = Variables::from_json(serde_json::json!({ "id": "x" }));
        assert!(limits.check(query, &given, None).is_ok());
    }

    struct Costly;

    #[async_graphql::Object]
    impl Costly {
        /// Weighs all but one of the complexity budget.
        #[graphql(complexity = "MAX_COMPLEXITY - 1")]
        async fn heavy(&self) -> i32 {
            1
        }
    }

    #[tokio::test]
    async fn typename_counts_in_complexity() {
        let schema = async_graphql::Schema::build(
            Costly,
            async_graphql::EmptyMutation,
            async_graphql::EmptySubscription,
        )
        .limit_complexity(MAX_COMPLEXITY)
        .extension(QueryLimitsExtension::default())
        .finish();
        let within = schema.execute("{ heavy __typename }").await;
        assert!(within.errors.is_empty(), "{:?}", within.errors);
        let over = schema.execute("{ heavy __typename t: __typename }").await;
        assert_eq!(over.errors.len(), 1, "{:?}", over.errors);
        assert!(
            over.errors[0].message.contains("too complex"),
            "{:?}",
            over.errors
        );
    }

    #[tokio::test]
    async fn the_schema_checks_a_document_no_handler_checked() {
        // As a transport other than the HTTP handler drives it.
        let schema = crate::graphql::schema_builder(true).finish();
        let response = schema.execute(fragment_bomb(25)).await;
        let limit = response.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("limit"))
            .map(ToString::to_string);
        assert_eq!(
            limit.as_deref(),
            Some("\"fragmentExpansions\""),
            "{:?}",
            response.errors
        );
    }
}
