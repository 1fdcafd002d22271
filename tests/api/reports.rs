//! `reports`: every figure equals a plain Rust computation over the rows a
//! viewer may see, on both databases; bad input is refused before any
//! aggregate runs; each report costs one statement whatever the data.
//!
//! The expected figures are computed here from the isolation worlds'
//! record of the database ([`Model`]) and the oracle's [`may_see`], sharing
//! nothing with `src/reports`: buckets are found by walking the days of the
//! range in Zurich, percentiles by sorting, sums by adding. The isolation
//! battery runs the same comparison for every user of its 64 worlds
//! ([`document`], [`expected`]); the tests below do it on a few worlds of
//! their own, and add what the battery cannot: input errors and
//! statement counts.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Days, NaiveDate, Utc};
use chrono_tz::Europe::Zurich;
use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};
use serde_json::{Value, json};

use partnerdesk::clock::Clock as _;

use crate::helpers::{TestApp, error_code, spawn_app, world};
use crate::isolation::model::{Model, Role, Status};
use crate::isolation::oracle::{OracleUser, WorldObject, may_see};
use crate::isolation::world as worlds;

/// The arguments of the dated reports.
#[derive(Debug, Clone, Copy)]
pub struct ReportArgs {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `WEEK`, `MONTH` or `QUARTER`.
    pub period: &'static str,
}

impl ReportArgs {
    /// A range that starts and ends within periods (so that buckets are
    /// clipped) and holds every date the world generator writes.
    pub fn for_world(serial: u64) -> Self {
        Self {
            from: day(2026, 1, 7),
            to: day(2027, 11, 20),
            period: ["WEEK", "MONTH", "QUARTER"][(serial % 3) as usize],
        }
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// The `reports` selection, every field and argument.
pub fn document(args: &ReportArgs) -> String {
    let ReportArgs { from, to, period } = args;
    let lead = "orders medianHours p90Hours";
    format!(
        r#"reports {{
             ticketsByStatus {{ status count }}
             ticketsByOrganisation {{ organisation {{ id }} total byStatus {{ status count }} }}
             shipments(from: "{from}", to: "{to}", period: {period}) {{ firstDay lastDay count }}
             leadTime {{ {lead} }}
             leadTimeByOrganisation {{ organisation {{ id }} leadTime {{ {lead} }} }}
             devicesShipped {{ model learning standard total }}
             billingByQuarter(from: "{from}", to: "{to}") {{
               quarter firstDay lastDay invoices invoicedCents paidCents outstandingCents
             }}
             feedbackByMonth(from: "{from}", to: "{to}") {{ firstDay lastDay count }}
           }}"#
    )
}

/// The reports `viewer` must read: [`expected_over`] the rows it may see.
pub fn expected(model: &Model, viewer: &OracleUser, args: &ReportArgs) -> Value {
    expected_over(model, &|object| may_see(viewer, object), args)
}

