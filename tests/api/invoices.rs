//! Invoicing: PER_ORDER invoices issued with the shipment, quarterly runs
//! in the Zurich calendar, numbers, payment and void, the CSV and the
//! email, and who sees what of it.

use chrono::{DateTime, Utc};
use entity::enums::{BillingMode, EmailKind, InvoiceStatus, TicketStatus};
use entity::{
    email_outbox, invoice_lines, invoices, orders, organisations, ticket_events, tickets,
};
use partnerdesk::clock::Clock as _;
use partnerdesk::relay::{from_global_id, to_global_id};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, EntityTrait as _, IntoActiveModel as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _,
};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use crate::helpers::{TestApp, World, error_code, world};

const ORDER: &str = "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }";
const APPROVE: &str = "mutation($id: ID!) { transitionTicket(input: {ticketId: $id, to: READY_TO_SHIP}) { ticket { status } } }";
const SHIP: &str = "mutation($id: ID!, $at: DateTime!) { shipOrder(input: {ticketId: $id, deviceModel: \"Lenovo ThinkPad T480\", serialNumber: \"SN1\", shippedAt: $at}) { ticket { status } } }";
const QUARTERLY: &str = "mutation($y: Int!, $q: Int!) { issueQuarterlyInvoices(year: $y, quarter: $q) { quarter summary invoices { id number organisation { name } lines { totalCount nodes { reference } } } } }";
const PAY: &str = "mutation($id: ID!, $at: DateTime!) { markInvoicePaid(id: $id, paidAt: $at) { invoice { status paidAt } } }";
const VOID: &str = "mutation($id: ID!, $r: String!) { voidInvoice(id: $id, reason: $r) { invoice { status voidReason } } }";
const REISSUE: &str =
    "mutation($id: ID!) { reissueInvoice(ticketId: $id) { invoice { id number status } } }";
const INVOICE: &str = "query($id: ID!) { invoice(id: $id) {
  id number status billingMode periodStart periodEnd currency subtotalCents vatRateBasisPoints
  vatCents totalCents billingEmail billingAddress issuedAt paidAt voidedAt voidReason csvUrl
  organisation { name }
  lines { totalCount nodes { id reference internalReference enteredAt shippedAt deviceModel
          deliveryAddress forLearning amountCents vatCents isLive ticket { reference }
          invoice { number } } }
} }";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a timestamp")
        .with_timezone(&Utc)
}

/// A world with its tokens.
struct Desk {
    w: World,
    staff: String,
    manager: String,
    member: String,
    beta_member: String,
}

async fn desk() -> Desk {
    let w = world().await;
    let staff = w.token(&w.staff).await;
    let manager = w.token(&w.manager).await;
    let member = w.token(&w.member).await;
    let beta_member = w.token(&w.beta_member).await;
    Desk {
        w,
        staff,
        manager,
        member,
        beta_member,
    }
}

impl Desk {
    fn app(&self) -> &TestApp {
        &self.w.app
    }

    async fn ok(&self, query: &str, variables: Value, token: &str) -> Value {
        let body = self.app().graphql(query, variables, Some(token)).await;
        assert!(body["errors"].is_null(), "{query}: {body}");
        body["data"].clone()
    }

    /// `token`'s user orders a laptop; returns the ticket's global id.
    async fn order(&self, token: &str, internal_reference: &str) -> String {
        let data = self
            .ok(
                ORDER,
                json!({ "input": {
                    "recipientName": "Zoé Müller", "street": "Rue du Lac 3",
                    "postalCode": "1003", "city": "Lausanne", "phone": "+41 21 123 45 67",
                    "internalReference": internal_reference
                } }),
                token,
            )
            .await;
        data["orderLaptop"]["ticket"]["id"]
            .as_str()
            .expect("a ticket id")
            .to_owned()
    }

    /// Orders, approves and ships at `shipped_at`; returns the ticket id.
    async fn shipped(&self, token: &str, internal_reference: &str, shipped_at: &str) -> String {
        let id = self.order(token, internal_reference).await;
        self.ship(&id, shipped_at).await;
        id
    }

    async fn ship(&self, id: &str, shipped_at: &str) {
        self.ok(APPROVE, json!({ "id": id }), &self.staff).await;
        let data = self
            .ok(SHIP, json!({ "id": id, "at": shipped_at }), &self.staff)
            .await;
        assert_eq!(data["shipOrder"]["ticket"]["status"], "READY_FOR_BILLING");
    }

    async fn set_mode(&self, organisation: &organisations::Model, mode: BillingMode) {
        let mut row = organisations::Entity::find_by_id(organisation.id)
            .one(&self.app().state.db)
            .await
            .expect("read")
            .expect("organisation")
            .into_active_model();
        row.billing_mode = Set(mode);
        row.update(&self.app().state.db).await.expect("update");
    }

