//! Who sees what (SPEC §3), in one place.
//!
//! Every read of tenant data starts from a [`Scope`]: it hands out
//! [`Scoped`] selects that already carry the viewer's condition, for every
//! entity, and that can only get narrower. `relay::paginate`, every
//! DataLoader and every lookup take a `Scoped<E>`, never a bare SeaORM
//! `Select`, so a read that skips the scope does not compile. The
//! visible-or-NOT_FOUND lookups by id ([`Scope::ticket`], [`Scope::comment`],
//! …) and the field rules ([`Scope::may_read_details`],
//! [`Scope::may_read_billing`]) live here too, next to the row rules. The few
//! reads that must happen before there is a viewer (token check, login,
//! password reset) live in [`system`], whose name says that they bypass the
//! rules.
//!
//! Invariants:
//! - out of scope means absent: a lookup through a scoped select of an object
//!   outside the scope finds nothing, exactly as for an id that never existed;
//! - INTERNAL comments never reach a partner through any select here;
//! - a PARTNER_MEMBER of a CREATOR_ONLY organisation sees only the tickets it
//!   created, and everything hanging off them.

mod joined;
mod scoped;
pub mod system;

pub use joined::{NamedUser, TicketJoined, TicketRelations, Window, WindowRows};
pub use scoped::{Aggregate, Scoped, ScopedIds, ScopedRows};

use entity::enums::{CommentVisibility, Role, TicketVisibility};
use entity::{
    attachments, comments, email_outbox, feedback, invoice_lines, invoices, orders, organisations,
    ticket_events, tickets, user_profiles,
};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter};

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
    /// False for the scheduler's scope, which acts for no user.
    acts_for_user: bool,
}

impl Scope {
    pub fn new(viewer: Viewer) -> Self {
        Self {
            viewer,
            acts_for_user: true,
        }
    }

    /// The scope of the jobs a scheduler starts from the command line
    /// (`partnerdesk invoice --quarter`): the provider's view, acting for no
    /// user, so that what it records has the system as its actor. Never
    /// built from a request.
    pub fn scheduler() -> Self {
        Self {
            viewer: Viewer {
                user_id: 0,
                organisation_id: 0,
                role: Role::Staff,
                ticket_visibility: TicketVisibility::Organisation,
            },
            acts_for_user: false,
        }
    }

