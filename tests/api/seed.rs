//! The demo data: every role, every status, an invoice, working logins, a
//! history the workflow allows, and no email.

use entity::enums::{
    BillingMode, CommentVisibility, Role, TicketEventKind, TicketStatus, TicketVisibility,
};
use entity::{
    comments, email_outbox, invoices, orders, organisations, ticket_events, tickets, users,
};
use partnerdesk::seed::seed_if_empty;
use partnerdesk::tickets::workflow::{self, Action, Actor};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _,
};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn seed_fills_an_empty_database_once() {
    let app = spawn_app().await;
    let logins = seed_if_empty(&app.state)
        .await
        .expect("seed")
        .expect("seeded");
    assert!(
        seed_if_empty(&app.state)
            .await
            .expect("second run")
            .is_none(),
        "seeds only an empty database"
    );

    let db = &app.state.db;
    let orgs = organisations::Entity::find().all(db).await.expect("orgs");
    assert_eq!(orgs.len(), 4, "the provider and three partners");
    let visibilities: Vec<_> = orgs.iter().map(|o| o.ticket_visibility).collect();
    assert!(visibilities.contains(&TicketVisibility::CreatorOnly));
    assert!(visibilities.contains(&TicketVisibility::Organisation));
    let billing: Vec<_> = orgs.iter().map(|o| o.billing_mode).collect();
    assert!(billing.contains(&BillingMode::PerOrder));
    assert!(billing.contains(&BillingMode::Quarterly));

    let all_users = users::Entity::find().all(db).await.expect("users");
    for role in [
        Role::Admin,
        Role::Staff,
        Role::PartnerManager,
        Role::PartnerMember,
    ] {
        assert!(
            all_users.iter().any(|u| u.role == role),
            "a user with role {role:?}"
        );
    }
    assert_eq!(logins.len(), all_users.len(), "every login is printed");

    let all_tickets = tickets::Entity::find().all(db).await.expect("tickets");
    assert!(
        (45..=60).contains(&all_tickets.len()),
        "about fifty tickets: {}",
        all_tickets.len()
    );
    for status in [
        TicketStatus::Review,
        TicketStatus::Queued,
        TicketStatus::ReadyToShip,
        TicketStatus::ReadyForBilling,
        TicketStatus::Billed,
        TicketStatus::Cancelled,
    ] {
        assert!(
            all_tickets.iter().any(|t| t.status == status),
            "a ticket in {status:?}"
        );
    }
    assert!(orders::Entity::find().count(db).await.expect("orders") >= 45);
    assert!(comments::Entity::find().count(db).await.expect("comments") > 0);
    assert!(invoices::Entity::find().count(db).await.expect("invoices") >= 1);

    // Seeding told nobody anything.
    assert_eq!(
        email_outbox::Entity::find()
            .count(db)
            .await
            .expect("outbox"),
        0,
        "seeding queues no email"
    );

    // Every ticket's history chains from CREATED in REVIEW to its status,
    // each step one the workflow allows.
    let history = ticket_events::Entity::find()
        .order_by_asc(ticket_events::Column::Id)
        .all(db)
        .await
        .expect("events");
    for ticket in &all_tickets {
        let changes: Vec<_> = history
            .iter()
            .filter(|e| e.ticket_id == ticket.id && e.to_status.is_some())
            .collect();
        let (first, rest) = changes
            .split_first()
            .unwrap_or_else(|| panic!("{} has no CREATED event", ticket.reference));
        assert_eq!(
            (first.kind, first.from_status, first.to_status),
            (TicketEventKind::Created, None, Some(TicketStatus::Review)),
            "{}",
            ticket.reference
        );
        let mut status = TicketStatus::Review;
        for change in rest {
            assert_eq!(change.from_status, Some(status), "{}", ticket.reference);
            let to = change.to_status.expect("a change of status");
            assert!(
                Action::ALL
                    .iter()
                    .any(|action| Actor::ALL.iter().any(|actor| workflow::transition(
                        ticket.kind,
                        status,
                        *action,
                        *actor
                    )
                    .is_ok_and(|t| t == to))),
                "{}: {status:?} to {to:?} is no step of the workflow",
                ticket.reference
            );
            status = to;
        }
        assert_eq!(status, ticket.status, "{}", ticket.reference);
        assert_eq!(
            ticket.version as usize,
            rest.len(),
            "{}: one version per change",
            ticket.reference
        );
    }
    let mut references: Vec<u64> = all_tickets
        .iter()
        .filter_map(|t| t.reference.strip_prefix("GEM-")?.parse().ok())
        .collect();
    references.sort_unstable();
    assert_eq!(
        references,
        (1..=all_tickets.len() as u64).collect::<Vec<_>>(),
        "references from the GEM counter"
    );
    for visibility in [CommentVisibility::Public, CommentVisibility::Internal] {
        assert!(
            comments::Entity::find()
                .filter(comments::Column::Visibility.eq(visibility))
                .count(db)
                .await
                .expect("comments")
                > 0,
            "{visibility:?} comments"
        );
    }

    // The printed logins work.
    let admin = logins
        .iter()
        .find(|l| l.email.starts_with("admin@"))
        .expect("admin login");
    let token = app.login(&admin.email, &admin.password).await;
    let body = app
        .graphql("{ viewer { role } }", json!({}), Some(&token))
        .await;
    assert_eq!(body["data"]["viewer"]["role"], "ADMIN");
}
