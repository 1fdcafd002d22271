//! The oracle: SPEC §3 ("Who sees what") as plain functions over plain data.
//!
//! Written from the table alone, row by row, and sharing nothing with the
//! server's policy module (no `Scope`, no SQL, no server type): when the two
//! disagree, one of them misreads the table. Each function below quotes the
//! cell it implements.
//!
//! | object | PARTNER_MEMBER | PARTNER_MANAGER | STAFF, ADMIN |
//! |---|---|---|---|
//! | organisation | own | own | all |
//! | users | own organisation, name only, no email; staff only as the author or actor of a comment or event they may see, name only | own organisation, all fields; staff as for members | all |
//! | tickets, orders, events | created by self; all of the organisation when it is `ORGANISATION` visibility | all of the organisation | all |
//! | comments | PUBLIC ones on visible tickets | same | all, INTERNAL included |
//! | attachments | on visible tickets | same | all |
//! | invoices | none | own organisation | all |
//! | feedback | own | own organisation | all |
//! | reports | over visible tickets | over the organisation | all, by organisation |
//!
//! Reports count what [`may_see`] lets through: tickets and orders for the
//! ticket figures, invoices for billed totals, feedback for its count
//! (`crate::reports` computes them from this module).

use super::model::{CommentVisibility, Model, Role, TicketRow, UserRow, Visibility};

/// The viewer, as the table needs it: who, where, which role, and the
/// visibility setting of its organisation at request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OracleUser {
    pub id: i64,
    pub organisation: i64,
    pub role: Role,
    pub organisation_visibility: Visibility,
}

impl OracleUser {
    /// The viewer `user_id`, as the database holds it now.
    pub fn from_model(model: &Model, user_id: i64) -> Self {
        let user = model.user(user_id);
        Self {
            id: user.id,
            organisation: user.organisation,
            role: user.role,
            organisation_visibility: model.organisations[&user.organisation].visibility,
        }
    }

    /// The last column of the table: STAFF and ADMIN.
    fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }
}

/// The facts about a ticket that decide who sees it and what hangs off it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFacts {
    pub organisation: i64,
    pub created_by: i64,
}

impl From<&TicketRow> for TicketFacts {
    fn from(ticket: &TicketRow) -> Self {
        Self {
            organisation: ticket.organisation,
            created_by: ticket.created_by,
        }
    }
}

/// Anything in the database a viewer might reach, with the facts the table
/// decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorldObject {
    Organisation {
        id: i64,
    },
    User {
        organisation: i64,
    },
    Ticket(TicketFacts),
    Order {
        ticket: TicketFacts,
    },
    Event {
        ticket: TicketFacts,
    },
    Comment {
        ticket: TicketFacts,
        visibility: CommentVisibility,
    },
    Attachment {
        ticket: TicketFacts,
    },
    Invoice {
        organisation: i64,
    },
    InvoiceLine {
        organisation: i64,
    },
    Feedback {
        organisation: i64,
        author: i64,
    },
}

/// May `viewer` know that `object` exists? (Outside its scope, a thing
/// does not exist for the viewer: no list, lookup, count or download shows it.)
pub fn may_see(viewer: &OracleUser, object: &WorldObject) -> bool {
    // "STAFF, ADMIN": all, on every row.
    if viewer.is_staff() {
        return true;
    }
    let manager = viewer.role == Role::PartnerManager;
    match *object {
        // organisation: "own" | "own".
        WorldObject::Organisation { id } => id == viewer.organisation,
        // users: "own organisation" | "own organisation". (Staff reach a
        // partner only as a `Person`: see `may_know_by_name`.)
        WorldObject::User { organisation } => organisation == viewer.organisation,
        // tickets, orders, events: "created by self; all of the organisation
        // when it is ORGANISATION visibility" | "all of the organisation".
        WorldObject::Ticket(ticket)
        | WorldObject::Order { ticket }
        | WorldObject::Event { ticket }
        // attachments: "on visible tickets" | "same".
        | WorldObject::Attachment { ticket } => sees_ticket(viewer, ticket),
        // comments: "PUBLIC ones on visible tickets" | "same".
        WorldObject::Comment { ticket, visibility } => {
            visibility == CommentVisibility::Public && sees_ticket(viewer, ticket)
        }
        // invoices: "none" | "own organisation".
        WorldObject::Invoice { organisation } | WorldObject::InvoiceLine { organisation } => {
            manager && organisation == viewer.organisation
        }
        // feedback: "own" | "own organisation".
        WorldObject::Feedback {
            organisation,
            author,
        } => {
            if manager {
                organisation == viewer.organisation
            } else {
                author == viewer.id
            }
        }
    }
}

