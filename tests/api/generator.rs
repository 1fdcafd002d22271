//! The data generator (`seed --scale`), at small scale: the counts its
//! scale specifies, the same rows from the same seed, a history the
//! workflow and the invoicing rules allow for every status, and an
//! application that carries on where the data ends.

use std::collections::{BTreeMap, HashMap};

use entity::enums::{
    BillingMode, CommentVisibility, InvoiceStatus, NoteTemplate, Role, SubjectTemplate,
    TicketEventKind, TicketKind, TicketStatus, TicketVisibility,
};
use entity::{
    attachments, comments, counters, email_outbox, invoice_lines, invoices, orders, organisations,
    ticket_events, tickets, users,
};
use partnerdesk::invoices::billing::{Quarter, zurich_date};
use partnerdesk::seed::generator::{self, Generated, Options, Progress, Scale};
use partnerdesk::tickets::workflow::{self, Action, Actor};
use sea_orm::{
    DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait as _,
    QueryOrder as _, Statement,
};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

async fn generate(app: &TestApp, seed: u64, wipe: bool) -> Option<Generated> {
    generator::generate(
        &app.state,
        Options {
            scale: Scale::Small,
            seed,
            wipe,
        },
        &Progress::Quiet,
    )
    .await
    .expect("generate")
}

async fn count<E>(db: &DatabaseConnection) -> usize
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(db).await.expect("count") as usize
}

