//! Adds the view `user_profiles`: every column of `users` but the password
//! hash, plus `invitation_pending` (no password chosen yet). The
//! application reads users through it everywhere but authentication
//! (logging in, setting a password, creating a user), so that no statement
//! of a list, a loader or a lookup selects the hash, by construction.
//!
//! It is a plain projection of one table: both PostgreSQL and SQLite
//! flatten it into the statement that reads it, so a lookup by id or by
//! organisation uses the indexes of `users` as before. A later migration
//! that changes a column of `users` the view shows (or rebuilds the table,
//! on SQLite) drops the view first and creates it again after.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same text on both backends: `IS NULL` is a boolean on PostgreSQL,
/// 0 or 1 on SQLite, and both read as a `bool`.
const CREATE: &str = "CREATE VIEW user_profiles AS \
     SELECT id, organisation_id, email, display_name, role, locale, is_active, \
            token_version, staff_notifications, last_login_at, created_at, updated_at, \
            password_hash IS NULL AS invitation_pending \
     FROM users";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(CREATE).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP VIEW user_profiles")
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
