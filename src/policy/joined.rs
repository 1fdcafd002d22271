//! Joined selects: what a page shows next to its rows, read in the same
//! statement. A page of tickets with their organisation, creator and
//! order; the first or last few comments (events) of a page of tickets
//! with their authors (actors). They live here, next to the row rules,
//! because each join is an argument about visibility, made once:
//!
//! - the organisation of a visible ticket is the viewer's own (partners)
//!   or any (staff); the join repeats [`Scope::organisations`]'s rule;
//! - a ticket's creator is joined only from the viewer's own organisation
//!   (partners) or for staff: a creator from elsewhere (staff ordering on a
//!   partner's behalf) is left to [`Scope::users_by_name`], through the
//!   request's person loader;
//! - the order of a visible ticket is joined under the orders' own tenant
//!   condition;
//! - the author of a comment the viewer may read, the actor of an event it
//!   may see, is someone it may know by name (SPEC §3): those joins start
//!   from [`Scope::comments`] and [`Scope::ticket_events`], never from the
//!   users, so they cost what the comments shown cost, not what the
//!   organisation's history holds.
//!
//! Invariants:
//! - every joined row is one the matching select of [`Scope`] would hand
//!   out (a subset: a row left out here is loaded the ordinary way);
//! - a person leaves as [`NamedUser`]: id, name and role, never an email
//!   or a password hash;
//! - the joined columns go by names of their own (`pd_…`), so that the
//!   main row reads exactly as without the join.

use std::collections::HashMap;

use entity::enums::Role;
use entity::{comments, orders, organisations, ticket_events, tickets, user_profiles};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait as _, Func, IntoColumnRef, JoinType, Query, SelectStatement,
    WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iterable as _,
    Order, QueryResult, QuerySelect as _, QueryTrait as _,
};

use super::{Scope, Scoped};
use crate::error::{AppError, AppResult};

/// A user as someone who knows it by name sees it: what a comment's
/// author, an event's actor or a ticket's creator shows.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct NamedUser {
    pub id: i64,
    pub display_name: String,
    pub role: Role,
}

impl NamedUser {
    /// Provider staff (STAFF or ADMIN).
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    /// The person joined under `prefix`, if the row has one.
    fn joined(row: &QueryResult, prefix: &str) -> Result<Option<Self>, DbErr> {
        let Some(id) = row.try_get::<Option<i64>>("", &format!("{prefix}id"))? else {
            return Ok(None);
        };
        Ok(Some(Self {
            id,
            display_name: row.try_get("", &format!("{prefix}display_name"))?,
            role: row.try_get("", &format!("{prefix}role"))?,
        }))
    }
}

impl Scoped<user_profiles::Entity> {
    /// The users of this select as known by name.
    pub async fn names(self, db: &impl ConnectionTrait) -> Result<Vec<NamedUser>, DbErr> {
        self.into_select()
            .select_only()
            .columns([
                user_profiles::Column::Id,
                user_profiles::Column::DisplayName,
                user_profiles::Column::Role,
            ])
            .into_model::<NamedUser>()
            .all(db)
            .await
    }
}

/// Which rows to read with a page of tickets (what the document asks
/// for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicketRelations {
    pub organisation: bool,
    pub creator: bool,
    pub order: bool,
}

impl TicketRelations {
    pub fn any(&self) -> bool {
        self.organisation || self.creator || self.order
    }

    /// The relations either asks for.
    pub fn or(self, other: Self) -> Self {
        Self {
            organisation: self.organisation || other.organisation,
            creator: self.creator || other.creator,
            order: self.order || other.order,
        }
    }
}

/// What was read with one ticket of a page. `None` for a relation not
/// asked for, `Some(None)` for one asked for and absent (a ticket without
/// an order).
#[derive(Debug, Clone, Default)]
pub struct TicketJoined {
    pub organisation: Option<organisations::Model>,
    pub creator: Option<NamedUser>,
    pub order: Option<Option<orders::Model>>,
}

const ORGANISATION: &str = "pd_organisation";
const CREATOR: &str = "pd_creator";
const ORDER: &str = "pd_order";

impl TicketRelations {
    /// What [`Scoped::with_relations`] with these relations read with a
    /// ticket, from its result row.
    pub fn read(&self, row: &QueryResult) -> Result<TicketJoined, DbErr> {
        Ok(TicketJoined {
            organisation: if self.organisation {
                Option::<organisations::Model>::from_query_result(row, &format!("{ORGANISATION}_"))?
            } else {
                None
            },
            creator: if self.creator {
                NamedUser::joined(row, &format!("{CREATOR}_"))?
            } else {
                None
            },
            order: if self.order {
                Some(Option::<orders::Model>::from_query_result(
                    row,
                    &format!("{ORDER}_"),
                )?)
            } else {
                None
            },
        })
    }
}