    /// The user a change is recorded for; `None` for the scheduler.
    pub fn acting_user(&self) -> Option<i64> {
        self.acts_for_user.then_some(self.viewer.user_id)
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// Organisations: partners their own, staff all.
    pub fn organisations(&self) -> Scoped<organisations::Entity> {
        let select = organisations::Entity::find();
        Scoped::new(if self.viewer.is_staff() {
            select
        } else {
            select.filter(organisations::Column::Id.eq(self.viewer.organisation_id))
        })
    }

    /// Field rule: may the viewer read an organisation's billing details
    /// (billing email and address, price agreement)? They follow invoice
    /// visibility: staff, and the organisation's own managers.
    pub fn may_read_billing(&self, organisation: &organisations::Model) -> bool {
        self.viewer.is_staff()
            || (self.viewer.is_partner_manager() && organisation.id == self.viewer.organisation_id)
    }

    /// Users with every field but the password hash (read through the
    /// `user_profiles` view, which has none): staff all; partners their own
    /// organisation (details beyond the name are a field rule, see
    /// [`Scope::may_read_details`]).
    pub fn users(&self) -> Scoped<user_profiles::Entity> {
        let select = user_profiles::Entity::find();
        Scoped::new(if self.viewer.is_staff() {
            select
        } else {
            select.filter(user_profiles::Column::OrganisationId.eq(self.viewer.organisation_id))
        })
    }

    /// Users a viewer may know by name: those of [`Scope::users`], plus the
    /// authors and actors of the comments and events the viewer may see
    /// (that is how a partner meets a staff member).
    pub fn users_by_name(&self) -> Scoped<user_profiles::Entity> {
        let select = user_profiles::Entity::find();
        if self.viewer.is_staff() {
            return Scoped::new(select);
        }
        let authors = self.comments().ids(comments::Column::AuthorId);
        let actors = self
            .ticket_events()
            .filter(ticket_events::Column::ActorId.is_not_null())
            .ids(ticket_events::Column::ActorId);
        Scoped::new(
            select.filter(
                Condition::any()
                    .add(user_profiles::Column::OrganisationId.eq(self.viewer.organisation_id))
                    .add(authors.contain(user_profiles::Column::Id))
                    .add(actors.contain(user_profiles::Column::Id)),
            ),
        )
    }

    /// Field rule: may the viewer read more of this user than its name
    /// (email, role, language, activity)? A PARTNER_MEMBER knows its
    /// colleagues by name only; managers read their organisation's users
    /// whole, staff everyone, and everyone themselves.
    pub fn may_read_details(&self, user: &user_profiles::Model) -> bool {
        self.viewer.is_staff()
            || user.id == self.viewer.user_id
            || (self.viewer.is_partner_manager()
                && user.organisation_id == self.viewer.organisation_id)
    }

    /// Tickets: staff all; managers and members of ORGANISATION-visibility
    /// organisations the organisation's; other members their own.
    pub fn tickets(&self) -> Scoped<tickets::Entity> {
        Scoped::new(tickets::Entity::find().filter(self.ticket_condition()))
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
    pub fn orders(&self) -> Scoped<orders::Entity> {
        Scoped::new(orders::Entity::find().filter(
            self.tenant_condition(orders::Column::OrganisationId, orders::Column::TicketId),
        ))
    }

    /// Status history of visible tickets.
    pub fn ticket_events(&self) -> Scoped<ticket_events::Entity> {
        Scoped::new(ticket_events::Entity::find().filter(self.tenant_condition(
            ticket_events::Column::OrganisationId,
            ticket_events::Column::TicketId,
        )))
    }

    /// Comments of visible tickets; PUBLIC ones only for partners.
    pub fn comments(&self) -> Scoped<comments::Entity> {
        let mut condition =
            self.tenant_condition(comments::Column::OrganisationId, comments::Column::TicketId);
        if !self.viewer.is_staff() {
            condition = condition.add(comments::Column::Visibility.eq(CommentVisibility::Public));
        }
        Scoped::new(comments::Entity::find().filter(condition))
    }

    /// Attachments of visible tickets.
    pub fn attachments(&self) -> Scoped<attachments::Entity> {
        Scoped::new(attachments::Entity::find().filter(self.tenant_condition(
            attachments::Column::OrganisationId,
            attachments::Column::TicketId,
        )))
    }

    /// Invoices: staff all, managers their organisation's, members none.
    pub fn invoices(&self) -> Scoped<invoices::Entity> {
        Scoped::new(
            invoices::Entity::find()
                .filter(self.invoice_condition(invoices::Column::OrganisationId)),
        )
    }

    /// Invoice lines, as their invoices.
    pub fn invoice_lines(&self) -> Scoped<invoice_lines::Entity> {
        Scoped::new(
            invoice_lines::Entity::find()
                .filter(self.invoice_condition(invoice_lines::Column::OrganisationId)),
        )
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
    pub fn feedback(&self) -> Scoped<feedback::Entity> {
        let select = feedback::Entity::find();
        Scoped::new(match self.viewer.role {
            Role::Staff | Role::Admin => select,
            Role::PartnerManager => {
                select.filter(feedback::Column::OrganisationId.eq(self.viewer.organisation_id))
            }
            Role::PartnerMember => select
                .filter(feedback::Column::OrganisationId.eq(self.viewer.organisation_id))
                .filter(feedback::Column::AuthorId.eq(self.viewer.user_id)),
        })
    }

    /// The email outbox: ADMIN only (delivery states, dead emails), and
    /// FORBIDDEN for every other role. Emails are the provider's
    /// operations, not tenant data a partner or a STAFF member reads.
    pub fn emails(&self) -> AppResult<Scoped<email_outbox::Entity>> {
        if self.viewer.is_admin() {
            Ok(Scoped::new(email_outbox::Entity::find()))
        } else {
            Err(AppError::forbidden(
                "only an ADMIN may read the email outbox",
            ))
        }
    }

    /// One ticket the viewer may see, by id; NOT_FOUND otherwise, the same
    /// for an id outside the scope and for one that does not exist.
    pub async fn ticket(&self, db: &impl ConnectionTrait, id: i64) -> AppResult<tickets::Model> {
        visible(
            self.tickets().filter(tickets::Column::Id.eq(id)),
            db,
            "ticket",
        )
        .await
    }

    /// One ticket the viewer may see, by its `GEM-` reference; NOT_FOUND
    /// otherwise.
    pub async fn ticket_by_reference(
        &self,
        db: &impl ConnectionTrait,
        reference: &str,
    ) -> AppResult<tickets::Model> {
        let select = self
            .tickets()
            .filter(tickets::Column::Reference.eq(reference));
        visible(select, db, "ticket").await
    }

    /// One organisation the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn organisation(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<organisations::Model> {
        let select = self
            .organisations()
            .filter(organisations::Column::Id.eq(id));
        visible(select, db, "organisation").await
    }

    /// One user the viewer may see whole (field rules aside), by id;
    /// NOT_FOUND otherwise.
    pub async fn user(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<user_profiles::Model> {
        let select = self.users().filter(user_profiles::Column::Id.eq(id));
        visible(select, db, "user").await
    }

    /// One order the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn order(&self, db: &impl ConnectionTrait, id: i64) -> AppResult<orders::Model> {
        visible(self.orders().filter(orders::Column::Id.eq(id)), db, "order").await
    }

    /// One history entry the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn ticket_event(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<ticket_events::Model> {
        let select = self
            .ticket_events()
            .filter(ticket_events::Column::Id.eq(id));
        visible(select, db, "ticket event").await
    }

    /// One comment the viewer may read, by id; NOT_FOUND otherwise (an
    /// INTERNAL note, for a partner).
    pub async fn comment(&self, db: &impl ConnectionTrait, id: i64) -> AppResult<comments::Model> {
        let select = self.comments().filter(comments::Column::Id.eq(id));
        visible(select, db, "comment").await
    }

    /// One attachment the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn attachment(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<attachments::Model> {
        let select = self.attachments().filter(attachments::Column::Id.eq(id));
        visible(select, db, "attachment").await
    }