    /// Moves the test clock to `to` if it is earlier.
    fn clock_to(&self, to: &str) {
        let now = self.app().clock.now();
        let to = at(to);
        if to > now {
            self.app().clock.advance(to - now);
        }
    }

    async fn quarterly(&self, year: i32, quarter: i32, token: &str) -> Value {
        self.app()
            .graphql(QUARTERLY, json!({ "y": year, "q": quarter }), Some(token))
            .await
    }

    async fn invoices(&self) -> Vec<invoices::Model> {
        invoices::Entity::find()
            .order_by_asc(invoices::Column::Id)
            .all(&self.app().state.db)
            .await
            .expect("invoices")
    }

    async fn live_lines(&self) -> Vec<invoice_lines::Model> {
        invoice_lines::Entity::find()
            .filter(invoice_lines::Column::IsLive.eq(true))
            .order_by_asc(invoice_lines::Column::Id)
            .all(&self.app().state.db)
            .await
            .expect("lines")
    }

    async fn invoice_emails(&self) -> Vec<email_outbox::Model> {
        email_outbox::Entity::find()
            .filter(email_outbox::Column::Kind.eq(EmailKind::InvoiceIssued))
            .order_by_asc(email_outbox::Column::Id)
            .all(&self.app().state.db)
            .await
            .expect("emails")
    }

    async fn ticket_row(&self, id: &str) -> tickets::Model {
        tickets::Entity::find_by_id(row(id))
            .one(&self.app().state.db)
            .await
            .expect("read")
            .expect("ticket")
    }

    /// Everything invoicing writes, to show that a refused step wrote nothing.
    async fn footprint(&self) -> String {
        let db = &self.app().state.db;
        let invoices = self.invoices().await;
        let lines = invoice_lines::Entity::find().all(db).await.expect("lines");
        let events = ticket_events::Entity::find()
            .count(db)
            .await
            .expect("events");
        let emails = email_outbox::Entity::find()
            .count(db)
            .await
            .expect("emails");
        let statuses: Vec<TicketStatus> = tickets::Entity::find()
            .order_by_asc(tickets::Column::Id)
            .all(db)
            .await
            .expect("tickets")
            .into_iter()
            .map(|t| t.status)
            .collect();
        format!("{invoices:?} {lines:?} {events} {emails} {statuses:?}")
    }
}

fn row(id: &str) -> i64 {
    from_global_id(&async_graphql::ID(id.to_owned()))
        .expect("a global id")
        .1
}

fn gid(type_name: &str, id: i64) -> String {
    to_global_id(type_name, id).0
}

