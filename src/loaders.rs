//! Every DataLoader of a request, registered in one place. Loaders are
//! built per request for that request's viewer: a cached value can never
//! leak to another viewer, and every relation field batches its reads.

use async_graphql::dataloader::{DataLoader, HashMapCache};

use crate::attachments::loaders::AttachmentsByTicketLoader;
use crate::invoices::loaders::{InvoiceLoader, LinesByInvoiceLoader, LiveLineByTicketLoader};

use crate::organisations::loaders::OrganisationLoader;
use crate::policy::Scope;
use crate::state::AppState;
use crate::tickets::loaders::{
    CommentWindowLoader, CommentsByTicketLoader, EventWindowLoader, EventsByTicketLoader,
    OrderByTicketLoader, TicketLoader,
};
use crate::users::loaders::{PersonLoader, UsersByOrganisationLoader};

/// A DataLoader of a request: cached as [`Caching`] says.
pub type RequestLoader<L> = DataLoader<L, HashMapCache>;

/// Whether a request's loaders keep what they loaded (and what joined
/// pages feed them) for the rest of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// A query: nothing changes while it runs, so a row read once (or fed
    /// by a joined page) is read once.
    Query,
    /// A mutation or a subscription: every load reads afresh, so that a
    /// field after a write, or on a later event, sees the write.
    Off,
}

/// Adds the viewer's loaders to a GraphQL request.
pub fn register(
    request: async_graphql::Request,
    app: &AppState,
    scope: Scope,
    caching: Caching,
) -> async_graphql::Request {
    // Every loader is `{ db, scope }`; the list is the only thing to keep.
    // Batches run on tasks of their own, counted with the request's
    // statements.
    macro_rules! with_loaders {
        ($request:expr, [$($loader:ident),* $(,)?]) => {
            $request$(.data({
                let loader = DataLoader::with_cache(
                    $loader { db: app.db.clone(), scope: scope.clone() },
                    crate::db::spawn_counted,
                    HashMapCache::default(),
                );
                loader.enable_all_cache(caching == Caching::Query);
                loader
            }))*
        };
    }
    with_loaders!(
        request,
        [
            OrganisationLoader,
            PersonLoader,
            UsersByOrganisationLoader,
            TicketLoader,
            OrderByTicketLoader,
            CommentsByTicketLoader,
            CommentWindowLoader,
            EventsByTicketLoader,
            EventWindowLoader,
            AttachmentsByTicketLoader,
            InvoiceLoader,
            LinesByInvoiceLoader,
            LiveLineByTicketLoader,
        ]
    )
}
