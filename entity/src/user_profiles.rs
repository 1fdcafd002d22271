//! `user_profiles`: a read-only view of `users` without the password hash,
//! with `invitation_pending` in its place. Every read of users outside
//! authentication goes through it, so that no such statement can select
//! the hash. Rows are written through [`super::users`].

use sea_orm::entity::prelude::*;

use crate::enums::{Locale, Role};

/// A user as everyone but authentication sees it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_profiles")]
pub struct Model {
    /// The user's id (`users.id`).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organisation the user belongs to.
    pub organisation_id: i64,
    /// Login, lower-cased, unique.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// Language of the user's emails.
    pub locale: Locale,
    /// An inactive user cannot log in.
    pub is_active: bool,
    /// Bumped to revoke every token issued to the user.
    pub token_version: i32,
    /// Whether this STAFF or ADMIN user gets an email when a partner
    /// orders, comments, reports a delivery issue or sends feedback.
    pub staff_notifications: bool,
    /// Last successful login.
    pub last_login_at: Option<DateTimeUtc>,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row was last changed.
    pub updated_at: DateTimeUtc,
    /// True while the user has no password (an invitation not yet taken
    /// up): `users.password_hash IS NULL`.
    pub invitation_pending: bool,
}

/// The view points nowhere: relations are followed from [`super::users`].
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<super::users::Model> for Model {
    /// The profile of a row just written through `users` (its hash dropped).
    fn from(user: super::users::Model) -> Self {
        Self {
            id: user.id,
            organisation_id: user.organisation_id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            locale: user.locale,
            is_active: user.is_active,
            token_version: user.token_version,
            staff_notifications: user.staff_notifications,
            last_login_at: user.last_login_at,
            created_at: user.created_at,
            updated_at: user.updated_at,
            invitation_pending: user.password_hash.is_none(),
        }
    }
}
