//! The GraphQL schema: the domain roots merged in one place, with the
//! limits of SPEC §4. The server and `export-schema` both build it here, so
//! `schema.graphql` is exactly what is served.

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder, Upload};
use chrono::{DateTime, NaiveDate, Utc};

use crate::attachments::types::Attachment;
use crate::feedback::graphql::Feedback;
use crate::invoices::types::{Invoice, InvoiceLine};
use crate::mail::graphql::Email;
use crate::organisations::types::Organisation;
use crate::relay::Page;
use crate::tickets::types::{Comment, Ticket, TicketEvent};
use crate::users::types::User;
use crate::{
    attachments, auth, feedback, invoices, live, mail, node, organisations, reports, tickets, users,
};

use crate::query_limits::QueryLimitsExtension;
pub use crate::query_limits::{MAX_COMPLEXITY, MAX_DEPTH, MAX_INTROSPECTION_DEPTH};

/// Every read.
#[derive(MergedObject, Default)]
pub struct Query(
    users::graphql::UsersQuery,
    organisations::graphql::OrganisationsQuery,
    tickets::graphql::TicketsQuery,
    feedback::graphql::FeedbackQuery,
    invoices::graphql::InvoicesQuery,
    reports::graphql::ReportsQuery,
    mail::graphql::MailQuery,
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

/// Every live update (over WebSocket, at `/graphql/ws`).
#[derive(MergedSubscription, Default)]
pub struct Subscription(live::graphql::LiveSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with the default query limits; see [`schema_builder_with`].
pub fn schema_builder(introspection: bool) -> SchemaBuilder<Query, Mutation, Subscription> {
    schema_builder_with(introspection, QueryLimitsExtension::default())
}

/// The schema with its limits: the document checks of
/// [`crate::query_limits`] (size, tokens, fragments, aliases, root fields,
/// [`MAX_DEPTH`] on data fields) before anything else; depth
/// [`MAX_INTROSPECTION_DEPTH`] and complexity on every query.
/// `introspection: false` also switches off field suggestions in error
/// messages.
pub fn schema_builder_with(
    introspection: bool,
    limits: QueryLimitsExtension,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    );
    let builder = describe_library_types(builder)
        .limit_depth(MAX_INTROSPECTION_DEPTH)
        .extension(limits)
        .limit_complexity(MAX_COMPLEXITY);
    if introspection {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    }
}

/// Descriptions of the types the library makes: the scalars, and one
/// connection type per paged list (`TicketConnection`, …), which take no
/// doc comment of ours. A new paged list adds its line here; the schema
/// test names any connection left without one.
fn describe_library_types(
    builder: SchemaBuilder<Query, Mutation, Subscription>,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    macro_rules! page {
        ($of:literal) => {
            concat!(
                "One page of ",
                $of,
                ". Each edge holds an item and its cursor (`nodes` lists the items \
                 alone); `pageInfo` tells whether more pages follow and gives the \
                 cursors to fetch them; `totalCount` counts the items of every page."
            )
        };
    }
    builder
        .override_output_type_description::<DateTime<Utc>>(
            "A point in time, as an RFC 3339 string with its offset: \
             `2026-03-01T09:30:00+01:00` or `2026-03-01T08:30:00Z` in input; \
             answers are in UTC (`2026-03-01T08:30:00+00:00`).",
        )
        .override_output_type_description::<NaiveDate>(
            "A calendar date without a time, `YYYY-MM-DD` (`2026-03-31`).",
        )
        .override_input_type_description::<Upload>(
            "A file sent as a part of a GraphQL multipart request: the variable is \
             null in `operations`, and `map` names the file part that fills it.",
        )
        .override_output_type_description::<Page<Attachment>>(page!("a ticket's files"))
        .override_output_type_description::<Page<Comment>>(page!("a ticket's comments"))
        .override_output_type_description::<Page<Email>>(page!("outbox emails"))
        .override_output_type_description::<Page<Feedback>>(page!("feedback messages"))
        .override_output_type_description::<Page<Invoice>>(page!("invoices"))
        .override_output_type_description::<Page<InvoiceLine>>(page!("an invoice's lines"))
        .override_output_type_description::<Page<Organisation>>(page!("organisations"))
        .override_output_type_description::<Page<Ticket>>(page!("tickets"))
        .override_output_type_description::<Page<TicketEvent>>(page!("a ticket's history"))
        .override_output_type_description::<Page<User>>(page!("users"))
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder(true).finish().sdl()
}
