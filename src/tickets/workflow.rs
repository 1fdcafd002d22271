//! The ticket state machine (SPEC §2, "Status workflow").
//!
//! One pure function, [`transition`], decides every status change: given
//! the ticket's kind, its current status, the requested [`Action`] and the
//! [`Actor`] taking it, it returns the new status or a [`TransitionError`]
//! explaining the refusal. Everything else here ([`available_actions`], [`is_final`]) is
//! defined through the same table of steps, so the API's list of next
//! actions and the check made on a write cannot disagree.
//!
//! The steps, and who may take each:
//!
//! | from | action | to | taken by |
//! |---|---|---|---|
//! | REVIEW | `Queue` | QUEUED | staff |
//! | REVIEW, QUEUED | `Approve` | READY_TO_SHIP | staff |
//! | QUEUED | `ReturnToReview` | REVIEW | staff |
//! | REVIEW, QUEUED | `Cancel` | CANCELLED | staff, partner |
//! | READY_TO_SHIP | `Ship` | READY_FOR_BILLING | staff |
//! | READY_TO_SHIP | `Cancel` | CANCELLED | staff |
//! | READY_FOR_BILLING | `MarkBilled` | BILLED | invoicing |
//!
//! Only a LAPTOP_ORDER carries an order, so only it is approved (for
//! shipping) and shipped: on a DELIVERY_ISSUE or an OTHER ticket, `Approve`
//! and `Ship` are refused for everyone (CONFLICT, [`TransitionError::NotForKind`]),
//! and offered to no one. Every other step is the same for every kind.
//!
//! BILLED and CANCELLED are final. Every action has exactly one target
//! status ([`Action::target`]); the table only says from where it may be
//! taken and by whom.
//!
//! FORBIDDEN versus CONFLICT. SPEC §3: "an action that the role may not take
//! returns FORBIDDEN". So a refusal is FORBIDDEN when it is about who asks,
//! and CONFLICT when it is about where the ticket is:
//! - FORBIDDEN ([`TransitionError::RoleMayNot`]): the actor never takes this
//!   action, whatever the status (a partner approving, staff marking a
//!   ticket billed); or the step exists from this status but belongs to
//!   another actor (a partner cancelling a ticket in READY_TO_SHIP, which
//!   staff may cancel). The role check comes first, so a partner asking to
//!   approve gets FORBIDDEN on every ticket, never a hint about its state.
//! - CONFLICT ([`TransitionError::Final`], [`TransitionError::AlreadyIn`],
//!   [`TransitionError::NotForKind`], [`TransitionError::NotAllowed`]): the
//!   actor may take this action in general, but no one may take it on this
//!   ticket, given its kind and its current status. The
//!   request is well formed (so not VALIDATION); it collides with the
//!   ticket's state, which may have changed since the viewer loaded it.

use std::fmt;

use entity::enums::{Role, TicketKind, TicketStatus};
use sea_orm::Iterable as _;

use crate::error::AppError;

/// A change of status that can be asked for. Each leads to one status.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Park a ticket in REVIEW in the waiting line (to QUEUED) when there
    /// are more requests than capacity. Staff only.
    Queue,
    /// Send a QUEUED ticket back to REVIEW, e.g. when capacity frees up but
    /// the request needs another look. Staff only.
    ReturnToReview,
    /// Accept a ticket in REVIEW or QUEUED: it ships within days (to
    /// READY_TO_SHIP). Staff only.
    Approve,
    /// Ship the order of a READY_TO_SHIP ticket (to READY_FOR_BILLING). The
    /// shipping service records the device model and shipping date in the
    /// same transaction. Staff only.
    Ship,
    /// Close a READY_FOR_BILLING ticket once the invoice for its order is
    /// paid (to BILLED). Only invoicing does this, when an invoice is marked
    /// paid; nobody marks a single ticket billed by hand.
    MarkBilled,
    /// Withdraw or reject a ticket (to CANCELLED). Partners may cancel in
    /// REVIEW or QUEUED; staff also in READY_TO_SHIP.
    Cancel,
}

impl Action {
    /// Every action, in workflow order.
    pub const ALL: [Self; 6] = [
        Self::Queue,
        Self::ReturnToReview,
        Self::Approve,
        Self::Ship,
        Self::MarkBilled,
        Self::Cancel,
    ];

    /// The status a ticket has after this action.
    pub const fn target(self) -> TicketStatus {
        match self {
            Self::Queue => TicketStatus::Queued,
            Self::ReturnToReview => TicketStatus::Review,
            Self::Approve => TicketStatus::ReadyToShip,
            Self::Ship => TicketStatus::ReadyForBilling,
            Self::MarkBilled => TicketStatus::Billed,
            Self::Cancel => TicketStatus::Cancelled,
        }
    }

    /// The action as a phrase about "a ticket", for messages.
    const fn phrase(self) -> &'static str {
        match self {
            Self::Queue => "queue a ticket",
            Self::ReturnToReview => "send a ticket back to review",
            Self::Approve => "approve a ticket",
            Self::Ship => "ship a ticket's order",
            Self::MarkBilled => "mark a ticket billed",
            Self::Cancel => "cancel a ticket",
        }
    }
}

