//! Every DataLoader of a request, registered in one place. Loaders are
//! built per request for that request's viewer: a cached value can never
//! leak to another viewer, and every relation field batches its reads.

use async_graphql::dataloader::DataLoader;

use crate::organisations::loaders::OrganisationLoader;
use crate::policy::Scope;
use crate::state::AppState;
use crate::users::loaders::PersonLoader;

/// Adds the viewer's loaders to a GraphQL request.
pub fn register(
    request: async_graphql::Request,
    app: &AppState,
    scope: Scope,
) -> async_graphql::Request {
    let db = app.db.clone();
    request
        .data(DataLoader::new(
            OrganisationLoader {
                db: db.clone(),
                scope: scope.clone(),
            },
            tokio::spawn,
        ))
        .data(DataLoader::new(PersonLoader { db, scope }, tokio::spawn))
}