/// Adds every column of `E`, read from the table joined as `table`, under
/// the name `{table}_{column}`.
fn select_columns_of<E: EntityTrait>(query: &mut SelectStatement, table: &str) {
    for column in E::Column::iter() {
        let name = sea_orm::IdenStatic::as_str(&column);
        query.expr_as(
            Expr::col((Alias::new(table), Alias::new(name))),
            Alias::new(format!("{table}_{name}")),
        );
    }
}

impl Scoped<tickets::Entity> {
    /// The same tickets, each read with the relations `with` names (see
    /// the module's rules), for [`crate::relay::paginate_joined`].
    pub fn with_relations(self, scope: &Scope, with: TicketRelations) -> Self {
        let viewer = scope.viewer();
        let mut select = self.into_select();
        let query = sea_orm::QueryTrait::query(&mut select);
        if with.organisation {
            let mut on = Condition::all().add(
                Expr::col((Alias::new(ORGANISATION), organisations::Column::Id))
                    .equals((tickets::Entity, tickets::Column::OrganisationId)),
            );
            if !viewer.is_staff() {
                on = on.add(
                    Expr::col((Alias::new(ORGANISATION), organisations::Column::Id))
                        .eq(viewer.organisation_id),
                );
            }
            query.join_as(
                JoinType::LeftJoin,
                organisations::Entity,
                Alias::new(ORGANISATION),
                on,
            );
            select_columns_of::<organisations::Entity>(query, ORGANISATION);
        }
        if with.creator {
            let mut on = Condition::all().add(
                Expr::col((Alias::new(CREATOR), user_profiles::Column::Id))
                    .equals((tickets::Entity, tickets::Column::CreatedById)),
            );
            if !viewer.is_staff() {
                on = on.add(
                    Expr::col((Alias::new(CREATOR), user_profiles::Column::OrganisationId))
                        .eq(viewer.organisation_id),
                );
            }
            query.join_as(
                JoinType::LeftJoin,
                user_profiles::Entity,
                Alias::new(CREATOR),
                on,
            );
            for column in [
                user_profiles::Column::Id,
                user_profiles::Column::DisplayName,
                user_profiles::Column::Role,
            ] {
                let name = sea_orm::IdenStatic::as_str(&column);
                query.expr_as(
                    Expr::col((Alias::new(CREATOR), column)),
                    Alias::new(format!("{CREATOR}_{name}")),
                );
            }
        }
        if with.order {
            let mut on = Condition::all()
                .add(
                    Expr::col((Alias::new(ORDER), orders::Column::TicketId))
                        .equals((tickets::Entity, tickets::Column::Id)),
                )
                .add(
                    Expr::col((Alias::new(ORDER), orders::Column::OrganisationId))
                        .equals((tickets::Entity, tickets::Column::OrganisationId)),
                );
            if !viewer.is_staff() {
                on = on.add(
                    Expr::col((Alias::new(ORDER), orders::Column::OrganisationId))
                        .eq(viewer.organisation_id),
                );
            }
            query.join_as(JoinType::LeftJoin, orders::Entity, Alias::new(ORDER), on);
            select_columns_of::<orders::Entity>(query, ORDER);
        }
        Scoped::new(select)
    }
}

/// Which end of a ticket's list, and how many: the first `n` (oldest) or
/// the last `n` (newest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub n: u64,
    pub from_end: bool,
}

/// The rows of one ticket's window, oldest first, with how many the whole
/// list holds and the person each row names.
#[derive(Debug, Clone)]
pub struct WindowRows<M> {
    pub rows: Vec<M>,
    pub total: u64,
    pub people: Vec<NamedUser>,
}

impl<M> Default for WindowRows<M> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            total: 0,
            people: Vec::new(),
        }
    }
}

const RANK: &str = "pd_rank";
const TOTAL: &str = "pd_total";
const PERSON: &str = "pd_person";
const WINDOW: &str = "pd_window";

/// The columns of a table hanging off tickets that a window reads.
struct ListColumns<C> {
    ticket_id: C,
    created_at: C,
    id: C,
    /// The user the row names (its author or actor).
    person: C,
}