/// Who takes an action, as far as the workflow cares.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A PARTNER_MEMBER or PARTNER_MANAGER, on a ticket they can see.
    Partner,
    /// STAFF or ADMIN.
    Staff,
    /// The system, when an invoice is marked paid. No role maps to it: only
    /// the invoicing service acts as it.
    Invoicing,
}

impl Actor {
    /// Every actor.
    pub const ALL: [Self; 3] = [Self::Partner, Self::Staff, Self::Invoicing];

    /// Whether this actor takes `action` from at least one status.
    fn ever_takes(self, action: Action) -> bool {
        TicketStatus::iter().any(|from| takers(from, action).contains(&self))
    }
}

impl From<Role> for Actor {
    fn from(role: Role) -> Self {
        match role {
            Role::PartnerMember | Role::PartnerManager => Self::Partner,
            Role::Staff | Role::Admin => Self::Staff,
        }
    }
}

/// Why a status change is refused. [`code`](Self::code) says how the API
/// reports it; [`message`](Self::message) says it in plain English.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TransitionError {
    /// FORBIDDEN: `actor` may not take `action` here. Either it never takes
    /// this action, or, from `from`, the step belongs to another actor.
    RoleMayNot {
        actor: Actor,
        action: Action,
        from: TicketStatus,
    },
    /// CONFLICT: the ticket is BILLED or CANCELLED; its status never changes
    /// again.
    Final { status: TicketStatus },
    /// CONFLICT: the action would leave the ticket where it is (e.g. a
    /// second click on "queue").
    AlreadyIn { status: TicketStatus },
    /// CONFLICT: tickets of this kind never take `action` (only a laptop
    /// order is approved and shipped).
    NotForKind { kind: TicketKind, action: Action },
    /// CONFLICT: the workflow has no step doing `action` from `from`, for
    /// anyone.
    NotAllowed { from: TicketStatus, action: Action },
}

impl TransitionError {
    /// The API's `extensions.code`: "FORBIDDEN" when the refusal is about
    /// who asks, "CONFLICT" when it is about the ticket's current status.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::RoleMayNot { .. } => "FORBIDDEN",
            Self::Final { .. }
            | Self::AlreadyIn { .. }
            | Self::NotForKind { .. }
            | Self::NotAllowed { .. } => "CONFLICT",
        }
    }

    /// What went wrong and what to do instead, for the person who asked.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::RoleMayNot {
                actor: Actor::Partner,
                action: Action::Cancel,
                from,
            } => write!(
                f,
                "a ticket in {} can no longer be cancelled by its partner; \
                 ask staff in a comment on the ticket to cancel it",
                api_name(from)
            ),
            Self::RoleMayNot {
                actor: Actor::Partner,
                action: Action::MarkBilled,
                ..
            } => f.write_str(
                "a ticket becomes BILLED by itself when the invoice for its order is paid",
            ),
            Self::RoleMayNot {
                actor: Actor::Staff,
                action: Action::MarkBilled,
                ..
            } => f.write_str(
                "a ticket becomes BILLED only when the invoice for its order is paid; \
                 mark that invoice paid instead",
            ),
            Self::RoleMayNot {
                actor: Actor::Partner,
                action,
                ..
            } => write!(
                f,
                "only staff can {}; a partner can cancel a ticket while it is in REVIEW or QUEUED",
                action.phrase()
            ),
            Self::RoleMayNot {
                actor: Actor::Invoicing,
                action,
                ..
            } => write!(
                f,
                "invoicing can only mark a ticket billed, not {}",
                action.phrase()
            ),
            Self::RoleMayNot {
                actor: Actor::Staff,
                action,
                from,
            } => write!(f, "staff cannot {} in {}", action.phrase(), api_name(from)),
            Self::Final { status } => write!(
                f,
                "the ticket is {}, which is final: its status can no longer change",
                api_name(status)
            ),
            Self::AlreadyIn { status } => {
                write!(f, "the ticket is already in {}", api_name(status))
            }
            Self::NotForKind { kind, action } => write!(
                f,
                "only laptop orders are approved for shipping and shipped; \
                 a {} ticket cannot {}",
                kind_name(kind),
                match action {
                    Action::Approve => "be approved",
                    Action::Ship => "be shipped",
                    _ => "take this step",
                }
            ),
            Self::NotAllowed {
                from: from @ (TicketStatus::Review | TicketStatus::Queued),
                action: Action::Ship,
            } => write!(
                f,
                "a ticket in {} must be approved (moved to READY_TO_SHIP) \
                 before its order can be shipped",
                api_name(from)
            ),
            Self::NotAllowed {
                from,
                action: Action::Ship,
            } => write!(
                f,
                "only a ticket in READY_TO_SHIP can be shipped; this one is in {}",
                api_name(from)
            ),
            Self::NotAllowed {
                from,
                action: Action::MarkBilled,
            } => write!(
                f,
                "only a ticket in READY_FOR_BILLING, whose order has shipped, \
                 can become BILLED; this one is in {}",
                api_name(from)
            ),
            Self::NotAllowed {
                from: TicketStatus::ReadyToShip,
                ..
            } => f.write_str(
                "a ticket in READY_TO_SHIP can only move to READY_FOR_BILLING by shipping \
                 its order, or be cancelled by staff",
            ),
            Self::NotAllowed {
                from: TicketStatus::ReadyForBilling,
                action: Action::Cancel,
            } => f.write_str(
                "a ticket in READY_FOR_BILLING has already shipped and can no longer be \
                 cancelled; it becomes BILLED when its invoice is paid",
            ),
            Self::NotAllowed {
                from: TicketStatus::ReadyForBilling,
                ..
            } => f.write_str(
                "a ticket in READY_FOR_BILLING has already shipped; \
                 it only moves on, to BILLED, when its invoice is paid",
            ),
            Self::NotAllowed { from, action } => write!(
                f,
                "the workflow has no step to {} in {}",
                action.phrase(),
                api_name(from)
            ),
        }
    }
}

