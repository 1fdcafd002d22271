//! Every DataLoader of a request, registered in one place. Loaders are
//! built per request for that request's viewer: a cached value can never
//! leak to another viewer, and every relation field batches its reads.

use async_graphql::dataloader::DataLoader;

use crate::attachments::loaders::AttachmentsByTicketLoader;
use crate::invoices::loaders::{InvoiceLoader, LinesByInvoiceLoader, LiveLineByTicketLoader};

use crate::organisations::loaders::OrganisationLoader;
use crate::policy::Scope;
use crate::state::AppState;
use crate::tickets::loaders::{
    CommentsByTicketLoader, EventsByTicketLoader, OrderByTicketLoader, TicketLoader,
};
use crate::users::loaders::{PersonLoader, UsersByOrganisationLoader};

/// Adds the viewer's loaders to a GraphQL request.
pub fn register(
    request: async_graphql::Request,
    app: &AppState,
    scope: Scope,
) -> async_graphql::Request {
    // Every loader is `{ db, scope }`; the list is the only thing to keep.
    // Batches run on tasks of their own, counted with the request's
    // statements.
    macro_rules! with_loaders {
        ($request:expr, [$($loader:ident),* $(,)?]) => {
            $request$(.data(DataLoader::new(
                $loader { db: app.db.clone(), scope: scope.clone() },
                crate::db::spawn_counted,
            )))*
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
            EventsByTicketLoader,
            AttachmentsByTicketLoader,
            InvoiceLoader,
            LinesByInvoiceLoader,
            LiveLineByTicketLoader,
        ]
    )
}
