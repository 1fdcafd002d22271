//! The demo data: every role, every status, an invoice, working logins.

use entity::enums::{BillingMode, Role, TicketStatus, TicketVisibility};
use entity::{comments, invoices, orders, organisations, tickets, users};
use partnerdesk::seed::seed_if_empty;
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
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