/// The reports over the rows `counts` lets through.
pub fn expected_over(
    model: &Model,
    counts: &dyn Fn(&WorldObject) -> bool,
    args: &ReportArgs,
) -> Value {
    let tickets: Vec<_> = model
        .tickets
        .keys()
        .filter(|id| counts(&model.ticket_object(**id)))
        .map(|id| model.ticket(*id))
        .collect();
    let by_status = |of: &dyn Fn(i64) -> bool| -> Vec<Value> {
        Status::ALL
            .iter()
            .map(|status| {
                let count = tickets
                    .iter()
                    .filter(|t| t.status == *status && of(t.organisation))
                    .count();
                json!({ "status": status.graphql(), "count": count })
            })
            .collect()
    };
    let mut organisations: Vec<i64> = tickets.iter().map(|t| t.organisation).collect();
    organisations.sort_unstable();
    organisations.dedup();
    let tickets_by_organisation: Vec<Value> = organisations
        .iter()
        .map(|org| {
            let total = tickets.iter().filter(|t| t.organisation == *org).count();
            json!({
                "organisation": { "id": crate::isolation::battery::gid("Organisation", *org) },
                "total": total,
                "byStatus": by_status(&|o| o == *org),
            })
        })
        .collect();

    // Orders the viewer may see, with their ticket's organisation.
    let orders: Vec<(i64, &crate::isolation::model::OrderFacts)> = model
        .order_facts
        .values()
        .filter(|order| {
            counts(&WorldObject::Order {
                ticket: model.ticket(order.ticket).into(),
            })
        })
        .map(|order| (model.ticket(order.ticket).organisation, order))
        .collect();
    let shipped: Vec<(
        i64,
        &crate::isolation::model::OrderFacts,
        &str,
        DateTime<Utc>,
    )> = orders
        .iter()
        .filter_map(|(org, order)| {
            order
                .shipped
                .as_ref()
                .map(|(model, at)| (*org, *order, model.as_str(), *at))
        })
        .collect();

    let buckets = buckets(args.from, args.to, args.period);
    let shipments = per_bucket(&buckets, shipped.iter().map(|(_, _, _, at)| *at));

    let lead = |of: &dyn Fn(i64) -> bool| -> Value {
        let mut seconds: Vec<i64> = shipped
            .iter()
            .filter(|(org, ..)| of(*org))
            .map(|(_, order, _, at)| at.timestamp() - order.created_at.timestamp())
            .collect();
        seconds.sort_unstable();
        let hours = |p: f64| percentile_cont(&seconds, p).map(|s| s / 3600.0);
        json!({ "orders": seconds.len(), "medianHours": hours(0.5), "p90Hours": hours(0.9) })
    };
    let mut shipped_organisations: Vec<i64> = shipped.iter().map(|(org, ..)| *org).collect();
    shipped_organisations.sort_unstable();
    shipped_organisations.dedup();
    let lead_by_organisation: Vec<Value> = shipped_organisations
        .iter()
        .map(|org| {
            json!({
                "organisation": { "id": crate::isolation::battery::gid("Organisation", *org) },
                "leadTime": lead(&|o| o == *org),
            })
        })
        .collect();

    let mut devices: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (_, order, model, _) in &shipped {
        let entry = devices.entry(model).or_default();
        if order.for_learning {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let devices: Vec<Value> = devices
        .into_iter()
        .map(|(model, (learning, standard))| {
            json!({ "model": model, "learning": learning, "standard": standard,
                    "total": learning + standard })
        })
        .collect();

    let quarters = buckets_of(args.from, args.to, "QUARTER");
    let invoices: Vec<_> = model
        .invoice_facts
        .iter()
        .filter(|(id, _)| counts(&model.invoice_object(**id)))
        .map(|(_, facts)| facts)
        .collect();
    let billing: Vec<Value> = quarters
        .iter()
        .map(|(first, last)| {
            let issued: Vec<_> = invoices
                .iter()
                .filter(|i| (*first..=*last).contains(&zurich(i.issued_at)))
                .collect();
            let sum = |paid: Option<bool>| -> i64 {
                issued
                    .iter()
                    .filter(|i| paid.is_none_or(|p| i.paid == p))
                    .map(|i| i.total_cents)
                    .sum()
            };
            json!({
                "quarter": format!("{}-Q{}", first.year(), first.month0() / 3 + 1),
                "firstDay": first.to_string(), "lastDay": last.to_string(),
                "invoices": issued.len(),
                "invoicedCents": sum(None), "paidCents": sum(Some(true)),
                "outstandingCents": sum(Some(false)),
            })
        })
        .collect();

    let months = buckets_of(args.from, args.to, "MONTH");
    let feedback = per_bucket(
        &months,
        model
            .feedback_sent
            .iter()
            .filter(|(id, _)| counts(&model.feedback_object(**id)))
            .map(|(_, at)| *at),
    );

    json!({
        "ticketsByStatus": by_status(&|_| true),
        "ticketsByOrganisation": tickets_by_organisation,
        "shipments": shipments,
        "leadTime": lead(&|_| true),
        "leadTimeByOrganisation": lead_by_organisation,
        "devicesShipped": devices,
        "billingByQuarter": billing,
        "feedbackByMonth": feedback,
    })
}

fn zurich(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Zurich).date_naive()
}

/// The periods of `from..=to`: runs of consecutive days in the same ISO
/// week, month or quarter.
fn buckets_of(from: NaiveDate, to: NaiveDate, period: &str) -> Vec<(NaiveDate, NaiveDate)> {
    let key = |d: NaiveDate| match period {
        "WEEK" => (d.iso_week().year(), d.iso_week().week()),
        "MONTH" => (d.year(), d.month()),
        _ => (d.year(), d.month0() / 3),
    };
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut d = from;
    while d <= to {
        match out.last_mut() {
            Some((first, last)) if key(*first) == key(d) => *last = d,
            _ => out.push((d, d)),
        }
        d = d + Days::new(1);
    }
    out
}

fn buckets(from: NaiveDate, to: NaiveDate, period: &str) -> Vec<(NaiveDate, NaiveDate)> {
    buckets_of(from, to, period)
}

fn per_bucket(
    buckets: &[(NaiveDate, NaiveDate)],
    instants: impl Iterator<Item = DateTime<Utc>> + Clone,
) -> Vec<Value> {
    buckets
        .iter()
        .map(|(first, last)| {
            let count = instants
                .clone()
                .filter(|at| (*first..=*last).contains(&zurich(*at)))
                .count();
            json!({ "firstDay": first.to_string(), "lastDay": last.to_string(), "count": count })
        })
        .collect()
}

/// PostgreSQL's `percentile_cont(p)` of sorted values: the value at
/// position p·(n−1), interpolated linearly between its neighbours.
fn percentile_cont(sorted: &[i64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let position = p * ((n - 1) as f64);
    let (below, above) = (position.floor(), position.ceil());
    let low = sorted[below as usize] as f64;
    if above == below {
        return Some(low);
    }
    let high = sorted[above as usize] as f64;
    Some(low + (position - below) * (high - low))
}

/// `worlds` worlds from a fixed seed, inserted into `app`, with the record
/// of every row.
async fn seeded_worlds(app: &TestApp, count: u64) -> (Model, Vec<worlds::Inserted>) {
    let mut runner = TestRunner::new(Config {
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(20_261_203),
        ..Config::default()
    });
    let mut model = Model::default();
    let mut inserted = Vec::new();
    for serial in 1..=count {
        let spec = worlds::world()
            .new_tree(&mut runner)
            .expect("a world")
            .current();
        inserted.push(
            worlds::insert(app, &spec, serial, &mut model)
                .await
                .expect("insert a world"),
        );
    }
    (model, inserted)
}

async fn reports_of(app: &TestApp, user: &entity::users::Model, args: &ReportArgs) -> Value {
    let (token, _) = app
        .state
        .tokens
        .issue(&user.clone().into(), app.clock.now())
        .expect("a token");
    let body = app
        .graphql(
            &format!("{{ {} }}", document(args)),
            json!({}),
            Some(&token),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["reports"].clone()
}

#[tokio::test]
async fn every_report_equals_a_plain_computation_over_what_each_viewer_may_see() {
    let app = spawn_app().await;
    let (model, inserted) = seeded_worlds(&app, 8).await;
    let mut partners_with_hidden_rows = 0;
    let mut staff_checked = 0;
    for (i, world) in inserted.iter().enumerate() {
        let args = ReportArgs::for_world(i as u64);
        for user in &world.users {
            let viewer = OracleUser::from_model(&model, user.id);
            let want = expected(&model, &viewer, &args);
            let got = reports_of(&app, user, &args).await;
            assert_eq!(
                got, want,
                "reports of user {} ({:?}) differ from the computation",
                user.id, viewer.role
            );
            if matches!(viewer.role, Role::Staff | Role::Admin) {
                staff_checked += 1;
            } else if expected_over(&model, &|_| true, &args) != want {
                // The viewer's reports leave out rows that exist: the
                // equality above shows that they count none of them.
                partners_with_hidden_rows += 1;
            }
        }
    }
    assert!(staff_checked > 0);
    assert!(
        partners_with_hidden_rows > 0,
        "no partner had anything to leave out: the test could not fail"
    );
    // The worlds hold what the reports are about.
    let staff = &inserted[0].users[0];
    let all = reports_of(&app, staff, &ReportArgs::for_world(1)).await;
    assert!(
        all["leadTime"]["orders"].as_i64().unwrap_or(0) >= 4,
        "{all}"
    );
    assert!(
        all["devicesShipped"].as_array().map_or(0, Vec::len) >= 2,
        "{all}"
    );
    let invoiced: i64 = all["billingByQuarter"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|q| q["invoicedCents"].as_i64().unwrap_or(0) > 0)
        .count() as i64;
    assert!(invoiced >= 2, "invoices in several quarters: {all}");
}

#[tokio::test]
async fn a_partner_member_sees_no_invoice_totals_and_only_its_own_organisation() {
    let app = spawn_app().await;
    let (model, inserted) = seeded_worlds(&app, 3).await;
    let args = ReportArgs::for_world(1);
    for world in &inserted {
        for user in &world.users {
            let viewer = OracleUser::from_model(&model, user.id);
            if matches!(viewer.role, Role::Staff | Role::Admin) {
                continue;
            }
            let got = reports_of(&app, user, &args).await;
            let own = crate::isolation::battery::gid("Organisation", viewer.organisation);
            for list in ["ticketsByOrganisation", "leadTimeByOrganisation"] {
                for row in got[list].as_array().into_iter().flatten() {
                    assert_eq!(row["organisation"]["id"], json!(own), "{list}: {got}");
                }
            }
            if viewer.role == Role::PartnerMember {
                for quarter in got["billingByQuarter"].as_array().into_iter().flatten() {
                    assert_eq!(quarter["invoices"], json!(0), "{got}");
                }
            }
        }
    }
}

/// Runs `query` and returns (response, SQL statements it cost).
async fn counted(app: &TestApp, token: &str, query: &str) -> (Value, u64) {
    let before = app.state.statements.get();
    let body = app.graphql(query, json!({}), Some(token)).await;
    (body, app.state.statements.get() - before)
}

#[tokio::test]
async fn bad_ranges_and_periods_are_refused_naming_the_argument_before_any_aggregate() {
    let w = world().await;
    let staff = w.token(&w.staff).await;
    // Authentication alone.
    let (_, auth) = counted(&w.app, &staff, "{ reports { __typename } }").await;
    let cases = [
        (
            r#"{ reports { shipments(from: "2026-03-01", to: "2026-02-01", period: MONTH) { count } } }"#,
            "to",
        ),
        (
            r#"{ reports { shipments(from: "2024-01-01", to: "2027-01-01", period: WEEK) { count } } }"#,
            "to",
        ),
        (
            r#"{ reports { shipments(from: "2026-01-01", to: "2026-02-01", period: DECADE) { count } } }"#,
            "period",
        ),
        (
            r#"{ reports { billingByQuarter(from: "2027-01-01", to: "2026-01-01") { quarter } } }"#,
            "to",
        ),
        (
            r#"{ reports { feedbackByMonth(from: "2020-01-01", to: "2026-01-01") { count } } }"#,
            "to",
        ),
    ];
    for (query, field) in cases {
        let (body, statements) = counted(&w.app, &staff, query).await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(field),
            "{query}: {body}"
        );
        assert!(
            body["data"].is_null() || body["data"]["reports"].is_null(),
            "{body}"
        );
        assert!(
            statements <= auth,
            "{query}: {statements} statements, authentication alone is {auth}: an aggregate ran"
        );
    }
    // The longest range accepted: 1,096 days.
    let (body, _) = counted(
        &w.app,
        &staff,
        r#"{ reports { shipments(from: "2024-01-01", to: "2026-12-31", period: QUARTER) { count } } }"#,
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["reports"]["shipments"]
            .as_array()
            .map(Vec::len),
        Some(12)
    );
}

#[tokio::test]
async fn reports_need_a_viewer() {
    let w = world().await;
    let body = w
        .app
        .graphql("{ reports { ticketsByStatus { count } } }", json!({}), None)
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
}

const REPORTS: [(&str, u64); 8] = [
    ("ticketsByStatus { count }", 1),
    // The organisations load through the request's loader: one more.
    ("ticketsByOrganisation { organisation { name } total }", 2),
    (
        r#"shipments(from: "2026-01-01", to: "2026-12-31", period: WEEK) { count }"#,
        1,
    ),
    ("leadTime { medianHours }", 1),
    (
        "leadTimeByOrganisation { organisation { name } leadTime { p90Hours } }",
        2,
    ),
    ("devicesShipped { model total }", 1),
    (
        r#"billingByQuarter(from: "2026-01-01", to: "2026-12-31") { invoicedCents }"#,
        1,
    ),
    (
        r#"feedbackByMonth(from: "2026-01-01", to: "2026-12-31") { count }"#,
        1,
    ),
];

#[tokio::test]
async fn each_report_costs_a_fixed_number_of_statements_whatever_the_data() {
    let app = spawn_app().await;
    let (_, inserted) = seeded_worlds(&app, 8).await;
    let staff = &inserted[0].users[1];
    let (token, _) = app
        .state
        .tokens
        .issue(&staff.clone().into(), app.clock.now())
        .expect("a token");
    let (_, auth) = counted(&app, &token, "{ reports { __typename } }").await;
    let (small, small_all) = report_costs(&app, &token).await;
    for ((report, extra), cost) in REPORTS.iter().zip(&small) {
        assert_eq!(*cost, auth + extra, "{report}");
    }
    // Both per-organisation reports may share one organisation batch.
    let reports: u64 = REPORTS.len() as u64;
    assert!(
        (auth + reports + 1..=auth + reports + 2).contains(&small_all),
        "all reports: {small_all} statements, authentication {auth}"
    );
    // Ten times the data: the same statements.
    let mut model = Model::default();
    let mut runner = TestRunner::new(Config {
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(7),
        ..Config::default()
    });
    for serial in 100..110 {
        let spec = worlds::world()
            .new_tree(&mut runner)
            .expect("a world")
            .current();
        worlds::insert(&app, &spec, serial, &mut model)
            .await
            .expect("insert");
    }
    let (large, large_all) = report_costs(&app, &token).await;
    assert_eq!(
        small, large,
        "a report's statement count grew with the data"
    );
    assert!(large_all <= small_all + 1, "{small_all} then {large_all}");
}

/// The statements of each report of [`REPORTS`] alone, and of all at once.
async fn report_costs(app: &TestApp, token: &str) -> (Vec<u64>, u64) {
    let mut costs = Vec::new();
    for (report, _) in REPORTS {
        let (body, n) = counted(app, token, &format!("{{ reports {{ {report} }} }}")).await;
        assert!(body["errors"].is_null(), "{report}: {body}");
        // Each report has rows to show (and organisations to load).
        let figures = body["data"]["reports"]
            .as_object()
            .and_then(|r| r.values().next());
        assert!(
            figures.is_some_and(|f| f.as_array().is_none_or(|rows| !rows.is_empty())),
            "{report}: {body}"
        );
        costs.push(n);
    }
    let all: Vec<&str> = REPORTS.iter().map(|(r, _)| *r).collect();
    let (body, n) = counted(
        app,
        token,
        &format!("{{ reports {{ {} }} }}", all.join("\n")),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    (costs, n)
}