/// `window` of each ticket of `ticket_ids` among `rows` (a scoped select
/// of a table hanging off tickets), each row with the user it names: one
/// statement, cut by `ROW_NUMBER()` in SQL.
async fn windows<E>(
    db: &impl ConnectionTrait,
    rows: Scoped<E>,
    columns: ListColumns<E::Column>,
    ticket_ids: &[i64],
    window: Window,
) -> Result<HashMap<i64, WindowRows<E::Model>>, DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    let ListColumns {
        ticket_id,
        created_at,
        id,
        person,
    } = columns;
    let order = if window.from_end {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut inner = rows
        .filter(ticket_id.is_in(ticket_ids.iter().copied()))
        .into_select()
        .into_query();
    inner
        .expr_window_as(
            Func::cust("ROW_NUMBER"),
            WindowStatement::partition_by(ticket_id.into_column_ref())
                .order_by(created_at, order.clone())
                .order_by(id, order)
                .to_owned(),
            Alias::new(RANK),
        )
        .expr_window_as(
            Expr::cust("COUNT(*)"),
            WindowStatement::partition_by(ticket_id.into_column_ref()),
            Alias::new(TOTAL),
        );
    let w = Alias::new(WINDOW);
    let mut outer = Query::select();
    outer
        .column((w.clone(), Asterisk))
        .from_subquery(inner, w.clone())
        .join_as(
            JoinType::LeftJoin,
            user_profiles::Entity,
            Alias::new(PERSON),
            Expr::col((Alias::new(PERSON), user_profiles::Column::Id)).equals((w.clone(), person)),
        )
        .and_where(Expr::col((w.clone(), Alias::new(RANK))).lte(window.n as i64))
        .order_by((w.clone(), ticket_id), Order::Asc)
        .order_by((w.clone(), created_at), Order::Asc)
        .order_by((w, id), Order::Asc);
    for column in [
        user_profiles::Column::Id,
        user_profiles::Column::DisplayName,
        user_profiles::Column::Role,
    ] {
        let name = sea_orm::IdenStatic::as_str(&column);
        outer.expr_as(
            Expr::col((Alias::new(PERSON), column)),
            Alias::new(format!("{PERSON}_{name}")),
        );
    }
    let statement = db.get_database_backend().build(&outer);
    let mut found: HashMap<i64, WindowRows<E::Model>> = ticket_ids
        .iter()
        .map(|&ticket| (ticket, WindowRows::default()))
        .collect();
    for row in db.query_all_raw(statement).await? {
        let model = E::Model::from_query_result(&row, "")?;
        let ticket: i64 = row.try_get("", sea_orm::IdenStatic::as_str(&ticket_id))?;
        let total: i64 = row.try_get("", TOTAL)?;
        let entry = found.entry(ticket).or_default();
        entry.total = u64::try_from(total).unwrap_or(0);
        entry.rows.push(model);
        if let Some(named) = NamedUser::joined(&row, &format!("{PERSON}_"))? {
            entry.people.push(named);
        }
    }
    Ok(found)
}

impl Scope {
    /// [`Scope::ticket_by_reference`], read with `with`.
    pub async fn ticket_by_reference_with(
        &self,
        db: &impl ConnectionTrait,
        reference: &str,
        with: TicketRelations,
    ) -> AppResult<(tickets::Model, TicketJoined)> {
        self.tickets()
            .filter(tickets::Column::Reference.eq(reference))
            .limit(1)
            .with_relations(self, with)
            .all_reading(db, |row| with.read(row))
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("ticket"))
    }

    /// `window` of the comments the viewer may read on each of
    /// `ticket_ids`, with their authors.
    pub async fn comment_windows(
        &self,
        db: &impl ConnectionTrait,
        ticket_ids: &[i64],
        window: Window,
    ) -> Result<HashMap<i64, WindowRows<comments::Model>>, DbErr> {
        windows(
            db,
            self.comments(),
            ListColumns {
                ticket_id: comments::Column::TicketId,
                created_at: comments::Column::CreatedAt,
                id: comments::Column::Id,
                person: comments::Column::AuthorId,
            },
            ticket_ids,
            window,
        )
        .await
    }

    /// `window` of the history of each of `ticket_ids`, with the actors.
    pub async fn event_windows(
        &self,
        db: &impl ConnectionTrait,
        ticket_ids: &[i64],
        window: Window,
    ) -> Result<HashMap<i64, WindowRows<ticket_events::Model>>, DbErr> {
        windows(
            db,
            self.ticket_events(),
            ListColumns {
                ticket_id: ticket_events::Column::TicketId,
                created_at: ticket_events::Column::CreatedAt,
                id: ticket_events::Column::Id,
                person: ticket_events::Column::ActorId,
            },
            ticket_ids,
            window,
        )
        .await
    }
}
