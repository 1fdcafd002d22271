//! The GraphQL schema: the domain roots merged in one place, with the
//! limits of SPEC §4. The server and `export-schema` both build it here, so
//! `schema.graphql` is exactly what is served.

use async_graphql::{Context, EmptySubscription, MergedObject, Schema};

use crate::error::{AppError, AppResult};
use crate::policy::Scope;
use crate::state::AppState;
use crate::{attachments, auth, feedback, node, organisations, tickets, users};

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

/// What a resolver knows about its request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub state: AppState,
    /// `None` for an anonymous request.
    pub scope: Option<Scope>,
    /// The logged-in user, as loaded for this request.
    pub user: Option<entity::users::Model>,
    /// The client's address, for login throttling.
    pub client_addr: String,
}

/// Access to the request context without `unwrap`.
pub trait ContextExt {
    fn request(&self) -> AppResult<&RequestContext>;

    fn state(&self) -> AppResult<&AppState> {
        Ok(&self.request()?.state)
    }

    /// The viewer's scope; UNAUTHENTICATED for an anonymous request.
    fn scope(&self) -> AppResult<&Scope> {
        self.request()?
            .scope
            .as_ref()
            .ok_or(AppError::Unauthenticated)
    }

    /// A per-request DataLoader.
    fn loader<T: Send + Sync + 'static>(&self) -> AppResult<&T>;
}

impl ContextExt for Context<'_> {
    fn request(&self) -> AppResult<&RequestContext> {
        self.data::<RequestContext>().map_err(|e| {
            AppError::internal(anyhow::anyhow!("request context missing: {}", e.message))
        })
    }

    fn loader<T: Send + Sync + 'static>(&self) -> AppResult<&T> {
        self.data::<T>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("loader missing: {}", e.message)))
    }
}