/// The ticket cell for a partner viewer.
fn sees_ticket(viewer: &OracleUser, ticket: TicketFacts) -> bool {
    if ticket.organisation != viewer.organisation {
        return false;
    }
    match viewer.role {
        Role::PartnerManager => true,
        Role::PartnerMember => {
            viewer.organisation_visibility == Visibility::Organisation
                || ticket.created_by == viewer.id
        }
        Role::Staff | Role::Admin => true,
    }
}

/// Field rule of users: may `viewer` read more of `user` than its name
/// (email, role, language, activity)? (Only asked of a user the viewer may
/// see.) Members: "name only, no email" for their colleagues; a member
/// knows its own account.
/// Managers: "own organisation, all fields". Staff: all.
pub fn may_read_details(viewer: &OracleUser, user: &UserRow) -> bool {
    match viewer.role {
        Role::Staff | Role::Admin => true,
        Role::PartnerManager => user.organisation == viewer.organisation,
        Role::PartnerMember => user.id == viewer.id,
    }
}

/// May `viewer` read the email outbox (`emails`)? SPEC §2 (Email) and
/// the operations issue: delivery states, dead emails included, are for
/// ADMIN; any other role is refused (FORBIDDEN), STAFF included.
pub fn may_read_outbox(viewer: &OracleUser) -> bool {
    viewer.role == Role::Admin
}

/// Field rule of organisations: billing details (billing email and
/// address, prices) are invoice data, so they follow the invoices row.
pub fn may_read_billing(viewer: &OracleUser, organisation: i64) -> bool {
    may_see(viewer, &WorldObject::Invoice { organisation })
}

/// May `viewer` know `user` by name (the `Person` of an author, actor,
/// creator or uploader)? Users row: the users the viewer may see, and
/// "staff only as the author or actor of a comment or event they may see,
/// name only".
pub fn may_know_by_name(viewer: &OracleUser, user: &UserRow, model: &Model) -> bool {
    if may_see(
        viewer,
        &WorldObject::User {
            organisation: user.organisation,
        },
    ) {
        return true;
    }
    if !matches!(user.role, Role::Staff | Role::Admin) {
        return false;
    }
    let authored = model
        .authored
        .get(&user.id)
        .into_iter()
        .flatten()
        .any(|comment| may_see(viewer, &model.comment_object(*comment)));
    authored
        || model
            .acted
            .get(&user.id)
            .into_iter()
            .flatten()
            .any(|event| may_see(viewer, &model.event_object(*event)))
}

/// The objects of the model, each with the facts `may_see` decides on.
impl Model {
    pub fn ticket_object(&self, id: i64) -> WorldObject {
        WorldObject::Ticket(self.ticket(id).into())
    }

    pub fn comment_object(&self, id: i64) -> WorldObject {
        let comment = &self.comments[&id];
        WorldObject::Comment {
            ticket: self.ticket(comment.ticket).into(),
            visibility: comment.visibility,
        }
    }

    pub fn event_object(&self, id: i64) -> WorldObject {
        WorldObject::Event {
            ticket: self.ticket(self.events[&id].ticket).into(),
        }
    }

