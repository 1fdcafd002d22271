//! Per-request loaders of users, through the viewer's scope: people by id
//! (the viewer's own colleagues, plus the authors and actors of the
//! comments and events it may see; SPEC §3: staff are known to partners by
//! name only), and the users of each organisation.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::user_profiles;
use sea_orm::{ColumnTrait, DatabaseConnection};

use crate::error::AppError;
use crate::policy::{NamedUser, Scope};

/// Loads users a viewer may know by name, as known by name (id, name,
/// role); others are simply absent. The joined pages of the policy module
/// feed it the authors, actors and creators they read.
pub struct PersonLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for PersonLoader {
    type Value = NamedUser;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .users_by_name()
            .filter(user_profiles::Column::Id.is_in(keys.iter().copied()))
            .names(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// The users of each organisation the viewer may see, by display name, by
/// organisation id: `organisations { users }` costs one statement for a
/// whole page of organisations.
pub struct UsersByOrganisationLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for UsersByOrganisationLoader {
    type Value = Vec<user_profiles::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .users()
            .filter(user_profiles::Column::OrganisationId.is_in(keys.iter().copied()))
            .order_by_asc(user_profiles::Column::DisplayName)
            .order_by_asc(user_profiles::Column::Id)
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for row in rows {
            grouped.entry(row.organisation_id).or_default().push(row);
        }
        Ok(grouped)
    }
}
