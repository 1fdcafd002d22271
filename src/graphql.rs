//! The GraphQL schema: the domain roots merged in one place, with the
//! limits of SPEC §4. The server and `export-schema` both build it here, so
//! `schema.graphql` is exactly what is served.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::{attachments, auth, feedback, invoices, node, organisations, tickets, users};

pub use crate::query_depth::{MAX_DEPTH, MAX_INTROSPECTION_DEPTH};

/// Maximum complexity (roughly: fields × page sizes) of a query.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Every read.
#[derive(MergedObject, Default)]
pub struct Query(
    users::graphql::UsersQuery,
    organisations::graphql::OrganisationsQuery,
    tickets::graphql::TicketsQuery,
    feedback::graphql::FeedbackQuery,
    invoices::graphql::InvoicesQuery,
    node::NodeQuery,
);

/// Every write.
#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::graphql::AuthMutation,
    users::graphql::UsersMutation,
    organisations::graphql::OrganisationsMutation,
    tickets::graphql::TicketsMutation,
    feedback::graphql::FeedbackMutation,
    attachments::graphql::AttachmentsMutation,
    invoices::graphql::InvoicesMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its limits: complexity on every query; depth
/// [`MAX_INTROSPECTION_DEPTH`] on every query and [`MAX_DEPTH`] on its data
/// fields (see [`crate::query_depth`]). `introspection: false` also switches
/// off field suggestions in error messages.
pub fn schema_builder(
    introspection: bool,
) -> async_graphql::SchemaBuilder<Query, Mutation, EmptySubscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_INTROSPECTION_DEPTH)
        .extension(crate::query_depth::DataDepthLimit)
        .limit_complexity(MAX_COMPLEXITY);
    if introspection {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    }
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder(true).finish().sdl()
}
