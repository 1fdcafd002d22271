//! Who sees what (SPEC §3), in one place.
//!
//! Every read of tenant data starts from a [`Scope`]: it hands out SeaORM
//! `Select`s that already carry the viewer's condition, for every entity.
//! Resolvers, DataLoaders, reports and download handlers call these and never
//! build a visibility filter of their own. The few reads that must happen
//! before there is a viewer (token check, login, password reset) live in
//! [`system`], whose name says that they bypass the rules.
//!
//! Invariants:
//! - out of scope means absent: a lookup through a scoped select of an object
//!   outside the scope finds nothing, exactly as for an id that never existed;
//! - INTERNAL comments never reach a partner through any select here;
//! - a PARTNER_MEMBER of a CREATOR_ONLY organisation sees only the tickets it
//!   created, and everything hanging off them.

pub mod system;

use entity::enums::{CommentVisibility, Role, TicketVisibility};
use entity::{
    attachments, comments, feedback, invoice_lines, invoices, orders, organisations, ticket_events,
    tickets, users,
};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    Select,
};

use crate::error::{AppError, AppResult};

/// The authenticated user a request acts for, loaded fresh on each request
/// (so that a change of role or of the organisation's visibility applies to
/// the very next request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i64,
    pub organisation_id: i64,
    pub role: Role,
    /// The viewer organisation's `ticket_visibility` at request time.
    pub ticket_visibility: TicketVisibility,
}

impl Viewer {
    /// Provider staff (STAFF or ADMIN): sees everything.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// PARTNER_MANAGER: the organisation's tickets, invoices and users.
    pub fn is_partner_manager(&self) -> bool {
        self.role == Role::PartnerManager
    }

    /// A partner member who sees only the tickets it created.
    fn sees_own_tickets_only(&self) -> bool {
        self.role == Role::PartnerMember && self.ticket_visibility == TicketVisibility::CreatorOnly
    }
}

/// The viewer's window on the data. Cheap to clone; one per request.
#[derive(Debug, Clone)]
pub struct Scope {
    viewer: Viewer,
}