#[tokio::test]
async fn shipping_a_per_order_order_issues_exactly_one_invoice_with_the_seed_s_fields() {
    let d = desk().await;
    let id = d.order(&d.member, "Dossier 4711").await;
    // A learning laptop: the learning price applies.
    let order = orders::Entity::find()
        .filter(orders::Column::TicketId.eq(row(&id)))
        .one(&d.app().state.db)
        .await
        .expect("read")
        .expect("order");
    let mut active = order.into_active_model();
    active.for_learning = Set(true);
    active.update(&d.app().state.db).await.expect("update");
    let entered = d.ticket_row(&id).await.created_at;
    d.ship(&id, "2026-09-30T22:30:00Z").await;

    let all = d.invoices().await;
    assert_eq!(all.len(), 1, "exactly one invoice");
    let invoice = &all[0];
    let year = partnerdesk::invoices::billing::zurich_date(d.app().clock.now())
        .format("%Y")
        .to_string();
    let data = d
        .ok(
            INVOICE,
            json!({ "id": gid("Invoice", invoice.id) }),
            &d.staff,
        )
        .await;
    let inv = &data["invoice"];
    assert!(
        inv["number"]
            .as_str()
            .is_some_and(|n| n == format!("{year}-000001")),
        "{inv}"
    );
    assert_eq!(inv["status"], "ISSUED");
    assert_eq!(inv["billingMode"], "PER_ORDER");
    // The ship date in Zurich, not in UTC.
    assert_eq!(inv["periodStart"], "2026-10-01");
    assert_eq!(inv["periodEnd"], "2026-10-01");
    assert_eq!(inv["currency"], "CHF");
    // Alpha: 250.00 standard, 350.00 learning, 8.1 % VAT.
    assert_eq!(inv["subtotalCents"], 35_000);
    assert_eq!(inv["vatRateBasisPoints"], 810);
    assert_eq!(inv["vatCents"], 2_835);
    assert_eq!(inv["totalCents"], 37_835);
    assert_eq!(inv["billingEmail"], "billing@alpha.example");
    assert_eq!(inv["billingAddress"], "Somewhere 1, 3000 Bern");
    assert_eq!(
        inv["csvUrl"],
        format!("/invoices/{}.csv", gid("Invoice", invoice.id))
    );
    assert_eq!(inv["organisation"]["name"], "Alpha");
    assert_eq!(inv["lines"]["totalCount"], 1);
    let line = &inv["lines"]["nodes"][0];
    let reference = d.ticket_row(&id).await.reference;
    assert_eq!(line["reference"], reference.as_str());
    assert_eq!(line["internalReference"], "Dossier 4711");
    assert_eq!(
        at(line["enteredAt"].as_str().expect("a time")),
        entered,
        "data-entry date: the ticket's creation"
    );
    assert_eq!(
        at(line["shippedAt"].as_str().expect("a time")),
        at("2026-09-30T22:30:00Z")
    );
    assert_eq!(line["deviceModel"], "Lenovo ThinkPad T480");
    assert_eq!(
        line["deliveryAddress"],
        "Zoé Müller, Rue du Lac 3, 1003 Lausanne, CH"
    );
    assert_eq!(line["forLearning"], true);
    assert_eq!(line["amountCents"], 35_000);
    assert_eq!(line["vatCents"], 2_835);
    assert_eq!(line["isLive"], true);
    assert_eq!(line["ticket"]["reference"], reference.as_str());
    assert_eq!(line["invoice"]["number"], inv["number"]);

    // The ticket's history says so, and the ticket points at its invoice.
    let data = d
        .ok(
            "query($id: ID!) { ticket(id: $id) { status events { nodes { kind note } } invoiceLine { reference } order { invoice { number } } } }",
            json!({ "id": id }),
            &d.staff,
        )
        .await;
    let t = &data["ticket"];
    assert_eq!(t["status"], "READY_FOR_BILLING");
    let kinds: Vec<&str> = t["events"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "INVOICED").count(), 1, "{t}");
    assert_eq!(kinds.last(), Some(&"INVOICED"));
    assert_eq!(t["invoiceLine"]["reference"], reference.as_str());
    assert_eq!(t["order"]["invoice"]["number"], inv["number"]);

    // One email, to the billing address, in the organisation's language
    // (French unless set), with the CSV.
    let emails = d.invoice_emails().await;
    assert_eq!(emails.len(), 1);
    let email = &emails[0];
    assert_eq!(email.to_address, "billing@alpha.example");
    assert!(email.subject.starts_with("Facture "), "{}", email.subject);
    assert_eq!(
        email.attachment_name.as_deref(),
        Some(format!("invoice-{}.csv", invoice.number).as_str())
    );
    assert_eq!(
        email.attachment_content_type.as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let csv = email.attachment_body.clone().expect("a CSV");
    assert!(
        csv.starts_with("\u{feff}invoice_number,line,reference,"),
        "{csv}"
    );
    assert!(csv.contains(&reference), "{csv}");

    // Later changes of the organisation's prices and of the order change
    // nothing on the issued invoice.
    let mut alpha = d.w.alpha.clone().into_active_model();
    alpha.price_learning_cents = Set(99_900);
    alpha.vat_rate_bp = Set(0);
    alpha.billing_email = Set(Some("new@alpha.example".to_owned()));
    alpha.update(&d.app().state.db).await.expect("update");
    orders::Entity::update_many()
        .col_expr(
            orders::Column::DeviceModel,
            sea_orm::sea_query::Expr::value("Another model"),
        )
        .exec(&d.app().state.db)
        .await
        .expect("update");
    let again = d
        .ok(
            INVOICE,
            json!({ "id": gid("Invoice", invoice.id) }),
            &d.staff,
        )
        .await;
    assert_eq!(again["invoice"], *inv, "an issued invoice never changes");
}

