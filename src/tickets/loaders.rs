//! Per-request loaders of tickets and what hangs off them, all through the
//! viewer's scope: a list of tickets with their orders, comments and events
//! costs one statement per relation, whatever the page size.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{comments, orders, ticket_events, tickets};
use sea_orm::{ColumnTrait, DatabaseConnection};

use crate::error::AppError;
use crate::policy::{Scope, Window, WindowRows};

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

/// The order of each ticket, by ticket id: `None` for a ticket without
/// one (or out of scope), so that the answer is known, and cached, for
/// every ticket asked about (a joined page feeds it both).
pub struct OrderByTicketLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<i64> for OrderByTicketLoader {
    type Value = Option<orders::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .scope
            .orders()
            .filter(orders::Column::TicketId.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        let mut found: HashMap<i64, Self::Value> = keys.iter().map(|&key| (key, None)).collect();
        for row in rows {
            found.insert(row.ticket_id, Some(row));
        }
        Ok(found)
    }
}

/// The first or last few comments the viewer may read on each ticket,
/// with how many there are and their authors, by (ticket id, window):
/// one statement for a page of tickets, cut in SQL, however long their
/// history.
pub struct CommentWindowLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<(i64, Window)> for CommentWindowLoader {
    type Value = WindowRows<comments::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(i64, Window)],
    ) -> Result<HashMap<(i64, Window), Self::Value>, Self::Error> {
        let mut found = HashMap::new();
        for (window, tickets) in by_window(keys) {
            let rows = self
                .scope
                .comment_windows(&self.db, &tickets, window)
                .await?;
            found.extend(
                rows.into_iter()
                    .map(|(ticket, rows)| ((ticket, window), rows)),
            );
        }
        Ok(found)
    }
}

/// The first or last few entries of each ticket's history, with how many
/// there are and their actors, by (ticket id, window).
pub struct EventWindowLoader {
    pub db: DatabaseConnection,
    pub scope: Scope,
}

impl Loader<(i64, Window)> for EventWindowLoader {
    type Value = WindowRows<ticket_events::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(i64, Window)],
    ) -> Result<HashMap<(i64, Window), Self::Value>, Self::Error> {
        let mut found = HashMap::new();
        for (window, tickets) in by_window(keys) {
            let rows = self.scope.event_windows(&self.db, &tickets, window).await?;
            found.extend(
                rows.into_iter()
                    .map(|(ticket, rows)| ((ticket, window), rows)),
            );
        }
        Ok(found)
    }
}

/// The tickets asked about, by window: one statement per distinct window
/// (a page's documents ask for one).
fn by_window(keys: &[(i64, Window)]) -> HashMap<Window, Vec<i64>> {
    let mut grouped: HashMap<Window, Vec<i64>> = HashMap::new();
    for &(ticket, window) in keys {
        grouped.entry(window).or_default().push(ticket);
    }
    grouped
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