impl std::error::Error for TransitionError {}

impl From<TransitionError> for AppError {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::RoleMayNot { .. } => Self::forbidden(err.message()),
            TransitionError::Final { .. }
            | TransitionError::AlreadyIn { .. }
            | TransitionError::NotForKind { .. }
            | TransitionError::NotAllowed { .. } => Self::conflict(err.message()),
        }
    }
}

/// Who may take `action` from `from`; empty when the workflow has no such
/// step. This is the whole workflow: every other function reads it.
const fn takers(from: TicketStatus, action: Action) -> &'static [Actor] {
    use TicketStatus::{Queued, ReadyForBilling, ReadyToShip, Review};
    match (from, action) {
        (Review, Action::Queue)
        | (Queued, Action::ReturnToReview)
        | (Review | Queued, Action::Approve)
        | (ReadyToShip, Action::Ship | Action::Cancel) => &[Actor::Staff],
        (Review | Queued, Action::Cancel) => &[Actor::Staff, Actor::Partner],
        (ReadyForBilling, Action::MarkBilled) => &[Actor::Invoicing],
        _ => &[],
    }
}

/// Whether tickets of `kind` ever take `action`: approving and shipping
/// are for the tickets that carry an order.
const fn kind_takes(kind: TicketKind, action: Action) -> bool {
    matches!(kind, TicketKind::LaptopOrder) || !matches!(action, Action::Approve | Action::Ship)
}

/// The status after `actor` takes `action` on a ticket of `kind` in
/// `from`, or why it may not (see the module documentation for FORBIDDEN
/// versus CONFLICT).
///
/// Checks, in order: may this actor ever take this action (FORBIDDEN); is
/// the ticket final (CONFLICT); is it already where the action leads
/// (CONFLICT); do tickets of this kind ever take it (CONFLICT); does the
/// step exist from `from` (CONFLICT); is it this actor's step (FORBIDDEN).
pub fn transition(
    kind: TicketKind,
    from: TicketStatus,
    action: Action,
    actor: Actor,
) -> Result<TicketStatus, TransitionError> {
    if !actor.ever_takes(action) {
        return Err(TransitionError::RoleMayNot {
            actor,
            action,
            from,
        });
    }
    if is_final(from) {
        return Err(TransitionError::Final { status: from });
    }
    let to = action.target();
    if to == from {
        return Err(TransitionError::AlreadyIn { status: from });
    }
    if !kind_takes(kind, action) {
        return Err(TransitionError::NotForKind { kind, action });
    }
    let takers = takers(from, action);
    if takers.is_empty() {
        return Err(TransitionError::NotAllowed { from, action });
    }
    if !takers.contains(&actor) {
        return Err(TransitionError::RoleMayNot {
            actor,
            action,
            from,
        });
    }
    Ok(to)
}

/// The actions `actor` may take on a ticket of `kind` in `from`, in
/// [`Action::ALL`] order: exactly those [`transition`] accepts.
pub fn available_actions(kind: TicketKind, from: TicketStatus, actor: Actor) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&action| transition(kind, from, action, actor).is_ok())
        .collect()
}

/// Whether a ticket in `status` is closed for good (BILLED, CANCELLED).
pub const fn is_final(status: TicketStatus) -> bool {
    matches!(status, TicketStatus::Billed | TicketStatus::Cancelled)
}

/// The kind as the API spells it (`DELIVERY_ISSUE`), for messages.
const fn kind_name(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::LaptopOrder => "LAPTOP_ORDER",
        TicketKind::DeliveryIssue => "DELIVERY_ISSUE",
        TicketKind::Other => "OTHER",
    }
}

