//! The application state shared by every request: the pool, the checked
//! configuration, the token keys, the password hasher and the clock. Nothing
//! here holds per-user data, so several instances can serve one database.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::attachments::storage::Storage;
use crate::auth::password::PasswordHasher;
use crate::auth::token::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::StatementCounter;
use crate::mail::seal::BodyKey;
use crate::query_limits::ValidationCounter;

/// Shared state; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where `reports` read: the pool of `REPORTS_DATABASE_URL` (a read
    /// replica), or the primary pool itself when that is unset. Its
    /// statements are counted with the primary's.
    pub reports_db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: TokenKeys,
    pub hasher: PasswordHasher,
    pub clock: Arc<dyn Clock>,
    pub statements: StatementCounter,
    /// Counts the GraphQL requests that reached the library's validation.
    pub validations: ValidationCounter,
    /// Where attachment bytes are kept.
    pub storage: Arc<dyn Storage>,
    /// Live events: published after commits, read by subscriptions.
    pub live: crate::live::Broker,
    /// Seals and opens the outbox bodies that carry a token.
    pub body_key: BodyKey,
}