#[tokio::test]
async fn a_quarterly_run_invoices_the_quarter_in_zurich_time_once() {
    let d = desk().await;
    d.set_mode(&d.w.beta, BillingMode::Quarterly).await;
    // Beta (quarterly): two orders in Q3, one at 00:30 on 1 October in
    // Zurich (still 30 September in UTC), which is Q4.
    let july = d
        .shipped(&d.beta_member, "B-1", "2026-07-01T08:00:00Z")
        .await;
    let late_q3 = d
        .shipped(&d.beta_member, "B-2", "2026-09-30T21:30:00Z")
        .await;
    let q4 = d
        .shipped(&d.beta_member, "B-3", "2026-09-30T22:30:00Z")
        .await;
    // An order of Q2, which a Q3 run leaves alone.
    let june = d
        .shipped(&d.beta_member, "B-0", "2026-06-30T21:59:00Z")
        .await;
    assert!(
        d.invoices().await.is_empty(),
        "no invoice on shipment for QUARTERLY"
    );

    let body = d.quarterly(2026, 3, &d.staff).await;
    assert!(body["errors"].is_null(), "{body}");
    let run = &body["data"]["issueQuarterlyInvoices"];
    assert_eq!(run["quarter"], "2026-Q3");
    assert_eq!(run["invoices"].as_array().map(Vec::len), Some(1), "{run}");
    let invoice = &run["invoices"][0];
    assert_eq!(invoice["organisation"]["name"], "Beta");
    let mut references: Vec<String> = invoice["lines"]["nodes"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["reference"].as_str().map(str::to_owned))
        .collect();
    references.sort();
    let mut expected = vec![
        d.ticket_row(&july).await.reference,
        d.ticket_row(&late_q3).await.reference,
    ];
    expected.sort();
    assert_eq!(references, expected, "Q3 holds all of Q3 and nothing else");
    let row = invoices::Entity::find_by_id(row(invoice["id"].as_str().expect("id")))
        .one(&d.app().state.db)
        .await
        .expect("read")
        .expect("invoice");
    assert_eq!(row.period_start.to_string(), "2026-07-01");
    assert_eq!(row.period_end.to_string(), "2026-09-30");
    assert_eq!(row.billing_mode, BillingMode::Quarterly);
    assert_eq!(row.subtotal_cents, 50_000);
    assert_eq!(row.vat_cents, 2 * 2_025);

    // Again: nothing new, and the answer says so.
    let before = d.footprint().await;
    let body = d.quarterly(2026, 3, &d.staff).await;
    let run = &body["data"]["issueQuarterlyInvoices"];
    assert_eq!(run["invoices"], json!([]), "{body}");
    assert!(
        run["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("nothing to invoice for 2026-Q3")),
        "{run}"
    );
    assert_eq!(d.footprint().await, before);

    // Q4 is not over yet: refused, naming the field. Once it is over, the
    // 00:30 order is on the Q4 invoice.
    let now = d.app().clock.now();
    if now < at("2026-12-31T23:00:00Z") {
        let body = d.quarterly(2026, 4, &d.staff).await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "quarter");
        assert_eq!(d.footprint().await, before);
    }
    d.clock_to("2027-01-04T07:00:00Z");
    // Tokens from before have expired meanwhile.
    let staff = d.w.token(&d.w.staff).await;
    let body = d.quarterly(2026, 4, &staff).await;
    let run = &body["data"]["issueQuarterlyInvoices"];
    assert_eq!(run["invoices"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(
        run["invoices"][0]["lines"]["nodes"],
        json!([{ "reference": d.ticket_row(&q4).await.reference }])
    );
    // The June order waits for a Q2 run.
    let body = d.quarterly(2026, 2, &staff).await;
    let run = &body["data"]["issueQuarterlyInvoices"];
    assert_eq!(
        run["invoices"][0]["lines"]["nodes"],
        json!([{ "reference": d.ticket_row(&june).await.reference }]),
        "{body}"
    );
    // Every order on exactly one live invoice.
    let lines = d.live_lines().await;
    let mut orders: Vec<i64> = lines.iter().map(|l| l.order_id).collect();
    orders.sort_unstable();
    orders.dedup();
    assert_eq!(orders.len(), 4);
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn two_concurrent_quarterly_runs_put_each_order_on_one_live_invoice() {
    let d = desk().await;
    d.set_mode(&d.w.alpha, BillingMode::Quarterly).await;
    d.set_mode(&d.w.beta, BillingMode::Quarterly).await;
    for (i, token) in [&d.member, &d.beta_member, &d.manager, &d.beta_member]
        .into_iter()
        .enumerate()
    {
        d.shipped(token, &format!("R-{i}"), "2026-08-10T10:00:00Z")
            .await;
    }
    let (a, b) = tokio::join!(
        d.quarterly(2026, 3, &d.staff),
        d.quarterly(2026, 3, &d.staff)
    );
    let mut issued = 0;
    for body in [&a, &b] {
        // The loser gets nothing, or CONFLICT; never INTERNAL.
        match error_code(body) {
            None => {
                issued += body["data"]["issueQuarterlyInvoices"]["invoices"]
                    .as_array()
                    .map_or(0, Vec::len);
            }
            Some(code) => assert_eq!(code, "CONFLICT", "{body}"),
        }
    }
    assert_eq!(issued, 2, "one invoice per organisation: {a} {b}");
    assert_eq!(d.invoices().await.len(), 2);
    let lines = d.live_lines().await;
    let mut orders: Vec<i64> = lines.iter().map(|l| l.order_id).collect();
    orders.sort_unstable();
    orders.dedup();
    assert_eq!(
        (lines.len(), orders.len()),
        (4, 4),
        "each order exactly once"
    );
    assert_eq!(d.invoice_emails().await.len(), 2, "one email per invoice");
}

#[tokio::test]
async fn numbers_are_consecutive_across_both_modes() {
    let d = desk().await;
    d.set_mode(&d.w.beta, BillingMode::Quarterly).await;
    d.shipped(&d.beta_member, "Q-1", "2026-08-10T10:00:00Z")
        .await;
    d.shipped(&d.member, "P-1", "2026-09-01T10:00:00Z").await;
    let body = d.quarterly(2026, 3, &d.staff).await;
    assert!(body["errors"].is_null(), "{body}");
    d.shipped(&d.member, "P-2", "2026-10-01T10:00:00Z").await;
    let numbers: Vec<String> = d.invoices().await.into_iter().map(|i| i.number).collect();
    let year = partnerdesk::invoices::billing::zurich_date(d.app().clock.now())
        .format("%Y")
        .to_string();
    assert_eq!(
        numbers,
        vec![
            format!("{year}-000001"),
            format!("{year}-000002"),
            format!("{year}-000003")
        ]
    );
    let emails = d.invoice_emails().await;
    assert_eq!(emails.len(), 3, "one email per invoice");
    assert!(emails.iter().all(|e| e.attachment_body.is_some()));
}

#[tokio::test]
async fn paying_bills_every_ticket_and_voiding_frees_the_orders() {
    let d = desk().await;
    d.set_mode(&d.w.beta, BillingMode::Quarterly).await;
    let first = d
        .shipped(&d.beta_member, "V-1", "2026-08-10T10:00:00Z")
        .await;
    let second = d
        .shipped(&d.beta_member, "V-2", "2026-08-11T10:00:00Z")
        .await;
    let body = d.quarterly(2026, 3, &d.staff).await;
    let invoice = body["data"]["issueQuarterlyInvoices"]["invoices"][0]["id"]
        .as_str()
        .expect("an invoice")
        .to_owned();

    // Void: the orders are free, and the next run invoices them again.
    let data = d
        .ok(
            VOID,
            json!({ "id": invoice, "r": "Wrong address" }),
            &d.staff,
        )
        .await;
    assert_eq!(data["voidInvoice"]["invoice"]["status"], "VOID");
    assert_eq!(
        data["voidInvoice"]["invoice"]["voidReason"],
        "Wrong address"
    );
    assert!(d.live_lines().await.is_empty());
    let data = d
        .ok(
            "query($id: ID!) { ticket(id: $id) { invoiceLine { id } order { invoice { id } } } }",
            json!({ "id": first }),
            &d.staff,
        )
        .await;
    assert_eq!(data["ticket"]["invoiceLine"], Value::Null);
    assert_eq!(data["ticket"]["order"]["invoice"], Value::Null);
    let body = d.quarterly(2026, 3, &d.staff).await;
    let run = &body["data"]["issueQuarterlyInvoices"];
    assert_eq!(run["invoices"][0]["lines"]["totalCount"], 2, "{body}");
    let replacement = run["invoices"][0]["id"].as_str().expect("id").to_owned();

    // Pay: every ticket BILLED, with its event and its creator's email.
    let emails_before = email_outbox::Entity::find()
        .filter(email_outbox::Column::Kind.eq(EmailKind::StatusChanged))
        .count(&d.app().state.db)
        .await
        .expect("count");
    let paid_at = d.app().clock.now().to_rfc3339();
    let data = d
        .ok(PAY, json!({ "id": replacement, "at": paid_at }), &d.staff)
        .await;
    assert_eq!(data["markInvoicePaid"]["invoice"]["status"], "PAID");
    for id in [&first, &second] {
        let ticket = d.ticket_row(id).await;
        assert_eq!(ticket.status, TicketStatus::Billed);
        let last = ticket_events::Entity::find()
            .filter(ticket_events::Column::TicketId.eq(ticket.id))
            .order_by_desc(ticket_events::Column::Id)
            .one(&d.app().state.db)
            .await
            .expect("read")
            .expect("an event");
        assert_eq!(last.to_status, Some(TicketStatus::Billed));
        assert_eq!(last.actor_id, Some(d.w.staff.user.id));
    }
    let emails_after = email_outbox::Entity::find()
        .filter(email_outbox::Column::Kind.eq(EmailKind::StatusChanged))
        .count(&d.app().state.db)
        .await
        .expect("count");
    assert_eq!(
        emails_after,
        emails_before + 2,
        "one status email per ticket"
    );
}

#[tokio::test]
async fn every_illegal_step_is_refused_and_changes_nothing() {
    let d = desk().await;
    let paid_ticket = d.shipped(&d.member, "I-1", "2026-09-01T10:00:00Z").await;
    let void_ticket = d.shipped(&d.member, "I-2", "2026-09-02T10:00:00Z").await;
    let live_ticket = d.shipped(&d.member, "I-3", "2026-09-03T10:00:00Z").await;
    let all = d.invoices().await;
    let [paid, void, live] = [&all[0], &all[1], &all[2]].map(|i| gid("Invoice", i.id));
    let now = d.app().clock.now().to_rfc3339();
    d.ok(PAY, json!({ "id": paid, "at": now }), &d.staff).await;
    d.ok(VOID, json!({ "id": void, "r": "Duplicate" }), &d.staff)
        .await;
    let before = d.footprint().await;
    let (staff, manager, member) = (d.staff.as_str(), d.manager.as_str(), d.member.as_str());
    let beta_member = d.beta_member.as_str();
    let refusals: Vec<(&str, Value, &str, &str)> = vec![
        // Paying a VOID invoice, voiding a PAID one, paying twice.
        (PAY, json!({ "id": void, "at": now }), staff, "CONFLICT"),
        (
            VOID,
            json!({ "id": paid, "r": "Too late" }),
            staff,
            "CONFLICT",
        ),
        (PAY, json!({ "id": paid, "at": now }), staff, "CONFLICT"),
        (VOID, json!({ "id": void, "r": "Again" }), staff, "CONFLICT"),
        // A manager sees its invoice but may not pay, void or issue.
        (PAY, json!({ "id": live, "at": now }), manager, "FORBIDDEN"),
        (VOID, json!({ "id": live, "r": "No" }), manager, "FORBIDDEN"),
        (REISSUE, json!({ "id": void_ticket }), manager, "FORBIDDEN"),
        // A member sees no invoice at all.
        (PAY, json!({ "id": live, "at": now }), member, "NOT_FOUND"),
        (VOID, json!({ "id": live, "r": "No" }), member, "NOT_FOUND"),
        // Another organisation's member: no such invoice.
        (
            PAY,
            json!({ "id": live, "at": now }),
            beta_member,
            "NOT_FOUND",
        ),
        // Re-issuing an order that is on a live or paid invoice.
        (REISSUE, json!({ "id": live_ticket }), staff, "CONFLICT"),
        (REISSUE, json!({ "id": paid_ticket }), staff, "CONFLICT"),
        // Bad input: named fields.
        (
            PAY,
            json!({ "id": live, "at": "2099-01-01T00:00:00Z" }),
            staff,
            "VALIDATION",
        ),
        (
            PAY,
            json!({ "id": live, "at": "2020-01-01T00:00:00Z" }),
            staff,
            "VALIDATION",
        ),
        (VOID, json!({ "id": live, "r": "   " }), staff, "VALIDATION"),
        (
            PAY,
            json!({ "id": paid_ticket, "at": now }),
            staff,
            "VALIDATION",
        ),
    ];
    for (mutation, variables, token, code) in refusals {
        let body = d
            .app()
            .graphql(mutation, variables.clone(), Some(token))
            .await;
        assert_eq!(
            error_code(&body),
            Some(code),
            "{mutation} {variables}: {body}"
        );
        assert_eq!(d.footprint().await, before, "{mutation} {variables} wrote");
    }
    // Partners issuing: FORBIDDEN; a quarter that does not exist: VALIDATION.
    for (token, year, quarter, code, field) in [
        (&d.manager, 2026, 3, "FORBIDDEN", None),
        (&d.member, 2026, 3, "FORBIDDEN", None),
        (&d.staff, 2026, 5, "VALIDATION", Some("quarter")),
        (&d.staff, 1999, 1, "VALIDATION", Some("year")),
    ] {
        let body = d.quarterly(year, quarter, token).await;
        assert_eq!(error_code(&body), Some(code), "{body}");
        if let Some(field) = field {
            assert_eq!(body["errors"][0]["extensions"]["field"], field);
        }
        assert_eq!(d.footprint().await, before);
    }
}

#[tokio::test]
async fn a_voided_per_order_invoice_is_reissued_for_its_order() {
    let d = desk().await;
    let ticket = d.shipped(&d.member, "RE-1", "2026-09-01T10:00:00Z").await;
    let first = gid("Invoice", d.invoices().await[0].id);
    d.ok(VOID, json!({ "id": first, "r": "Wrong price" }), &d.staff)
        .await;
    // A cheaper agreement meanwhile: the new invoice carries it.
    let mut alpha = d.w.alpha.clone().into_active_model();
    alpha.price_standard_cents = Set(20_000);
    alpha.update(&d.app().state.db).await.expect("update");
    let data = d.ok(REISSUE, json!({ "id": ticket }), &d.staff).await;
    let invoice = &data["reissueInvoice"]["invoice"];
    assert_eq!(invoice["status"], "ISSUED");
    let all = d.invoices().await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].subtotal_cents, 20_000);
    assert_eq!(all[0].status, InvoiceStatus::Void);
    assert_eq!(d.live_lines().await.len(), 1);
    assert_eq!(
        d.invoice_emails().await.len(),
        2,
        "the new invoice is emailed too"
    );
    // Only once.
    let body = d
        .app()
        .graphql(REISSUE, json!({ "id": ticket }), Some(&d.staff))
        .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
}

/// `GET` a CSV with `token`: status and body.
async fn download(app: &TestApp, path: &str, token: &str) -> (u16, String, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("body"))
}

