//! Naming the precise input field of a value the GraphQL layer could not
//! parse.
//!
//! async-graphql reports a scalar that fails to parse (a malformed
//! `DateTime`) as `Failed to parse "DateTime": …` at the position of the
//! argument, without its name, and inside an input object without the
//! field's. This module finds the argument at that position in the
//! request, reads its value (a literal or a variable), and follows the
//! argument's type, as the exported schema declares it, down to the value
//! of the failing scalar type: `shipOrder(input: {shippedAt: "soon"})`
//! names `input.shippedAt`. It reads only the request and the schema; when
//! anything does not fit, it names nothing and the error keeps its message.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value, Variables};

/// What a request said: its query text and its variables.
#[derive(Debug, Clone, Default)]
pub struct RequestText {
    pub query: String,
    pub variables: Variables,
}

impl RequestText {
    pub fn of(request: &async_graphql::Request) -> Self {
        Self {
            query: request.query.clone(),
            variables: request.variables.clone(),
        }
    }
}

/// The argument types of every field and the field types of every input
/// object, read once from the schema's SDL.
struct InputTypes {
    /// (field name, argument name) → the argument's type.
    arguments: HashMap<(String, String), Type>,
    /// input object name → its fields' types.
    input_objects: HashMap<String, HashMap<String, Type>>,
}

static INPUT_TYPES: LazyLock<InputTypes> = LazyLock::new(|| {
    let mut types = InputTypes {
        arguments: HashMap::new(),
        input_objects: HashMap::new(),
    };
    let Ok(document) = async_graphql::parser::parse_schema(crate::graphql::sdl()) else {
        return types;
    };
    for definition in document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else {
            continue;
        };
        let definition = definition.node;
        match definition.kind {
            TypeKind::Object(object) => {
                for field in object.fields {
                    for argument in field.node.arguments {
                        types.arguments.insert(
                            (
                                field.node.name.node.to_string(),
                                argument.node.name.node.to_string(),
                            ),
                            argument.node.ty.node,
                        );
                    }
                }
            }
            TypeKind::InputObject(input) => {
                let fields = input
                    .fields
                    .into_iter()
                    .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                    .collect();
                types
                    .input_objects
                    .insert(definition.name.node.to_string(), fields);
            }
            _ => {}
        }
    }
    types
});

/// The input path (`input.shippedAt`, `paidAt`) of the value that `error`
/// says failed to parse, when the request shows it.
pub fn name_unparsed_field(
    error: &async_graphql::ServerError,
    request: &RequestText,
) -> Option<String> {
    let rest = error.message.strip_prefix("Failed to parse \"")?;
    let scalar = &rest[..rest.find('"')?];
    let position = *error.locations.first()?;
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    let (field, argument, value) = find_argument(&document, position, &request.variables)?;
    let ty = INPUT_TYPES
        .arguments
        .get(&(field.to_string(), argument.to_string()))?;
    let path = path_to(ty, &value, scalar)?;
    Some(if path.is_empty() {
        argument.to_string()
    } else {
        format!("{argument}.{path}")
    })
}

/// The field and argument whose value starts at `position`, anywhere in
/// the document, with the value (variables resolved).
fn find_argument(
    document: &ExecutableDocument,
    position: async_graphql::Pos,
    variables: &Variables,
) -> Option<(Name, Name, Value)> {
    let sets = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        );
    for set in sets {
        if let Some(found) = find_in(set, position, variables) {
            return Some(found);
        }
    }
    None
}

fn find_in(
    set: &SelectionSet,
    position: async_graphql::Pos,
    variables: &Variables,
) -> Option<(Name, Name, Value)> {
    for item in &set.items {
        let found = match &item.node {
            Selection::Field(field) => field
                .node
                .arguments
                .iter()
                .find(|(_, value)| value.pos == position)
                .and_then(|(name, value)| {
                    let value = value
                        .node
                        .clone()
                        .into_const_with(|var| variables.get(&var).cloned().ok_or(()))
                        .ok()?;
                    Some((field.node.name.node.clone(), name.node.clone(), value))
                })
                .or_else(|| find_in(&field.node.selection_set.node, position, variables)),
            Selection::InlineFragment(fragment) => {
                find_in(&fragment.node.selection_set.node, position, variables)
            }
            Selection::FragmentSpread(_) => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The path below a value of type `ty` to the first value of type
/// `scalar` that does not parse as one ("" for the value itself).
fn path_to(ty: &Type, value: &Value, scalar: &str) -> Option<String> {
    match (&ty.base, value) {
        (BaseType::List(inner), Value::List(items)) => {
            items.iter().enumerate().find_map(|(index, item)| {
                path_to(inner, item, scalar).map(|rest| join(&index.to_string(), &rest))
            })
        }
        (BaseType::List(inner), single) => path_to(inner, single, scalar),
        (BaseType::Named(name), value) if name.as_str() == scalar => {
            (!parses_as(scalar, value)).then(String::new)
        }
        (BaseType::Named(name), Value::Object(fields)) => {
            let declared = INPUT_TYPES.input_objects.get(name.as_str())?;
            fields.iter().find_map(|(field, value)| {
                let ty = declared.get(field.as_str())?;
                path_to(ty, value, scalar).map(|rest| join(field, &rest))
            })
        }
        _ => None,
    }
}

fn join(head: &str, rest: &str) -> String {
    if rest.is_empty() {
        head.to_owned()
    } else {
        format!("{head}.{rest}")
    }
}

/// Whether `value` parses as the scalar: checked for the scalars whose
/// parse can fail on a well-typed value; any other is taken as failing,
/// since the executor said so.
fn parses_as(scalar: &str, value: &Value) -> bool {
    match (scalar, value) {
        ("DateTime", Value::String(text)) => text.parse::<chrono::DateTime<chrono::Utc>>().is_ok(),
        _ => false,
    }
}
