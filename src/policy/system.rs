//! Reads that happen before a viewer exists, and so bypass [`super::Scope`]:
//! authenticating a token, logging in, resetting a password. Each function
//! here returns only what its caller's step needs, and nothing here is
//! reachable from a GraphQL read.

use entity::{organisations, users};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::Viewer;

/// The user named by a token's `sub`, with its organisation's visibility
/// setting, for the per-request viewer check. `None` if it no longer exists.
pub async fn user_for_token(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<(users::Model, Viewer)>, DbErr> {
    let found = users::Entity::find_by_id(user_id)
        .find_also_related(organisations::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(user, organisation)| {
        organisation.map(|organisation| {
            let viewer = Viewer {
                user_id: user.id,
                organisation_id: user.organisation_id,
                role: user.role,
                ticket_visibility: organisation.ticket_visibility,
            };
            (user, viewer)
        })
    }))
}

/// The account with this (already lower-cased) login email, for login and
/// password reset.
pub async fn user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await
}

/// An organisation by exact name, for the `create-user` command.
pub async fn organisation_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<organisations::Model>, DbErr> {
    organisations::Entity::find()
        .filter(organisations::Column::Name.eq(name))
        .one(db)
        .await
}

/// The recipient of an email about a ticket (its creator, or the author of
/// a reply): read by the notification code, never returned to a client.
pub async fn notification_recipient(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(user_id).one(db).await
}

/// How many attachments, of any organisation, use the stored blob `key`:
/// whether *anyone* still needs the bytes decides if a failed upload may
/// delete them. Only a count leaves this function, never a row.
pub async fn blob_reference_count(db: &impl ConnectionTrait, key: &str) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait as _;
    entity::attachments::Entity::find()
        .filter(entity::attachments::Column::StorageKey.eq(key))
        .count(db)
        .await
}