    pub fn attachment_object(&self, id: i64) -> WorldObject {
        WorldObject::Attachment {
            ticket: self.ticket(self.attachments[&id].ticket).into(),
        }
    }

    pub fn user_object(&self, id: i64) -> WorldObject {
        WorldObject::User {
            organisation: self.user(id).organisation,
        }
    }

    pub fn invoice_object(&self, id: i64) -> WorldObject {
        WorldObject::Invoice {
            organisation: self.invoices[&id].organisation,
        }
    }

    pub fn invoice_line_object(&self, id: i64) -> WorldObject {
        WorldObject::InvoiceLine {
            organisation: self.invoice_lines[&id].organisation,
        }
    }

    pub fn feedback_object(&self, id: i64) -> WorldObject {
        let feedback = &self.feedback[&id];
        WorldObject::Feedback {
            organisation: feedback.organisation,
            author: feedback.author,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{InvoiceLineRow, InvoiceRow, OrganisationRow};
    use super::*;

    fn viewer(role: Role, visibility: Visibility) -> OracleUser {
        OracleUser {
            id: 1,
            organisation: 10,
            role,
            organisation_visibility: visibility,
        }
    }

    #[test]
    fn the_table_cells_for_tickets() {
        let mine = WorldObject::Ticket(TicketFacts {
            organisation: 10,
            created_by: 1,
        });
        let colleague = WorldObject::Ticket(TicketFacts {
            organisation: 10,
            created_by: 2,
        });
        let foreign = WorldObject::Ticket(TicketFacts {
            organisation: 11,
            created_by: 3,
        });
        let member = viewer(Role::PartnerMember, Visibility::CreatorOnly);
        assert!(may_see(&member, &mine));
        assert!(!may_see(&member, &colleague));
        assert!(!may_see(&member, &foreign));
        let open = viewer(Role::PartnerMember, Visibility::Organisation);
        assert!(may_see(&open, &colleague));
        let manager = viewer(Role::PartnerManager, Visibility::CreatorOnly);
        assert!(may_see(&manager, &colleague));
        assert!(!may_see(&manager, &foreign));
        assert!(may_see(
            &viewer(Role::Staff, Visibility::CreatorOnly),
            &foreign
        ));
    }

    #[test]
    fn the_table_cells_for_invoices_and_their_lines() {
        let mut model = Model::default();
        for (id, visibility) in [
            (10, Visibility::CreatorOnly),
            (11, Visibility::Organisation),
        ] {
            model.organisations.insert(
                id,
                OrganisationRow {
                    name: format!("Org {id}"),
                    is_provider: false,
                    visibility,
                    billing_email: String::new(),
                    standard_price_cents: 0,
                },
            );
        }
        model.invoices.insert(100, InvoiceRow { organisation: 10 });
        model.invoices.insert(101, InvoiceRow { organisation: 11 });
        model.invoice_lines.insert(
            200,
            InvoiceLineRow {
                invoice: 100,
                organisation: 10,
                ticket: 7,
            },
        );
        let line = &model.invoice_lines[&200];
        assert_eq!(
            model.invoices[&line.invoice].organisation,
            line.organisation
        );
        assert_ne!(line.ticket, 0);
        let cases = [
            (Role::PartnerMember, [false, false, false]),
            (Role::PartnerManager, [true, false, true]),
            (Role::Staff, [true, true, true]),
            (Role::Admin, [true, true, true]),
        ];
        for (role, [own, other, own_line]) in cases {
            let v = viewer(role, Visibility::Organisation);
            assert_eq!(may_see(&v, &model.invoice_object(100)), own, "{role:?}");
            assert_eq!(may_see(&v, &model.invoice_object(101)), other, "{role:?}");
            assert_eq!(
                may_see(&v, &model.invoice_line_object(200)),
                own_line,
                "{role:?}"
            );
            assert_eq!(may_read_billing(&v, 10), own, "{role:?}");
        }
    }
}