    /// One invoice the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn invoice(&self, db: &impl ConnectionTrait, id: i64) -> AppResult<invoices::Model> {
        let select = self.invoices().filter(invoices::Column::Id.eq(id));
        visible(select, db, "invoice").await
    }

    /// One invoice line the viewer may see, by id; NOT_FOUND otherwise.
    pub async fn invoice_line(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<invoice_lines::Model> {
        let select = self
            .invoice_lines()
            .filter(invoice_lines::Column::Id.eq(id));
        visible(select, db, "invoice line").await
    }

    /// One feedback message the viewer may read, by id; NOT_FOUND otherwise.
    pub async fn feedback_message(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> AppResult<feedback::Model> {
        let select = self.feedback().filter(feedback::Column::Id.eq(id));
        visible(select, db, "feedback").await
    }
}

/// The one row of `select`, or NOT_FOUND naming `what`: out of scope and
/// absent are the same answer.
async fn visible<E: EntityTrait>(
    select: Scoped<E>,
    db: &impl ConnectionTrait,
    what: &'static str,
) -> AppResult<E::Model>
where
    E::Model: FromQueryResult,
{
    select.one(db).await?.ok_or(AppError::NotFound(what))
}

/// A lookup's answer for a field that is null, rather than NOT_FOUND, when
/// the object is absent or out of scope (`ticket(id:)`, `node(id:)`).
pub fn null_if_absent<T>(found: AppResult<T>) -> AppResult<Option<T>> {
    match found {
        Ok(found) => Ok(Some(found)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}
