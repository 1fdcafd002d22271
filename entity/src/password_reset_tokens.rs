//! `password_reset_tokens`: single-use links that set a password, to reset
//! it or to accept an invitation. Only the token's SHA-256 is stored.

use sea_orm::entity::prelude::*;

use crate::enums::ResetPurpose;

/// A password reset or invitation token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_reset_tokens")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The user's organisation.
    pub organisation_id: i64,
    /// The user whose password the token sets.
    pub user_id: i64,
    /// SHA-256 of the token, lower-case hex; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Reset or invitation.
    pub purpose: ResetPurpose,
    /// When the token was issued.
    pub created_at: DateTimeUtc,
    /// After this the token is refused.
    pub expires_at: DateTimeUtc,
    /// When the token was used; a used token is refused.
    pub used_at: Option<DateTimeUtc>,
}

/// The token's organisation and user.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The user's organisation.
    #[sea_orm(
        belongs_to = "super::organisations::Entity",
        from = "Column::OrganisationId",
        to = "super::organisations::Column::Id",
        on_delete = "NoAction"
    )]
    Organisation,
    /// The user; tokens are deleted with their user.
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::organisations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