impl Scope {
    pub fn new(viewer: Viewer) -> Self {
        Self { viewer }
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// Organisations: partners their own, staff all.
    pub fn organisations(&self) -> Select<organisations::Entity> {
        let select = organisations::Entity::find();
        if self.viewer.is_staff() {
            select
        } else {
            select.filter(organisations::Column::Id.eq(self.viewer.organisation_id))
        }
    }

    /// Users with every field: staff all; partners their own organisation
    /// (details beyond the name are a field rule, see [`Scope::may_read_details`]).
    pub fn users(&self) -> Select<users::Entity> {
        let select = users::Entity::find();
        if self.viewer.is_staff() {
            select
        } else {
            select.filter(users::Column::OrganisationId.eq(self.viewer.organisation_id))
        }
    }

    /// Users a viewer may know by name: those of [`Scope::users`], plus the
    /// authors and actors of the comments and events the viewer may see
    /// (that is how a partner meets a staff member).
    pub fn users_by_name(&self) -> Select<users::Entity> {
        if self.viewer.is_staff() {
            return users::Entity::find();
        }
        let authors = self
            .comments()
            .select_only()
            .column(comments::Column::AuthorId)
            .into_query();
        let actors = self
            .ticket_events()
            .select_only()
            .column(ticket_events::Column::ActorId)
            .filter(ticket_events::Column::ActorId.is_not_null())
            .into_query();
        users::Entity::find().filter(
            Condition::any()
                .add(users::Column::OrganisationId.eq(self.viewer.organisation_id))
                .add(users::Column::Id.in_subquery(authors))
                .add(users::Column::Id.in_subquery(actors)),
        )
    }

    /// Field rule: may the viewer read more of this user than its name
    /// (email, role, language, activity)? A PARTNER_MEMBER knows its
    /// colleagues by name only; managers read their organisation's users
    /// whole, staff everyone, and everyone themselves.
    pub fn may_read_details(&self, user: &users::Model) -> bool {
        self.viewer.is_staff()
            || user.id == self.viewer.user_id
            || (self.viewer.is_partner_manager()
                && user.organisation_id == self.viewer.organisation_id)
    }

    /// Tickets: staff all; managers and members of ORGANISATION-visibility
    /// organisations the organisation's; other members their own.
    pub fn tickets(&self) -> Select<tickets::Entity> {
        tickets::Entity::find().filter(self.ticket_condition())
    }

    fn ticket_condition(&self) -> Condition {
        let mut condition = Condition::all();
        if !self.viewer.is_staff() {
            condition =
                condition.add(tickets::Column::OrganisationId.eq(self.viewer.organisation_id));
            if self.viewer.sees_own_tickets_only() {
                condition = condition.add(tickets::Column::CreatedById.eq(self.viewer.user_id));
            }
        }
        condition
    }

    /// `column IN (ids of visible tickets)`, for the tables hanging off a
    /// ticket. Always paired with the table's own `organisation_id` check so
    /// that the filter stays one indexed predicate.
    fn on_visible_tickets(&self, ticket_id: impl ColumnTrait) -> Option<SimpleExpr> {
        if !self.viewer.sees_own_tickets_only() {
            return None;
        }
        let visible = Query::select()
            .column(tickets::Column::Id)
            .from(tickets::Entity)
            .cond_where(self.ticket_condition())
            .to_owned();
        Some(ticket_id.in_subquery(visible))
    }

    fn tenant_condition(
        &self,
        organisation_id: impl ColumnTrait,
        ticket_id: impl ColumnTrait,
    ) -> Condition {
        let mut condition = Condition::all();
        if self.viewer.is_staff() {
            return condition;
        }
        condition = condition.add(organisation_id.eq(self.viewer.organisation_id));
        if let Some(on_tickets) = self.on_visible_tickets(ticket_id) {
            condition = condition.add(on_tickets);
        }
        condition
    }

    /// Orders of visible tickets.
    pub fn orders(&self) -> Select<orders::Entity> {
        orders::Entity::find()
            .filter(self.tenant_condition(orders::Column::OrganisationId, orders::Column::TicketId))
    }

    /// Status history of visible tickets.
    pub fn ticket_events(&self) -> Select<ticket_events::Entity> {
        ticket_events::Entity::find().filter(self.tenant_condition(
            ticket_events::Column::OrganisationId,
            ticket_events::Column::TicketId,
        ))
    }

    /// Comments of visible tickets; PUBLIC ones only for partners.
    pub fn comments(&self) -> Select<comments::Entity> {
        let mut condition =
            self.tenant_condition(comments::Column::OrganisationId, comments::Column::TicketId);
        if !self.viewer.is_staff() {
            condition = condition.add(comments::Column::Visibility.eq(CommentVisibility::Public));
        }
        comments::Entity::find().filter(condition)
    }

    /// Attachments of visible tickets.
    pub fn attachments(&self) -> Select<attachments::Entity> {
        attachments::Entity::find().filter(self.tenant_condition(
            attachments::Column::OrganisationId,
            attachments::Column::TicketId,
        ))
    }

    /// Invoices: staff all, managers their organisation's, members none.
    pub fn invoices(&self) -> Select<invoices::Entity> {
        invoices::Entity::find().filter(self.invoice_condition(invoices::Column::OrganisationId))
    }

    /// Invoice lines, as their invoices.
    pub fn invoice_lines(&self) -> Select<invoice_lines::Entity> {
        invoice_lines::Entity::find()
            .filter(self.invoice_condition(invoice_lines::Column::OrganisationId))
    }

    fn invoice_condition(&self, organisation_id: impl ColumnTrait) -> Condition {
        match self.viewer.role {
            Role::Staff | Role::Admin => Condition::all(),
            Role::PartnerManager => {
                Condition::all().add(organisation_id.eq(self.viewer.organisation_id))
            }
            Role::PartnerMember => Condition::all().add(Expr::val(false)),
        }
    }

    /// Feedback: staff all, managers their organisation's, members their own.
    pub fn feedback(&self) -> Select<feedback::Entity> {
        let select = feedback::Entity::find();
        match self.viewer.role {
            Role::Staff | Role::Admin => select,
            Role::PartnerManager => {
                select.filter(feedback::Column::OrganisationId.eq(self.viewer.organisation_id))
            }
            Role::PartnerMember => select
                .filter(feedback::Column::OrganisationId.eq(self.viewer.organisation_id))
                .filter(feedback::Column::AuthorId.eq(self.viewer.user_id)),
        }
    }

    /// One ticket the viewer may see, by id; NOT_FOUND otherwise, the same
    /// for an id outside the scope and for one that does not exist.
    pub async fn ticket(&self, db: &impl ConnectionTrait, id: i64) -> AppResult<tickets::Model> {
        self.tickets()
            .filter(tickets::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(AppError::NotFound("ticket"))
    }

    /// One organisation the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn organisation(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<organisations::Model> {
        self.organisations()
            .filter(organisations::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(AppError::NotFound("organisation"))
    }

    /// One user the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn user(&self, db: &impl ConnectionTrait, id: i64) -> AppResult<users::Model> {
        self.users()
            .filter(users::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(AppError::NotFound("user"))
    }
}
