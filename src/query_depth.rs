//! How deep a query may nest: one bound for data, a looser one for
//! introspection.
//!
//! Introspection nests by nature: a type reference is `ofType { ofType { … } }`
//! as deep as the widest wrapper it describes, and graphql-js's standard
//! introspection query, which every GraphQL tool sends, nests 15 fields
//! deep. Data queries need far less. So the schema's built-in depth limit
//! ([`MAX_INTROSPECTION_DEPTH`]) bounds every query, introspection included,
//! and [`DataDepthLimit`] holds the fields outside introspection to the
//! tighter [`MAX_DEPTH`].
//!
//! Invariants:
//! - no query nests deeper than [`MAX_INTROSPECTION_DEPTH`] fields, whoever
//!   sends it;
//! - no query nests more than [`MAX_DEPTH`] fields outside the subtrees of
//!   the root fields `__schema` and `__type`;
//! - depth counts fields only, through fragments, as async-graphql's limit
//!   does; the complexity limit applies to every query on top of both.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

/// Maximum nesting of the data fields of a query.
pub const MAX_DEPTH: usize = 12;

/// Maximum nesting of any query: the depth of graphql-js's standard
/// introspection query (`getIntrospectionQuery()`, graphql 16.15 and 17),
/// whose type references nest nine `ofType` deep.
pub const MAX_INTROSPECTION_DEPTH: usize = 15;

/// The root fields whose subtrees are introspection.
const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];

/// Refuses a document whose data fields nest deeper than [`MAX_DEPTH`],
/// before validation, with the message of async-graphql's own limit.
pub struct DataDepthLimit;

impl ExtensionFactory for DataDepthLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DataDepthLimit)
    }
}

#[async_trait::async_trait]
impl Extension for DataDepthLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if data_depth(&document) > MAX_DEPTH {
            return Err(ServerError::new("Query is nested too deep.", None));
        }
        Ok(document)
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
}