#[tokio::test]
async fn the_csv_starts_with_a_bom_and_the_header_and_neutralises_formulas() {
    let d = desk().await;
    d.shipped(
        &d.member,
        "=HYPERLINK(\"http://evil.example\",\"Klick\")",
        "2026-09-01T10:00:00Z",
    )
    .await;
    let invoice = &d.invoices().await[0];
    let data = d
        .ok(
            INVOICE,
            json!({ "id": gid("Invoice", invoice.id) }),
            &d.manager,
        )
        .await;
    let url = data["invoice"]["csvUrl"]
        .as_str()
        .expect("csvUrl")
        .to_owned();
    let (status, content_type, body) = download(d.app(), &url, &d.manager).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(
        body.starts_with(
            "\u{feff}invoice_number,line,reference,internal_reference,entered_on,shipped_on,\
             device_model,delivery_address,learning,amount_chf,vat_chf,total_chf\r\n"
        ),
        "{body}"
    );
    assert!(
        body.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Klick\"\")\""),
        "the formula is text: {body}"
    );
    assert!(body.contains(",2026-09-01,Lenovo ThinkPad T480,"), "{body}");
    assert!(body.contains(",false,250.00,20.25,270.25\r\n"), "{body}");
    // The email carries the same file.
    assert_eq!(
        d.invoice_emails().await[0].attachment_body.as_deref(),
        Some(body.as_str())
    );
}

