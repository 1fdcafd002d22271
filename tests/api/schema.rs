//! `schema.graphql` is the exported SDL, byte for byte, and it is the API's
//! manual: every element carries a description that stands on its own.

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use async_graphql::parser::{Positioned, parse_schema, types::InputValueDefinition};

#[test]
fn schema_graphql_matches_the_exported_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let exported = partnerdesk::graphql::sdl();
    assert!(
        committed == exported,
        "schema.graphql is out of date with the code; refresh it with:\n\n    cargo run -- export-schema > schema.graphql\n"
    );
}

/// One schema element and its description, named as a reader would look it
/// up: `Type`, `Type.field`, `Type.field(argument:)`, `Enum.VALUE`.
struct Element {
    path: String,
    description: Option<String>,
}

/// The directives every GraphQL server defines, described by the
/// specification rather than by us.
const BUILT_IN_DIRECTIVES: [&str; 5] = ["include", "skip", "deprecated", "specifiedBy", "oneOf"];

/// Every type, field, argument, input field and enum value of the exported
/// schema, and its own directives. The built-in scalars and the
/// introspection types are not part of the SDL, so they are not walked.
fn elements() -> Vec<Element> {
    let sdl = partnerdesk::graphql::sdl();
    let document = parse_schema(&sdl).expect("the exported SDL parses");
    let text = |d: &Option<Positioned<String>>| d.as_ref().map(|d| d.node.clone());
    let mut out = Vec::new();
    let mut push =
        |path: String, description: Option<String>| out.push(Element { path, description });
    let arguments = |owner: &str, args: &[Positioned<InputValueDefinition>]| {
        args.iter()
            .map(|a| {
                (
                    format!("{owner}({}:)", a.node.name.node),
                    text(&a.node.description),
                )
            })
            .collect::<Vec<_>>()
    };
    for definition in &document.definitions {
        match definition {
            TypeSystemDefinition::Type(ty) => {
                let ty = &ty.node;
                let name = ty.name.node.to_string();
                push(name.clone(), text(&ty.description));
                let fields = match &ty.kind {
                    TypeKind::Object(o) => Some(&o.fields),
                    TypeKind::Interface(i) => Some(&i.fields),
                    _ => None,
                };
                for field in fields.into_iter().flatten() {
                    let path = format!("{name}.{}", field.node.name.node);
                    push(path.clone(), text(&field.node.description));
                    for (path, d) in arguments(&path, &field.node.arguments) {
                        push(path, d);
                    }
                }
                if let TypeKind::InputObject(input) = &ty.kind {
                    for field in &input.fields {
                        push(
                            format!("{name}.{}", field.node.name.node),
                            text(&field.node.description),
                        );
                    }
                }
                if let TypeKind::Enum(e) = &ty.kind {
                    for value in &e.values {
                        push(
                            format!("{name}.{}", value.node.value.node),
                            text(&value.node.description),
                        );
                    }
                }
            }
            TypeSystemDefinition::Directive(d)
                if !BUILT_IN_DIRECTIVES.contains(&d.node.name.node.as_str()) =>
            {
                let name = format!("@{}", d.node.name.node);
                push(name.clone(), text(&d.node.description));
                for (path, d) in arguments(&name, &d.node.arguments) {
                    push(path, d);
                }
            }
            TypeSystemDefinition::Directive(_) | TypeSystemDefinition::Schema(_) => {}
        }
    }
    out
}

#[test]
fn every_schema_element_has_a_description() {
    let elements = elements();
    assert!(
        elements.len() > 300,
        "the walk found only {} elements: is it walking the schema?",
        elements.len()
    );
    let missing: Vec<&str> = elements
        .iter()
        .filter(|e| e.description.as_deref().is_none_or(|d| d.trim().is_empty()))
        .map(|e| e.path.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "{} schema elements have no description (a `///` doc comment, or \
         `#[graphql(desc = \"…\")]` on an argument):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

/// A frontend developer has the schema and the README, nothing else: a
/// description that sends them to another document sends them nowhere.
#[test]
fn schema_descriptions_name_no_document_the_reader_lacks() {
    let elsewhere = ["spec", "seed", "§"];
    let offending: Vec<String> = elements()
        .into_iter()
        .filter_map(|e| {
            let description = e.description?;
            let lower = description.to_lowercase();
            let words: Vec<&str> = lower
                .split(|c: char| !c.is_alphanumeric() && c != '§')
                .collect();
            elsewhere
                .iter()
                .any(|w| words.contains(w) || (*w == "§" && lower.contains('§')))
                .then(|| format!("{}: {}", e.path, description.replace('\n', " ")))
        })
        .collect();
    assert!(
        offending.is_empty(),
        "descriptions refer to documents the API's users do not have:\n  {}",
        offending.join("\n  ")
    );
}