#[tokio::test]
async fn small_scale_has_the_counts_its_scale_specifies() {
    let app = spawn_app().await;
    let generated = generate(&app, 7, false).await.expect("generated");
    let db = &app.state.db;
    let sizes = Scale::Small.sizes();
    let c = generated.counts;

    assert_eq!(count::<organisations::Entity>(db).await, sizes.partners + 1);
    assert_eq!(count::<users::Entity>(db).await, sizes.users);
    assert_eq!(count::<tickets::Entity>(db).await, sizes.tickets);
    assert_eq!(count::<comments::Entity>(db).await, sizes.comments);
    assert_eq!(c.organisations, sizes.partners + 1);
    assert_eq!(c.users, sizes.users);
    assert_eq!(c.tickets, sizes.tickets);
    assert_eq!(c.comments, sizes.comments);
    // The derived tables hold what the run reported.
    assert_eq!(count::<orders::Entity>(db).await, c.orders);
    assert_eq!(count::<ticket_events::Entity>(db).await, c.ticket_events);
    assert_eq!(count::<attachments::Entity>(db).await, c.attachments);
    assert_eq!(count::<invoices::Entity>(db).await, c.invoices);
    assert_eq!(count::<invoice_lines::Entity>(db).await, c.invoice_lines);
    for (what, n) in [
        ("orders", c.orders),
        ("events", c.ticket_events),
        ("attachments", c.attachments),
        ("invoices", c.invoices),
        ("invoice lines", c.invoice_lines),
    ] {
        assert!(n > 0, "some {what}");
    }
    assert_eq!(count::<email_outbox::Entity>(db).await, 0, "no email");

    // The largest partner holds the tickets its scale says.
    let per_org = tickets::Entity::find()
        .all(db)
        .await
        .expect("tickets")
        .into_iter()
        .fold(BTreeMap::<i64, usize>::new(), |mut m, t| {
            *m.entry(t.organisation_id).or_default() += 1;
            m
        });
    assert_eq!(
        per_org.values().max().copied(),
        Some(sizes.largest_partner_tickets)
    );

    // Organisations of both visibilities and both billing modes, users of
    // every role.
    let orgs = organisations::Entity::find().all(db).await.expect("orgs");
    for visibility in [
        TicketVisibility::Organisation,
        TicketVisibility::CreatorOnly,
    ] {
        assert!(orgs.iter().any(|o| o.ticket_visibility == visibility));
    }
    for mode in [BillingMode::PerOrder, BillingMode::Quarterly] {
        assert!(
            orgs.iter()
                .any(|o| o.billing_mode == mode && o.price_standard_cents > 0)
        );
    }
    let all_users = users::Entity::find().all(db).await.expect("users");
    for role in [
        Role::Admin,
        Role::Staff,
        Role::PartnerManager,
        Role::PartnerMember,
    ] {
        assert!(all_users.iter().any(|u| u.role == role), "{role:?}");
    }
    // Logins: one of each role, a manager and a member in the largest and
    // the smallest partner of each visibility.
    assert_eq!(generated.logins.len(), 2 + 2 * 2 * 2);
    for login in &generated.logins {
        assert!(
            all_users
                .iter()
                .any(|u| u.email == login.email && u.role == login.role)
        );
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_rows() {
    let (first, second, other) = (spawn_app().await, spawn_app().await, spawn_app().await);
    generate(&first, 11, false).await.expect("first");
    generate(&second, 11, false).await.expect("second");
    generate(&other, 12, false).await.expect("other seed");
    let (a, b, c) = (&first.state.db, &second.state.db, &other.state.db);

    async fn rows<E: EntityTrait>(db: &DatabaseConnection) -> Vec<E::Model> {
        let key = <E::Column as sea_orm::Iterable>::iter()
            .next()
            .expect("a column");
        E::find().order_by_asc(key).all(db).await.expect("rows")
    }
    assert_eq!(
        rows::<organisations::Entity>(a).await,
        rows::<organisations::Entity>(b).await
    );
    // Every user shares one random password per run: the hashes differ.
    let without_hash = |users: Vec<users::Model>| {
        users
            .into_iter()
            .map(|u| users::Model {
                password_hash: None,
                ..u
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_hash(rows::<users::Entity>(a).await),
        without_hash(rows::<users::Entity>(b).await)
    );
    assert_eq!(
        rows::<tickets::Entity>(a).await,
        rows::<tickets::Entity>(b).await
    );
    assert_eq!(
        rows::<orders::Entity>(a).await,
        rows::<orders::Entity>(b).await
    );
    assert_eq!(
        rows::<ticket_events::Entity>(a).await,
        rows::<ticket_events::Entity>(b).await
    );
    assert_eq!(
        rows::<comments::Entity>(a).await,
        rows::<comments::Entity>(b).await
    );
    assert_eq!(
        rows::<attachments::Entity>(a).await,
        rows::<attachments::Entity>(b).await
    );
    assert_eq!(
        rows::<invoices::Entity>(a).await,
        rows::<invoices::Entity>(b).await
    );
    assert_eq!(
        rows::<invoice_lines::Entity>(a).await,
        rows::<invoice_lines::Entity>(b).await
    );
    assert_eq!(
        rows::<counters::Entity>(a).await,
        rows::<counters::Entity>(b).await
    );
    assert_ne!(
        rows::<tickets::Entity>(a).await,
        rows::<tickets::Entity>(c).await,
        "another seed, other data"
    );
}

#[tokio::test]
async fn a_database_with_data_is_left_alone_unless_wiped() {
    let app = spawn_app().await;
    let first = generate(&app, 3, false).await.expect("generated");
    assert!(
        generate(&app, 3, false).await.is_none(),
        "nothing written over existing data"
    );
    let db = &app.state.db;
    assert_eq!(count::<tickets::Entity>(db).await, first.counts.tickets);

    // Wiping starts over: the same rows, not twice as many, ids from 1.
    let before = tickets::Entity::find()
        .order_by_asc(tickets::Column::Id)
        .all(db)
        .await
        .expect("tickets");
    let again = generate(&app, 3, true).await.expect("wiped and generated");
    assert_eq!(again.counts, first.counts);
    let after = tickets::Entity::find()
        .order_by_asc(tickets::Column::Id)
        .all(db)
        .await
        .expect("tickets");
    assert_eq!(before, after);
    assert_eq!(count::<users::Entity>(db).await, Scale::Small.sizes().users);
}

/// Every index and constraint of the database, as the database describes
/// it.
async fn schema_objects(db: &DatabaseConnection) -> Vec<String> {
    #[derive(FromQueryResult)]
    struct Definition {
        definition: String,
    }
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT indexdef AS definition FROM pg_indexes WHERE schemaname = 'public' \
             UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || \
             pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
             ORDER BY 1"
        }
        _ => {
            "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') AS definition \
             FROM sqlite_master ORDER BY 1"
        }
    };
    Definition::find_by_statement(Statement::from_string(backend, sql))
        .all(db)
        .await
        .expect("schema")
        .into_iter()
        .map(|d| d.definition)
        .collect()
}

/// On PostgreSQL the load builds the secondary indexes and checks the
/// foreign keys after the rows are in: they come back exactly as the
/// migrations made them, every one of them.
#[tokio::test]
async fn the_schema_is_the_same_after_a_load() {
    let app = spawn_app().await;
    let before = schema_objects(&app.state.db).await;
    assert!(
        before
            .iter()
            .any(|d| d.contains("ix_ticket_events_ticket_id_created_at")),
        "{before:?}"
    );
    generate(&app, 4, false).await.expect("generated");
    assert_eq!(schema_objects(&app.state.db).await, before);
    generate(&app, 4, true).await.expect("wiped and generated");
    assert_eq!(schema_objects(&app.state.db).await, before);
}

/// Every status has what the workflow and the invoicing rules say it has.
#[tokio::test]
async fn every_status_is_consistent_with_the_workflow_and_invoicing() {
    let app = spawn_app().await;
    let generated = generate(&app, 5, false).await.expect("generated");
    let db = &app.state.db;
    let now = app.now();
    let all_tickets = tickets::Entity::find()
        .order_by_asc(tickets::Column::Id)
        .all(db)
        .await
        .expect("tickets");
    let orgs: HashMap<i64, organisations::Model> = organisations::Entity::find()
        .all(db)
        .await
        .expect("orgs")
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let all_orders: HashMap<i64, orders::Model> = orders::Entity::find()
        .all(db)
        .await
        .expect("orders")
        .into_iter()
        .map(|o| (o.ticket_id, o))
        .collect();
    let all_invoices: HashMap<i64, invoices::Model> = invoices::Entity::find()
        .all(db)
        .await
        .expect("invoices")
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let lines = invoice_lines::Entity::find().all(db).await.expect("lines");
    let history = ticket_events::Entity::find()
        .order_by_asc(ticket_events::Column::Id)
        .all(db)
        .await
        .expect("events");
    let files = attachments::Entity::find().all(db).await.expect("files");
    let all_comments = comments::Entity::find().all(db).await.expect("comments");
    let all_users: HashMap<i64, users::Model> = users::Entity::find()
        .all(db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| (u.id, u))
        .collect();

    let mut statuses = std::collections::HashSet::new();
    for (n, ticket) in all_tickets.iter().enumerate() {
        let reference = &ticket.reference;
        assert_eq!(reference, &format!("GEM-{}", n + 1), "numbered in order");
        statuses.insert(ticket.status);
        let org = &orgs[&ticket.organisation_id];
        let creator = &all_users[&ticket.created_by_id];
        assert_eq!(creator.organisation_id, org.id, "{reference}: a colleague");
        assert!(ticket.created_at < now && ticket.updated_at < now);

        // The history chains from CREATED in REVIEW to the status, each
        // step one the workflow allows, one version each.
        let events: Vec<_> = history
            .iter()
            .filter(|e| e.ticket_id == ticket.id)
            .collect();
        let (first, rest) = events.split_first().expect("a CREATED event");
        assert_eq!(
            (first.kind, first.to_status),
            (TicketEventKind::Created, Some(TicketStatus::Review))
        );
        let mut status = TicketStatus::Review;
        let mut changes = 0;
        let mut last = first.created_at;
        for event in rest {
            assert!(event.created_at >= last, "{reference}: in order of time");
            last = event.created_at;
            assert_eq!(event.organisation_id, ticket.organisation_id);
            if let Some(to) = event.to_status {
                assert_eq!(event.from_status, Some(status), "{reference}");
                assert!(
                    Action::ALL
                        .iter()
                        .any(|action| Actor::ALL.iter().any(|actor| {
                            workflow::transition(ticket.kind, status, *action, *actor)
                                .is_ok_and(|t| t == to)
                        })),
                    "{reference}: {status:?} to {to:?}"
                );
                status = to;
                changes += 1;
            }
        }
        assert_eq!(status, ticket.status, "{reference}");
        assert_eq!(ticket.version, changes, "{reference}");
        assert_eq!(
            ticket.updated_at,
            last.max(ticket.created_at),
            "{reference}"
        );

        // One COMMENTED event per PUBLIC comment, none for INTERNAL notes.
        let public = all_comments
            .iter()
            .filter(|c| c.ticket_id == ticket.id && c.visibility == CommentVisibility::Public)
            .count();
        let commented = events
            .iter()
            .filter(|e| e.kind == TicketEventKind::Commented)
            .count();
        assert_eq!(public, commented, "{reference}");
        for comment in all_comments.iter().filter(|c| c.ticket_id == ticket.id) {
            let author = &all_users[&comment.author_id];
            match author.role {
                Role::Staff | Role::Admin => {}
                _ => {
                    assert_eq!(comment.visibility, CommentVisibility::Public);
                    assert_eq!(author.organisation_id, ticket.organisation_id);
                }
            }
        }

        let order = all_orders.get(&ticket.id);
        let ticket_lines: Vec<_> = lines.iter().filter(|l| l.ticket_id == ticket.id).collect();
        match ticket.kind {
            TicketKind::LaptopOrder => {
                let order = order.unwrap_or_else(|| panic!("{reference} has its order"));
                assert_eq!(
                    (ticket.subject_template, ticket.subject_param.as_deref()),
                    (
                        Some(SubjectTemplate::LaptopOrder),
                        Some(order.recipient_name.as_str())
                    ),
                    "{reference}: the server's subject, as a catalogue key"
                );
                let certificates = files.iter().filter(|f| f.ticket_id == ticket.id).count();
                assert_eq!(certificates, usize::from(order.for_learning), "{reference}");
            }
            TicketKind::DeliveryIssue => {
                assert!(order.is_none());
                let related = ticket.related_ticket_id.expect("about an order");
                let shipped = all_orders[&related].shipped_at.expect("a shipped order");
                assert!(shipped < ticket.created_at, "{reference}");
            }
            TicketKind::Other => assert!(order.is_none()),
        }
        let shipped = order.and_then(|o| o.shipped_at);
        match ticket.status {
            TicketStatus::Review
            | TicketStatus::Queued
            | TicketStatus::ReadyToShip
            | TicketStatus::Cancelled => {
                assert_eq!(shipped, None, "{reference}: not shipped");
                assert!(ticket_lines.is_empty(), "{reference}: not invoiced");
            }
            TicketStatus::ReadyForBilling | TicketStatus::Billed => {
                let order = order.expect("an order");
                let shipped = shipped.expect("shipped");
                assert!(order.device_model.is_some() && order.serial_number.is_some());
                let line = ticket_lines.first().copied();
                match (org.billing_mode, line) {
                    (_, Some(line)) => {
                        assert_eq!(ticket_lines.len(), 1);
                        let invoice = &all_invoices[&line.invoice_id];
                        assert!(line.is_live);
                        assert_eq!(line.order_id, order.id);
                        assert_eq!(&line.reference, reference);
                        assert_eq!(invoice.organisation_id, org.id);
                        assert_eq!(invoice.billing_mode, org.billing_mode);
                        assert_eq!(
                            ticket.status == TicketStatus::Billed,
                            invoice.status == InvoiceStatus::Paid,
                            "{reference}: BILLED exactly when paid"
                        );
                        assert!(invoice.issued_at >= shipped);
                    }
                    (BillingMode::PerOrder, None) => {
                        panic!("{reference}: a PER_ORDER shipment is invoiced at once")
                    }
                    (BillingMode::Quarterly, None) => {
                        assert_eq!(ticket.status, TicketStatus::ReadyForBilling);
                        assert!(
                            !Quarter::containing(shipped).is_over_at(now),
                            "{reference}: its quarter is not over"
                        );
                    }
                }
            }
        }
    }
    for status in [
        TicketStatus::Review,
        TicketStatus::ReadyForBilling,
        TicketStatus::Billed,
        TicketStatus::Cancelled,
    ] {
        assert!(statuses.contains(&status), "a ticket in {status:?}");
    }

    // Invoices: lines add up, numbers consecutive per year in order of
    // issue, the counters where they end.
    let mut by_issue: Vec<&invoices::Model> = all_invoices.values().collect();
    by_issue.sort_by_key(|i| (i.issued_at, i.id));
    let mut per_year: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for invoice in by_issue {
        let of_invoice: Vec<_> = lines
            .iter()
            .filter(|l| l.invoice_id == invoice.id)
            .collect();
        assert!(!of_invoice.is_empty());
        let amounts: i64 = of_invoice.iter().map(|l| l.amount_cents).sum();
        assert_eq!(amounts, invoice.subtotal_cents, "{}", invoice.number);
        assert_eq!(
            invoice.subtotal_cents + invoice.vat_cents,
            invoice.total_cents
        );
        let (year, n) = invoice.number.split_once('-').expect("YYYY-NNNNNN");
        let year: i32 = year.parse().expect("year");
        assert_eq!(
            year,
            chrono::Datelike::year(&zurich_date(invoice.issued_at))
        );
        per_year
            .entry(year)
            .or_default()
            .push(n.parse().expect("n"));
        let invoiced = history
            .iter()
            .filter(|e| {
                e.kind == TicketEventKind::Invoiced
                    && e.note_template == Some(NoteTemplate::InvoiceIssued)
                    && e.note_param.as_deref() == Some(invoice.number.as_str())
            })
            .count();
        assert_eq!(invoiced, of_invoice.len(), "one INVOICED event per line");
    }
    let all_counters: HashMap<String, i64> = counters::Entity::find()
        .all(db)
        .await
        .expect("counters")
        .into_iter()
        .map(|c| (c.name, c.value))
        .collect();
    for (year, numbers) in per_year {
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
        assert_eq!(
            all_counters[&format!("invoice-{year}")],
            numbers.len() as i64
        );
    }
    assert_eq!(all_counters["gem"], generated.counts.tickets as i64);
}

/// The application carries on where the data ends: a printed login works
/// with the printed password, lists its organisation's tickets, and an
/// order gets the next GEM number (and fresh ids on PostgreSQL).
#[tokio::test]
async fn the_app_works_on_generated_data() {
    let app = spawn_app().await;
    let generated = generate(&app, 9, false).await.expect("generated");
    let member = generated
        .logins
        .iter()
        .find(|l| {
            l.role == Role::PartnerMember
                && l.visibility == Some(TicketVisibility::Organisation)
                && l.size == Some("largest")
        })
        .expect("a member of the largest ORGANISATION partner");
    let token = app.login(&member.email, &generated.password).await;
    let body = app
        .graphql(
            "{ tickets(first: 20) { totalCount edges { node { reference organisation { name } \
             createdBy { displayName } order { recipientName city } \
             comments(last: 3) { edges { node { author { displayName } } } } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["tickets"]["totalCount"],
        json!(member.tickets),
        "the whole organisation's tickets"
    );
    assert_eq!(
        body["data"]["tickets"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        20.min(member.tickets)
    );

    let order = app
        .graphql(
            "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { reference } } }",
            json!({ "input": {
                "recipientName": "Nora Keller", "street": "Bahnhofstrasse 1",
                "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
            }}),
            Some(&token),
        )
        .await;
    assert_eq!(
        order["data"]["orderLaptop"]["ticket"]["reference"],
        json!(format!("GEM-{}", generated.counts.tickets + 1)),
        "{order}"
    );

    let staff = generated
        .logins
        .iter()
        .find(|l| l.role == Role::Staff)
        .expect("a staff login");
    let staff_token = app.login(&staff.email, &generated.password).await;
    let body = app
        .graphql("{ tickets { totalCount } }", json!({}), Some(&staff_token))
        .await;
    assert_eq!(
        body["data"]["tickets"]["totalCount"],
        json!(generated.counts.tickets + 1)
    );
}
