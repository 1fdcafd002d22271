//! Per-request loaders of tickets and what hangs off them, all through the
//! viewer's scope: a list of tickets with their orders, comments and events
//! costs one statement per relation, whatever the page size.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{comments, orders, ticket_events, tickets};
use sea_orm::{ColumnTrait, DatabaseConnection};

use crate::error::AppError;
use crate::policy::Scope;

/// Tickets by id.
pub struct TicketLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for TicketLoader {
    type Value = tickets::Model;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .tickets()
            .filter(tickets::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// The order of each ticket, by ticket id.
pub struct OrderByTicketLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for OrderByTicketLoader {
    type Value = orders::Model;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .orders()
            .filter(orders::Column::TicketId.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.ticket_id, row)).collect())
    }
}

/// The visible comments of each ticket, oldest first, by ticket id.
pub struct CommentsByTicketLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for CommentsByTicketLoader {
    type Value = Vec<comments::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .comments()
            .filter(comments::Column::TicketId.is_in(keys.iter().copied()))
            .order_by_asc(comments::Column::CreatedAt)
            .order_by_asc(comments::Column::Id)
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<comments::Model>> = HashMap::new();
        for row in rows {
            grouped.entry(row.ticket_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// The history of each ticket, oldest first, by ticket id.
pub struct EventsByTicketLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for EventsByTicketLoader {
    type Value = Vec<ticket_events::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .ticket_events()
            .filter(ticket_events::Column::TicketId.is_in(keys.iter().copied()))
            .order_by_asc(ticket_events::Column::CreatedAt)
            .order_by_asc(ticket_events::Column::Id)
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<ticket_events::Model>> = HashMap::new();
        for row in rows {
            grouped.entry(row.ticket_id).or_default().push(row);
        }
        Ok(grouped)
    }
}