#[tokio::test]
async fn partner_members_see_no_invoice_on_any_path_and_managers_only_their_own() {
    let d = desk().await;
    let alpha_ticket = d.shipped(&d.member, "A-1", "2026-09-01T10:00:00Z").await;
    d.shipped(&d.beta_member, "B-1", "2026-09-01T10:00:00Z")
        .await;
    let all = d.invoices().await;
    let (alpha, beta) = (gid("Invoice", all[0].id), gid("Invoice", all[1].id));
    let alpha_line = gid("InvoiceLine", d.live_lines().await[0].id);
    let reads = "query($a: ID!, $b: ID!, $l: ID!, $t: ID!) {
      invoices { totalCount nodes { id } }
      a: invoice(id: $a) { id }
      b: invoice(id: $b) { id }
      na: node(id: $a) { id }
      nl: node(id: $l) { id }
      ticket(id: $t) { invoiceLine { id } order { invoice { id } } }
    }";
    let vars = json!({ "a": alpha, "b": beta, "l": alpha_line, "t": alpha_ticket });

    // The member: nothing, on every path.
    let data = d.ok(reads, vars.clone(), &d.member).await;
    assert_eq!(data["invoices"]["totalCount"], 0, "{data}");
    for path in ["a", "b", "na", "nl"] {
        assert_eq!(data[path], Value::Null, "{path}: {data}");
    }
    assert_eq!(data["ticket"]["invoiceLine"], Value::Null);
    assert_eq!(data["ticket"]["order"]["invoice"], Value::Null);

    // The manager: Alpha's only.
    let data = d.ok(reads, vars.clone(), &d.manager).await;
    assert_eq!(data["invoices"]["totalCount"], 1, "{data}");
    assert_eq!(data["invoices"]["nodes"], json!([{ "id": alpha }]));
    assert_eq!(data["a"]["id"], alpha.as_str());
    assert_eq!(data["b"], Value::Null);
    assert_eq!(data["nl"]["id"], alpha_line.as_str());
    assert_eq!(data["ticket"]["order"]["invoice"]["id"], alpha.as_str());

    // Staff: all.
    let data = d.ok(reads, vars, &d.staff).await;
    assert_eq!(data["invoices"]["totalCount"], 2);

    // The CSV: the same 404 for the member, another organisation and a
    // missing invoice; the file for the manager and staff.
    let path = |id: &str| format!("/invoices/{id}.csv");
    let missing = download(d.app(), &path(&gid("Invoice", 999_999)), &d.staff).await;
    assert_eq!(missing.0, 404);
    for (id, token) in [
        (&alpha, &d.member),
        (&beta, &d.manager),
        (&alpha, &d.beta_member),
    ] {
        let got = download(d.app(), &path(id), token).await;
        assert_eq!((got.0, &got.2), (404, &missing.2), "{id}");
    }
    let wrong_kind = download(d.app(), &path(&alpha_ticket), &d.staff).await;
    assert_eq!((wrong_kind.0, &wrong_kind.2), (404, &missing.2));
    let no_suffix = download(d.app(), &format!("/invoices/{alpha}"), &d.staff).await;
    assert_eq!((no_suffix.0, &no_suffix.2), (404, &missing.2));
    assert_eq!(download(d.app(), &path(&alpha), &d.manager).await.0, 200);
    assert_eq!(download(d.app(), &path(&beta), &d.staff).await.0, 200);
    let anonymous = d
        .app()
        .client
        .get(format!("{}{}", d.app().address, path(&alpha)))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status().as_u16(), 401);

    // Filters narrow within the scope.
    let data = d
        .ok(
            "query($o: ID!) { invoices(filter: { organisationId: $o, status: [ISSUED], issuedAfter: \"2000-01-01T00:00:00Z\", issuedBefore: \"2999-01-01T00:00:00Z\" }, orderBy: ISSUED_AT_ASC) { totalCount } }",
            json!({ "o": gid("Organisation", d.w.beta.id) }),
            &d.manager,
        )
        .await;
    assert_eq!(data["invoices"]["totalCount"], 0);
}

