//! `login_attempts`: one row per login attempt, read by the login throttle so
//! that all server instances share the counts. `email` is what was typed,
//! lower-cased, and need not belong to a user, so it has no foreign key and
//! no `organisation_id`: an attempt belongs to no tenant.

use sea_orm::entity::prelude::*;

/// A login attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The email as typed, lower-cased.
    pub email: String,
    /// Client address (IP) the attempt came from.
    pub client_addr: String,
    /// Whether the password was right.
    pub succeeded: bool,
    /// True while the password is being checked; a pending attempt older
    /// than the throttle's settling time counts as a failure.
    pub pending: bool,
    /// When the attempt was made.
    pub attempted_at: DateTimeUtc,
}

/// A login attempt is related to nothing.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
