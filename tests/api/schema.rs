//! `schema.graphql` is the exported SDL, byte for byte.

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