#[tokio::test]
async fn a_partner_needs_a_billing_email() {
    let d = desk().await;
    let admin = d.w.token(&d.w.admin).await;
    let create = "mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { organisation { name locale } } }";
    let input =
        json!({ "name": "Gamma", "standardUnitPriceCents": 1, "learningUnitPriceCents": 2 });
    let count = || async {
        organisations::Entity::find()
            .count(&d.app().state.db)
            .await
            .expect("count")
    };
    let before = count().await;
    let body = d
        .app()
        .graphql(create, json!({ "input": input }), Some(&admin))
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "input.billingEmail"
    );
    assert_eq!(count().await, before);
    let mut input = input;
    input["billingEmail"] = json!("billing@gamma.example");
    input["locale"] = json!("DE");
    let data = d.ok(create, json!({ "input": input }), &admin).await;
    assert_eq!(data["createOrganisation"]["organisation"]["locale"], "DE");

    // Removing it from a partner, or changing billing without one: refused.
    let update = "mutation($id: ID!, $input: UpdateOrganisationInput!) { updateOrganisation(id: $id, input: $input) { organisation { billingEmail } } }";
    let alpha = gid("Organisation", d.w.alpha.id);
    let body = d
        .app()
        .graphql(
            update,
            json!({ "id": alpha, "input": { "billingEmail": "" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "input.billingEmail"
    );
    let stored = organisations::Entity::find_by_id(d.w.alpha.id)
        .one(&d.app().state.db)
        .await
        .expect("read")
        .expect("alpha");
    assert_eq!(
        stored.billing_email.as_deref(),
        Some("billing@alpha.example")
    );
    let mut legacy = stored.into_active_model();
    legacy.billing_email = Set(None);
    legacy.update(&d.app().state.db).await.expect("update");
    let body = d
        .app()
        .graphql(
            update,
            json!({ "id": alpha, "input": { "billingMode": "QUARTERLY" } }),
            Some(&d.staff),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "input.billingEmail"
    );
}

#[tokio::test]
async fn the_invoice_email_is_written_in_the_organisation_s_language() {
    let d = desk().await;
    let mut alpha = d.w.alpha.clone().into_active_model();
    alpha.locale = Set(entity::enums::Locale::De);
    alpha.update(&d.app().state.db).await.expect("update");
    d.shipped(&d.member, "L-1", "2026-09-01T10:00:00Z").await;
    let emails = d.invoice_emails().await;
    assert_eq!(emails.len(), 1);
    assert!(
        emails[0].subject.starts_with("Rechnung "),
        "{}",
        emails[0].subject
    );
    assert_eq!(emails[0].locale, entity::enums::Locale::De);
}

#[tokio::test]
async fn the_cli_issues_what_the_mutation_would() {
    let d = desk().await;
    d.set_mode(&d.w.beta, BillingMode::Quarterly).await;
    let id = d
        .shipped(&d.beta_member, "C-1", "2026-08-10T10:00:00Z")
        .await;
    let run = |quarter: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_partnerdesk"))
            .args(["invoice", "--quarter", quarter])
            .env("RUST_LOG", "off")
            .env(
                "DATABASE_URL",
                d.app().state.config.database_url.expose_secret(),
            )
            .env("PARTNERDESK_DATA_DIR", &d.app().state.config.data_dir)
            .env("JWT_SECRET", crate::helpers::TEST_JWT_SECRET)
            .output()
            .expect("run the binary")
    };
    let output = run("2026-Q3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let invoice = &d.invoices().await[0];
    assert!(stdout.contains(&invoice.number), "{stdout}");
    assert!(stdout.contains("Beta"), "{stdout}");
    assert!(stdout.contains("issued 1 invoice for 2026-Q3"), "{stdout}");
    let lines = d.live_lines().await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].ticket_id, row(&id));
    assert_eq!(invoice.billing_mode, BillingMode::Quarterly);
    assert_eq!(invoice.period_start.to_string(), "2026-07-01");
    // The system issued it: the INVOICED event names no one.
    let event = ticket_events::Entity::find()
        .filter(ticket_events::Column::TicketId.eq(row(&id)))
        .filter(ticket_events::Column::Kind.eq(entity::enums::TicketEventKind::Invoiced))
        .one(&d.app().state.db)
        .await
        .expect("read")
        .expect("an event");
    assert_eq!(event.actor_id, None);

    // Again: nothing, and it says so; the mutation agrees.
    let output = run("2026-Q3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("nothing to invoice for 2026-Q3"),
        "{stdout}"
    );
    let body = d.quarterly(2026, 3, &d.staff).await;
    assert_eq!(
        body["data"]["issueQuarterlyInvoices"]["invoices"],
        json!([])
    );
    // A malformed quarter names the flag.
    let output = run("2026-Q7");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--quarter"));
}
