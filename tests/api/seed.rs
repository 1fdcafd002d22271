//! The demo data: every role, every status, an invoice, working logins, a
//! history the workflow allows, and no email.

use std::collections::BTreeMap;

use entity::enums::{
    BillingMode, CommentVisibility, InvoiceStatus, Role, TicketEventKind, TicketStatus,
    TicketVisibility,
};
use entity::{
    comments, email_outbox, invoice_lines, invoices, orders, organisations, ticket_events, tickets,
    users,
};
use partnerdesk::seed::seed_if_empty;
use partnerdesk::tickets::workflow::{self, Action, Actor};
use sea_orm::{
    ColumnTrait as _, DatabaseConnection, EntityTrait as _, PaginatorTrait as _, QueryFilter as _,
    QueryOrder as _,
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
    demo_invoices_are_what_the_invoicing_service_issues(db).await;

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

    // A learning order carries its training certificate.
    let learning = orders::Entity::find()
        .filter(orders::Column::ForLearning.eq(true))
        .all(db)
        .await
        .expect("orders");
    assert!(!learning.is_empty(), "learning orders");
    for order in &learning {
        let files = entity::attachments::Entity::find()
            .filter(entity::attachments::Column::TicketId.eq(order.ticket_id))
            .count(db)
            .await
            .expect("attachments");
        assert_eq!(files, 1, "the certificate of ticket {}", order.ticket_id);
    }
    // The history is truthful: no ticket changed after its `updated_at`.
    for ticket in &all_tickets {
        let last = ticket_events::Entity::find()
            .filter(ticket_events::Column::TicketId.eq(ticket.id))
            .order_by_desc(ticket_events::Column::CreatedAt)
            .one(db)
            .await
            .expect("events")
            .expect("an event");
        assert!(
            last.created_at <= ticket.updated_at,
            "{}: {:?} at {} after updatedAt {}",
            ticket.reference,
            last.kind,
            last.created_at,
            ticket.updated_at
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

/// The seed's invoices come from the invoicing service: consecutive numbers
/// per year in order of issue, one INVOICED event per line, lines that add
/// up, each order on one invoice at most, paid invoices' tickets BILLED and
/// only theirs.
async fn demo_invoices_are_what_the_invoicing_service_issues(db: &DatabaseConnection) {
    let all = invoices::Entity::find()
        .order_by_asc(invoices::Column::IssuedAt)
        .order_by_asc(invoices::Column::Id)
        .all(db)
        .await
        .expect("invoices");
    let mut per_year: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for invoice in &all {
        let (year, n) = invoice.number.split_once('-').expect("YYYY-NNNNNN");
        per_year
            .entry(year.to_owned())
            .or_default()
            .push(n.parse().expect("a number"));
    }
    for (year, numbers) in per_year {
        let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
        assert_eq!(
            numbers, expected,
            "consecutive in {year}, in order of issue"
        );
    }
    assert!(
        all.iter().any(|i| i.status == InvoiceStatus::Paid),
        "some paid"
    );
    assert!(
        all.iter().any(|i| i.status == InvoiceStatus::Issued),
        "some open"
    );
    assert!(all.iter().any(|i| i.billing_mode == BillingMode::Quarterly));
    assert!(all.iter().any(|i| i.billing_mode == BillingMode::PerOrder));
    let lines = invoice_lines::Entity::find().all(db).await.expect("lines");
    let invoiced = ticket_events::Entity::find()
        .filter(ticket_events::Column::Kind.eq(TicketEventKind::Invoiced))
        .count(db)
        .await
        .expect("events");
    assert_eq!(invoiced, lines.len() as u64, "one INVOICED event per line");
    for invoice in &all {
        let of_invoice: Vec<&invoice_lines::Model> = lines
            .iter()
            .filter(|l| l.invoice_id == invoice.id)
            .collect();
        assert!(!of_invoice.is_empty(), "{} has lines", invoice.number);
        let amounts: i64 = of_invoice.iter().map(|l| l.amount_cents).sum();
        assert_eq!(amounts, invoice.subtotal_cents, "{}", invoice.number);
        assert_eq!(
            invoice.subtotal_cents + invoice.vat_cents,
            invoice.total_cents
        );
        for line in of_invoice {
            let ticket = tickets::Entity::find_by_id(line.ticket_id)
                .one(db)
                .await
                .expect("read")
                .expect("ticket");
            let expected = if invoice.status == InvoiceStatus::Paid {
                TicketStatus::Billed
            } else {
                TicketStatus::ReadyForBilling
            };
            assert_eq!(
                ticket.status, expected,
                "{} on {}",
                ticket.reference, invoice.number
            );
        }
    }
    let mut orders_invoiced: Vec<i64> = lines.iter().map(|l| l.order_id).collect();
    orders_invoiced.sort_unstable();
    orders_invoiced.dedup();
    assert_eq!(
        orders_invoiced.len(),
        lines.len(),
        "each order on one invoice"
    );
    let billed = tickets::Entity::find()
        .filter(tickets::Column::Status.eq(TicketStatus::Billed))
        .count(db)
        .await
        .expect("billed");
    let paid_lines = lines
        .iter()
        .filter(|l| {
            all.iter()
                .any(|i| i.id == l.invoice_id && i.status == InvoiceStatus::Paid)
        })
        .count();
    assert_eq!(billed, paid_lines as u64, "BILLED exactly when paid");
    assert_eq!(
        email_outbox::Entity::find()
            .count(db)
            .await
            .expect("emails"),
        0,
        "the demo queues no email"
    );
}
