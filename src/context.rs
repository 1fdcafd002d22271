//! What a resolver knows about its request, and how it gets at it without
//! `unwrap`: the application state, the viewer's [`Scope`] (UNAUTHENTICATED
//! when there is none), and the per-request loaders.
//!
//! `http` puts a [`RequestContext`] into every GraphQL request; domains read
//! it through [`ContextExt`]. It lives apart from `graphql.rs`, which merges
//! the domains' roots, so that no domain depends on the file that depends on
//! every domain.

use async_graphql::Context;

use crate::error::{AppError, AppResult};
use crate::policy::Scope;
use crate::state::AppState;

/// What a resolver knows about its request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub state: AppState,
    /// `None` for an anonymous request.
    pub scope: Option<Scope>,
    /// The client's address, for login throttling.
    pub client_addr: String,
    /// The request's language: the viewer's, or `Accept-Language`'s when
    /// anonymous (see [`crate::i18n::request_locale`]).
    pub locale: entity::enums::Locale,
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

    /// The request's DataLoader of `L` (see [`crate::loaders::register`]).
    fn loader<L: Send + Sync + 'static>(&self) -> AppResult<&crate::loaders::RequestLoader<L>>;
}

impl ContextExt for Context<'_> {
    fn request(&self) -> AppResult<&RequestContext> {
        self.data::<RequestContext>().map_err(|e| {
            AppError::internal(anyhow::anyhow!("request context missing: {}", e.message))
        })
    }

    fn loader<L: Send + Sync + 'static>(&self) -> AppResult<&crate::loaders::RequestLoader<L>> {
        self.data::<crate::loaders::RequestLoader<L>>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("loader missing: {}", e.message)))
    }
}
