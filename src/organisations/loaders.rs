//! Per-request loader of organisations by id, through the viewer's scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::organisations;
use sea_orm::{ColumnTrait, DatabaseConnection};

use crate::error::AppError;
use crate::policy::Scope;

/// Loads organisations by id; ids outside the scope are simply absent.
pub struct OrganisationLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for OrganisationLoader {
    type Value = organisations::Model;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .organisations()
            .filter(organisations::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}
