//! Per-request loader of a ticket's attachments, through the viewer's
//! scope: one statement for every ticket on a page.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::attachments;
use sea_orm::{ColumnTrait, DatabaseConnection};

use crate::error::AppError;
use crate::policy::Scope;

/// Attachments by ticket id, oldest first. A ticket outside the scope, or
/// with no files, maps to no entry.
pub struct AttachmentsByTicketLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for AttachmentsByTicketLoader {
    type Value = Vec<attachments::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .attachments()
            .filter(attachments::Column::TicketId.is_in(keys.iter().copied()))
            .order_by_asc(attachments::Column::CreatedAt)
            .order_by_asc(attachments::Column::Id)
            .all(&self.db)
            .await?;
        let mut by_ticket: HashMap<i64, Self::Value> = HashMap::new();
        for row in rows {
            by_ticket.entry(row.ticket_id).or_default().push(row);
        }
        Ok(by_ticket)
    }
}
