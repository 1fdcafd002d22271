//! The ticket's history: every change of a ticket writes a TicketEvent in
//! the change's transaction ("nothing is ever updated without an event").

use chrono::{DateTime, Utc};
use entity::enums::{Locale, TicketEventKind, TicketStatus};
use entity::{ticket_events, tickets};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _,
};

use crate::error::AppResult;
use crate::i18n::EventNote;

/// One entry of a ticket's history.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub kind: TicketEventKind,
    /// Who acted; `None` for the system.
    pub actor_id: Option<i64>,
    pub from: Option<TicketStatus>,
    pub to: Option<TicketStatus>,
    /// What a person wrote, or a text of the catalogue (stored as its
    /// template and worded in each reader's language).
    pub note: Option<&'a EventNote>,
}

/// Writes `event` for `ticket` on `db` (the change's transaction), and
/// moves the ticket's `updated_at` to the event's time: every change a
/// viewer can see in the history is a change of the ticket (never
/// backwards, for a history written out of order).
pub async fn record(
    db: &impl ConnectionTrait,
    ticket: &tickets::Model,
    event: NewEvent<'_>,
    now: DateTime<Utc>,
) -> AppResult<ticket_events::Model> {
    tickets::Entity::update_many()
        .col_expr(tickets::Column::UpdatedAt, Expr::value(now))
        .filter(tickets::Column::Id.eq(ticket.id))
        .filter(tickets::Column::UpdatedAt.lt(now))
        .exec(db)
        .await?;
    Ok(ticket_events::ActiveModel {
        organisation_id: Set(ticket.organisation_id),
        ticket_id: Set(ticket.id),
        actor_id: Set(event.actor_id),
        kind: Set(event.kind),
        from_status: Set(event.from),
        to_status: Set(event.to),
        // A catalogue note is also kept in English, for whoever reads
        // the table itself.
        note: Set(event.note.map(|note| note.render(Locale::En).into_owned())),
        note_template: Set(event.note.and_then(EventNote::template).map(|(t, _)| t)),
        note_param: Set(event
            .note
            .and_then(EventNote::template)
            .map(|(_, param)| param.to_owned())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}