/// The status as the API spells it (`READY_TO_SHIP`), for messages.
const fn api_name(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Review => "REVIEW",
        TicketStatus::Queued => "QUEUED",
        TicketStatus::ReadyToShip => "READY_TO_SHIP",
        TicketStatus::ReadyForBilling => "READY_FOR_BILLING",
        TicketStatus::Billed => "BILLED",
        TicketStatus::Cancelled => "CANCELLED",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use sea_orm::{ActiveEnum as _, Iterable as _};

    use super::Action::{Approve, Cancel, MarkBilled, Queue, ReturnToReview, Ship};
    use super::Actor::{Invoicing, Partner, Staff};
    use super::*;
    use entity::enums::TicketKind::{DeliveryIssue, LaptopOrder, Other};
    use entity::enums::TicketStatus::{
        Billed, Cancelled, Queued, ReadyForBilling, ReadyToShip, Review,
    };

    /// The expected answer for one (from, action, actor), written by hand
    /// from SPEC §2 and §3.
    #[derive(Copy, Clone, Debug)]
    enum Expect {
        /// Accepted; the ticket moves to this status.
        To(TicketStatus),
        /// `RoleMayNot`: FORBIDDEN.
        Forbidden,
        /// `Final`: CONFLICT.
        IsFinal,
        /// `AlreadyIn`: CONFLICT.
        Already,
        /// `NotAllowed`: CONFLICT.
        NoStep,
        /// `NotForKind`: CONFLICT.
        WrongKind,
    }
    use Expect::{Already, Forbidden, IsFinal, NoStep, To, WrongKind};

    /// The laptop-order workflow, which [`EXPECTED`] describes whole.
    fn transition(
        from: TicketStatus,
        action: Action,
        actor: Actor,
    ) -> Result<TicketStatus, TransitionError> {
        super::transition(LaptopOrder, from, action, actor)
    }

    fn available_actions(from: TicketStatus, actor: Actor) -> Vec<Action> {
        super::available_actions(LaptopOrder, from, actor)
    }

    #[rustfmt::skip]
    const EXPECTED: [(TicketStatus, Action, Actor, Expect); 108] = [
        // REVIEW
        (Review,          Queue,          Partner,   Forbidden),
        (Review,          Queue,          Staff,     To(Queued)),
        (Review,          Queue,          Invoicing, Forbidden),
        (Review,          ReturnToReview, Partner,   Forbidden),
        (Review,          ReturnToReview, Staff,     Already),
        (Review,          ReturnToReview, Invoicing, Forbidden),
        (Review,          Approve,        Partner,   Forbidden),
        (Review,          Approve,        Staff,     To(ReadyToShip)),
        (Review,          Approve,        Invoicing, Forbidden),
        (Review,          Ship,           Partner,   Forbidden),
        (Review,          Ship,           Staff,     NoStep),
        (Review,          Ship,           Invoicing, Forbidden),
        (Review,          MarkBilled,     Partner,   Forbidden),
        (Review,          MarkBilled,     Staff,     Forbidden),
        (Review,          MarkBilled,     Invoicing, NoStep),
        (Review,          Cancel,         Partner,   To(Cancelled)),
        (Review,          Cancel,         Staff,     To(Cancelled)),
        (Review,          Cancel,         Invoicing, Forbidden),
        // QUEUED
        (Queued,          Queue,          Partner,   Forbidden),
        (Queued,          Queue,          Staff,     Already),
        (Queued,          Queue,          Invoicing, Forbidden),
        (Queued,          ReturnToReview, Partner,   Forbidden),
        (Queued,          ReturnToReview, Staff,     To(Review)),
        (Queued,          ReturnToReview, Invoicing, Forbidden),
        (Queued,          Approve,        Partner,   Forbidden),
        (Queued,          Approve,        Staff,     To(ReadyToShip)),
        (Queued,          Approve,        Invoicing, Forbidden),
        (Queued,          Ship,           Partner,   Forbidden),
        (Queued,          Ship,           Staff,     NoStep),
        (Queued,          Ship,           Invoicing, Forbidden),
        (Queued,          MarkBilled,     Partner,   Forbidden),
        (Queued,          MarkBilled,     Staff,     Forbidden),
        (Queued,          MarkBilled,     Invoicing, NoStep),
        (Queued,          Cancel,         Partner,   To(Cancelled)),
        (Queued,          Cancel,         Staff,     To(Cancelled)),
        (Queued,          Cancel,         Invoicing, Forbidden),
        // READY_TO_SHIP
        (ReadyToShip,     Queue,          Partner,   Forbidden),
        (ReadyToShip,     Queue,          Staff,     NoStep),
        (ReadyToShip,     Queue,          Invoicing, Forbidden),
        (ReadyToShip,     ReturnToReview, Partner,   Forbidden),
        (ReadyToShip,     ReturnToReview, Staff,     NoStep),
        (ReadyToShip,     ReturnToReview, Invoicing, Forbidden),
        (ReadyToShip,     Approve,        Partner,   Forbidden),
        (ReadyToShip,     Approve,        Staff,     Already),
        (ReadyToShip,     Approve,        Invoicing, Forbidden),
        (ReadyToShip,     Ship,           Partner,   Forbidden),
        (ReadyToShip,     Ship,           Staff,     To(ReadyForBilling)),
        (ReadyToShip,     Ship,           Invoicing, Forbidden),
        (ReadyToShip,     MarkBilled,     Partner,   Forbidden),
        (ReadyToShip,     MarkBilled,     Staff,     Forbidden),
        (ReadyToShip,     MarkBilled,     Invoicing, NoStep),
        (ReadyToShip,     Cancel,         Partner,   Forbidden),
        (ReadyToShip,     Cancel,         Staff,     To(Cancelled)),
        (ReadyToShip,     Cancel,         Invoicing, Forbidden),
        // READY_FOR_BILLING
        (ReadyForBilling, Queue,          Partner,   Forbidden),
        (ReadyForBilling, Queue,          Staff,     NoStep),
        (ReadyForBilling, Queue,          Invoicing, Forbidden),
        (ReadyForBilling, ReturnToReview, Partner,   Forbidden),
        (ReadyForBilling, ReturnToReview, Staff,     NoStep),
        (ReadyForBilling, ReturnToReview, Invoicing, Forbidden),
        (ReadyForBilling, Approve,        Partner,   Forbidden),
        (ReadyForBilling, Approve,        Staff,     NoStep),
        (ReadyForBilling, Approve,        Invoicing, Forbidden),
        (ReadyForBilling, Ship,           Partner,   Forbidden),
        (ReadyForBilling, Ship,           Staff,     Already),
        (ReadyForBilling, Ship,           Invoicing, Forbidden),
        (ReadyForBilling, MarkBilled,     Partner,   Forbidden),
        (ReadyForBilling, MarkBilled,     Staff,     Forbidden),
        (ReadyForBilling, MarkBilled,     Invoicing, To(Billed)),
        (ReadyForBilling, Cancel,         Partner,   NoStep),
        (ReadyForBilling, Cancel,         Staff,     NoStep),
        (ReadyForBilling, Cancel,         Invoicing, Forbidden),
        // BILLED
        (Billed,          Queue,          Partner,   Forbidden),
        (Billed,          Queue,          Staff,     IsFinal),
        (Billed,          Queue,          Invoicing, Forbidden),
        (Billed,          ReturnToReview, Partner,   Forbidden),
        (Billed,          ReturnToReview, Staff,     IsFinal),
        (Billed,          ReturnToReview, Invoicing, Forbidden),
        (Billed,          Approve,        Partner,   Forbidden),
        (Billed,          Approve,        Staff,     IsFinal),
        (Billed,          Approve,        Invoicing, Forbidden),
        (Billed,          Ship,           Partner,   Forbidden),
        (Billed,          Ship,           Staff,     IsFinal),
        (Billed,          Ship,           Invoicing, Forbidden),
        (Billed,          MarkBilled,     Partner,   Forbidden),
        (Billed,          MarkBilled,     Staff,     Forbidden),
        (Billed,          MarkBilled,     Invoicing, IsFinal),
        (Billed,          Cancel,         Partner,   IsFinal),
        (Billed,          Cancel,         Staff,     IsFinal),
        (Billed,          Cancel,         Invoicing, Forbidden),
        // CANCELLED
        (Cancelled,       Queue,          Partner,   Forbidden),
        (Cancelled,       Queue,          Staff,     IsFinal),
        (Cancelled,       Queue,          Invoicing, Forbidden),
        (Cancelled,       ReturnToReview, Partner,   Forbidden),
        (Cancelled,       ReturnToReview, Staff,     IsFinal),
        (Cancelled,       ReturnToReview, Invoicing, Forbidden),
        (Cancelled,       Approve,        Partner,   Forbidden),
        (Cancelled,       Approve,        Staff,     IsFinal),
        (Cancelled,       Approve,        Invoicing, Forbidden),
        (Cancelled,       Ship,           Partner,   Forbidden),
        (Cancelled,       Ship,           Staff,     IsFinal),
        (Cancelled,       Ship,           Invoicing, Forbidden),
        (Cancelled,       MarkBilled,     Partner,   Forbidden),
        (Cancelled,       MarkBilled,     Staff,     Forbidden),
        (Cancelled,       MarkBilled,     Invoicing, IsFinal),
        (Cancelled,       Cancel,         Partner,   IsFinal),
        (Cancelled,       Cancel,         Staff,     IsFinal),
        (Cancelled,       Cancel,         Invoicing, Forbidden),
    ];

    /// Tickets that carry no order (DELIVERY_ISSUE, OTHER), for the two
    /// actions that differ from [`EXPECTED`]: approving and shipping. Every
    /// other triple answers as for a laptop order.
    #[rustfmt::skip]
    const WITHOUT_ORDER: [(TicketStatus, Action, Actor, Expect); 36] = [
        (Review,          Approve, Partner,   Forbidden),
        (Review,          Approve, Staff,     WrongKind),
        (Review,          Approve, Invoicing, Forbidden),
        (Review,          Ship,    Partner,   Forbidden),
        (Review,          Ship,    Staff,     WrongKind),
        (Review,          Ship,    Invoicing, Forbidden),
        (Queued,          Approve, Partner,   Forbidden),
        (Queued,          Approve, Staff,     WrongKind),
        (Queued,          Approve, Invoicing, Forbidden),
        (Queued,          Ship,    Partner,   Forbidden),
        (Queued,          Ship,    Staff,     WrongKind),
        (Queued,          Ship,    Invoicing, Forbidden),
        // Unreachable without an order; answered all the same.
        (ReadyToShip,     Approve, Partner,   Forbidden),
        (ReadyToShip,     Approve, Staff,     Already),
        (ReadyToShip,     Approve, Invoicing, Forbidden),
        (ReadyToShip,     Ship,    Partner,   Forbidden),
        (ReadyToShip,     Ship,    Staff,     WrongKind),
        (ReadyToShip,     Ship,    Invoicing, Forbidden),
        (ReadyForBilling, Approve, Partner,   Forbidden),
        (ReadyForBilling, Approve, Staff,     WrongKind),
        (ReadyForBilling, Approve, Invoicing, Forbidden),
        (ReadyForBilling, Ship,    Partner,   Forbidden),
        (ReadyForBilling, Ship,    Staff,     Already),
        (ReadyForBilling, Ship,    Invoicing, Forbidden),
        (Billed,          Approve, Partner,   Forbidden),
        (Billed,          Approve, Staff,     IsFinal),
        (Billed,          Approve, Invoicing, Forbidden),
        (Billed,          Ship,    Partner,   Forbidden),
        (Billed,          Ship,    Staff,     IsFinal),
        (Billed,          Ship,    Invoicing, Forbidden),
        (Cancelled,       Approve, Partner,   Forbidden),
        (Cancelled,       Approve, Staff,     IsFinal),
        (Cancelled,       Approve, Invoicing, Forbidden),
        (Cancelled,       Ship,    Partner,   Forbidden),
        (Cancelled,       Ship,    Staff,     IsFinal),
        (Cancelled,       Ship,    Invoicing, Forbidden),
    ];

    fn expected_result(
        from: TicketStatus,
        action: Action,
        actor: Actor,
        expect: Expect,
    ) -> Result<TicketStatus, TransitionError> {
        expected_for(LaptopOrder, from, action, actor, expect)
    }

    fn expected_for(
        kind: TicketKind,
        from: TicketStatus,
        action: Action,
        actor: Actor,
        expect: Expect,
    ) -> Result<TicketStatus, TransitionError> {
        match expect {
            To(status) => Ok(status),
            Forbidden => Err(TransitionError::RoleMayNot {
                actor,
                action,
                from,
            }),
            IsFinal => Err(TransitionError::Final { status: from }),
            Already => Err(TransitionError::AlreadyIn { status: from }),
            NoStep => Err(TransitionError::NotAllowed { from, action }),
            WrongKind => Err(TransitionError::NotForKind { kind, action }),
        }
    }

    #[test]
    fn the_table_without_order_lists_every_approve_and_ship_exactly_once() {
        let listed: HashSet<_> = WITHOUT_ORDER
            .iter()
            .map(|&(f, a, r, _)| (f, a, r))
            .collect();
        let all: HashSet<_> = every_triple()
            .filter(|&(_, action, _)| matches!(action, Approve | Ship))
            .collect();
        assert_eq!(
            listed.len(),
            WITHOUT_ORDER.len(),
            "a triple is listed twice"
        );
        assert_eq!(listed, all);
    }

    #[test]
    fn tickets_without_an_order_are_never_approved_or_shipped() {
        let rows = EXPECTED
            .iter()
            .filter(|&&(_, action, _, _)| !matches!(action, Approve | Ship))
            .chain(&WITHOUT_ORDER);
        assert_eq!(rows.clone().count(), 108);
        for kind in [DeliveryIssue, Other] {
            for &(from, action, actor, expect) in rows.clone() {
                assert_eq!(
                    super::transition(kind, from, action, actor),
                    expected_for(kind, from, action, actor, expect),
                    "transition({kind:?}, {from:?}, {action:?}, {actor:?})"
                );
            }
        }
    }

    #[test]
    fn available_actions_are_what_transition_accepts_for_every_kind() {
        for kind in TicketKind::iter() {
            for from in TicketStatus::iter() {
                for actor in Actor::ALL {
                    let accepted: Vec<Action> = Action::ALL
                        .into_iter()
                        .filter(|&action| super::transition(kind, from, action, actor).is_ok())
                        .collect();
                    let offered = super::available_actions(kind, from, actor);
                    assert_eq!(offered, accepted, "{kind:?} {from:?} {actor:?}");
                    if kind != LaptopOrder {
                        assert!(
                            !offered.iter().any(|a| matches!(a, Approve | Ship)),
                            "{kind:?} {from:?} {actor:?}: {offered:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn approving_a_ticket_without_an_order_says_why() {
        let err = super::transition(DeliveryIssue, Review, Approve, Staff)
            .expect_err("approved a delivery issue");
        assert_eq!(err.code(), "CONFLICT");
        assert!(err.message().contains("only laptop orders"), "{err}");
        assert!(err.message().contains("DELIVERY_ISSUE"), "{err}");
    }

    fn every_triple() -> impl Iterator<Item = (TicketStatus, Action, Actor)> {
        TicketStatus::iter().flat_map(|from| {
            Action::ALL.into_iter().flat_map(move |action| {
                Actor::ALL
                    .into_iter()
                    .map(move |actor| (from, action, actor))
            })
        })
    }

    #[test]
    fn the_expected_table_lists_every_triple_exactly_once() {
        let listed: HashSet<_> = EXPECTED.iter().map(|&(f, a, r, _)| (f, a, r)).collect();
        let all: HashSet<_> = every_triple().collect();
        assert_eq!(all.len(), 6 * 6 * 3);
        assert_eq!(listed.len(), EXPECTED.len(), "a triple is listed twice");
        assert_eq!(listed, all);
    }

    #[test]
    fn transition_matches_the_expected_table_for_every_triple() {
        for &(from, action, actor, expect) in &EXPECTED {
            assert_eq!(
                transition(from, action, actor),
                expected_result(from, action, actor, expect),
                "transition({from:?}, {action:?}, {actor:?})"
            );
        }
    }

    #[test]
    fn available_actions_are_exactly_what_transition_accepts() {
        for from in TicketStatus::iter() {
            for actor in Actor::ALL {
                let accepted: Vec<Action> = Action::ALL
                    .into_iter()
                    .filter(|&action| transition(from, action, actor).is_ok())
                    .collect();
                assert_eq!(
                    available_actions(from, actor),
                    accepted,
                    "available_actions({from:?}, {actor:?})"
                );
            }
        }
    }

    #[test]
    fn available_actions_for_staff_follow_the_workflow() {
        assert_eq!(available_actions(Review, Staff), [Queue, Approve, Cancel]);
        assert_eq!(
            available_actions(Queued, Staff),
            [ReturnToReview, Approve, Cancel]
        );
        assert_eq!(available_actions(ReadyToShip, Staff), [Ship, Cancel]);
        assert_eq!(available_actions(ReadyForBilling, Staff), []);
        assert_eq!(available_actions(ReadyForBilling, Invoicing), [MarkBilled]);
    }

    #[test]
    fn final_states_offer_no_actions_to_anyone() {
        for status in TicketStatus::iter() {
            let offered = Actor::ALL
                .into_iter()
                .any(|actor| !available_actions(status, actor).is_empty());
            assert_eq!(is_final(status), !offered, "{status:?}");
        }
        assert!(is_final(Billed));
        assert!(is_final(Cancelled));
    }

    #[test]
    fn partners_may_only_cancel_and_only_in_review_or_queued() {
        for from in TicketStatus::iter() {
            let expected: &[Action] = match from {
                Review | Queued => &[Cancel],
                _ => &[],
            };
            assert_eq!(available_actions(from, Partner), expected, "{from:?}");
        }
    }

    #[test]
    fn partner_cannot_approve_a_ticket() {
        for from in TicketStatus::iter() {
            let err = transition(from, Approve, Partner).expect_err("partner approved");
            assert_eq!(err.code(), "FORBIDDEN", "{from:?}");
        }
        assert_eq!(
            transition(Review, Approve, Partner).map_err(|e| e.message()),
            Err(
                "only staff can approve a ticket; a partner can cancel a ticket \
                 while it is in REVIEW or QUEUED"
                    .to_owned()
            )
        );
    }

    #[test]
    fn partner_cannot_queue_ship_or_return_a_ticket_to_review() {
        for action in [Queue, ReturnToReview, Ship] {
            for from in TicketStatus::iter() {
                assert_eq!(
                    transition(from, action, Partner).map_err(|e| e.code()),
                    Err("FORBIDDEN"),
                    "{from:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn partner_can_cancel_a_ticket_in_review_or_queued() {
        assert_eq!(transition(Review, Cancel, Partner), Ok(Cancelled));
        assert_eq!(transition(Queued, Cancel, Partner), Ok(Cancelled));
    }

    #[test]
    fn partner_cannot_cancel_a_ticket_ready_to_ship_but_staff_can() {
        let err = transition(ReadyToShip, Cancel, Partner).expect_err("partner cancelled");
        assert_eq!(err.code(), "FORBIDDEN");
        assert_eq!(
            err.message(),
            "a ticket in READY_TO_SHIP can no longer be cancelled by its partner; \
             ask staff in a comment on the ticket to cancel it"
        );
        assert_eq!(transition(ReadyToShip, Cancel, Staff), Ok(Cancelled));
    }

    #[test]
    fn nobody_cancels_a_ticket_that_has_shipped() {
        for actor in [Partner, Staff] {
            let err = transition(ReadyForBilling, Cancel, actor).expect_err("cancelled");
            assert_eq!(
                err,
                TransitionError::NotAllowed {
                    from: ReadyForBilling,
                    action: Cancel
                }
            );
            assert_eq!(err.code(), "CONFLICT");
        }
    }

    #[test]
    fn only_invoicing_marks_a_ticket_billed() {
        assert_eq!(
            transition(ReadyForBilling, MarkBilled, Invoicing),
            Ok(Billed)
        );
        for actor in [Partner, Staff] {
            for from in TicketStatus::iter() {
                assert_eq!(
                    transition(from, MarkBilled, actor).map_err(|e| e.code()),
                    Err("FORBIDDEN"),
                    "{from:?} {actor:?}"
                );
            }
        }
        assert_eq!(
            transition(ReadyForBilling, MarkBilled, Staff).map_err(|e| e.message()),
            Err(
                "a ticket becomes BILLED only when the invoice for its order is paid; \
                 mark that invoice paid instead"
                    .to_owned()
            )
        );
    }

    #[test]
    fn invoicing_only_marks_shipped_tickets_billed() {
        for from in [Review, Queued, ReadyToShip] {
            assert_eq!(
                transition(from, MarkBilled, Invoicing),
                Err(TransitionError::NotAllowed {
                    from,
                    action: MarkBilled
                })
            );
        }
        for action in [Queue, ReturnToReview, Approve, Ship, Cancel] {
            assert_eq!(
                transition(ReadyForBilling, action, Invoicing).map_err(|e| e.code()),
                Err("FORBIDDEN"),
                "{action:?}"
            );
        }
    }

    #[test]
    fn staff_review_queue_and_approve_tickets() {
        assert_eq!(transition(Review, Queue, Staff), Ok(Queued));
        assert_eq!(transition(Queued, ReturnToReview, Staff), Ok(Review));
        assert_eq!(transition(Review, Approve, Staff), Ok(ReadyToShip));
        assert_eq!(transition(Queued, Approve, Staff), Ok(ReadyToShip));
    }

    #[test]
    fn shipping_is_the_only_way_from_ready_to_ship_to_ready_for_billing() {
        let reaching_ready_for_billing: Vec<_> = every_triple()
            .filter(|&(from, action, actor)| transition(from, action, actor) == Ok(ReadyForBilling))
            .collect();
        assert_eq!(reaching_ready_for_billing, [(ReadyToShip, Ship, Staff)]);
    }

    #[test]
    fn a_ticket_must_be_approved_before_it_ships() {
        let err = transition(Review, Ship, Staff).expect_err("shipped unreviewed");
        assert_eq!(err.code(), "CONFLICT");
        assert_eq!(
            err.message(),
            "a ticket in REVIEW must be approved (moved to READY_TO_SHIP) \
             before its order can be shipped"
        );
    }

    #[test]
    fn a_ticket_ready_to_ship_can_only_be_shipped_or_cancelled() {
        for action in [Queue, ReturnToReview] {
            let err = transition(ReadyToShip, action, Staff).expect_err("moved back");
            assert_eq!(err.code(), "CONFLICT");
            assert_eq!(
                err.message(),
                "a ticket in READY_TO_SHIP can only move to READY_FOR_BILLING by shipping \
                 its order, or be cancelled by staff"
            );
        }
    }

    #[test]
    fn billed_and_cancelled_tickets_never_change() {
        for from in [Billed, Cancelled] {
            for action in Action::ALL {
                for actor in Actor::ALL {
                    assert!(
                        transition(from, action, actor).is_err(),
                        "{from:?} {action:?} {actor:?}"
                    );
                }
            }
        }
        assert_eq!(
            transition(Billed, Cancel, Staff).map_err(|e| e.message()),
            Err("the ticket is BILLED, which is final: its status can no longer change".to_owned())
        );
    }

    #[test]
    fn repeating_an_action_reports_the_ticket_is_already_there() {
        assert_eq!(
            transition(Queued, Queue, Staff),
            Err(TransitionError::AlreadyIn { status: Queued })
        );
        assert_eq!(
            transition(Queued, Queue, Staff).map_err(|e| e.message()),
            Err("the ticket is already in QUEUED".to_owned())
        );
    }

    #[test]
    fn every_accepted_action_leads_to_its_target() {
        for (from, action, actor) in every_triple() {
            if let Ok(to) = transition(from, action, actor) {
                assert_eq!(to, action.target(), "{from:?} {action:?} {actor:?}");
                assert_ne!(to, from, "{from:?} {action:?} {actor:?}");
            }
        }
    }

    #[test]
    fn forbidden_is_about_the_role_and_conflict_about_the_status() {
        for (from, action, actor) in every_triple() {
            let Err(err) = transition(from, action, actor) else {
                continue;
            };
            let someone_may = Actor::ALL
                .into_iter()
                .any(|other| transition(from, action, other).is_ok());
            let expected = if matches!(err, TransitionError::RoleMayNot { .. }) {
                "FORBIDDEN"
            } else {
                "CONFLICT"
            };
            assert_eq!(err.code(), expected, "{from:?} {action:?} {actor:?}");
            // A CONFLICT means nobody could take this step from here.
            if err.code() == "CONFLICT" {
                assert!(!someone_may, "{from:?} {action:?} {actor:?}");
            }
        }
    }

    #[test]
    fn the_api_error_carries_the_same_code_and_message() {
        for (from, action, actor) in every_triple() {
            if let Err(err) = transition(from, action, actor) {
                let app = AppError::from(err);
                assert_eq!(app.code(), err.code(), "{from:?} {action:?} {actor:?}");
                assert_eq!(app.message(), err.message());
            }
        }
    }

    #[test]
    fn every_refusal_has_a_readable_message() {
        for (from, action, actor) in every_triple() {
            if let Err(err) = transition(from, action, actor) {
                let message = err.message();
                assert!(
                    message.starts_with(char::is_lowercase)
                        && !message.ends_with('.')
                        && !message.contains("  ")
                        && !message.contains("Review")
                        && !message.contains("Actor"),
                    "{from:?} {action:?} {actor:?}: {message:?}"
                );
            }
        }
    }

    #[test]
    fn staff_and_admin_act_as_staff_and_partner_roles_as_partner() {
        assert_eq!(Actor::from(Role::PartnerMember), Partner);
        assert_eq!(Actor::from(Role::PartnerManager), Partner);
        assert_eq!(Actor::from(Role::Staff), Staff);
        assert_eq!(Actor::from(Role::Admin), Staff);
    }

    #[test]
    fn messages_spell_statuses_as_the_api_does() {
        for status in TicketStatus::iter() {
            assert_eq!(api_name(status), status.to_value());
        }
    }
}
