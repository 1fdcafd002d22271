//! Staff notifications: a partner's order, comment, delivery issue and
//! feedback queue a notice for the desk address (`STAFF_NOTIFY_EMAIL`)
//! and for the staff users who opted in, each in its language, in the
//! change's transaction; what staff do notifies no staff. The opt-in is a
//! user setting in the API (`staffNotifications`,
//! `setStaffNotifications`).

use entity::email_outbox;
use entity::enums::{EmailKind, Locale, TicketStatus};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait as _,
    DatabaseBackend, EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, World, error_code, spawn_app_configured, world_on};

const DESK: &str = "desk@provider.example";

const ORDER: &str = "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }";
const COMMENT: &str = "mutation($id: ID!, $v: CommentVisibility!, $b: String!) { addComment(ticketId: $id, body: $b, visibility: $v) { comment { id } } }";
const REPORT: &str = "mutation($id: ID!, $d: String!) { reportDeliveryIssue(ticketId: $id, description: $d) { ticket { reference } } }";
const FEEDBACK: &str = "mutation($m: String!) { giveFeedback(message: $m) { feedback { id } } }";
const SET: &str = "mutation($enabled: Boolean!, $userId: ID) { setStaffNotifications(enabled: $enabled, userId: $userId) { user { id staffNotifications } } }";

/// A world whose provider has the desk address configured.
async fn desk_world() -> World {
    world_on(
        spawn_app_configured(|c| {
            c.staff_notify_email =
                Some(partnerdesk::domain::Email::parse(DESK).expect("an address"));
        })
        .await,
    )
    .await
}

async fn staff_notices(app: &TestApp) -> Vec<email_outbox::Model> {
    email_outbox::Entity::find()
        .filter(email_outbox::Column::Kind.eq(EmailKind::StaffNotification))
        .order_by_asc(email_outbox::Column::Id)
        .all(&app.state.db)
        .await
        .expect("read the outbox")
}

async fn all_emails(app: &TestApp) -> Vec<email_outbox::Model> {
    email_outbox::Entity::find()
        .order_by_asc(email_outbox::Column::Id)
        .all(&app.state.db)
        .await
        .expect("read the outbox")
}

fn gid(type_name: &str, id: i64) -> String {
    partnerdesk::relay::to_global_id(type_name, id).to_string()
}

fn ok(body: &Value) {
    assert!(body["errors"].is_null(), "{body}");
}

fn addresses(notices: &[email_outbox::Model]) -> Vec<&str> {
    notices.iter().map(|n| n.to_address.as_str()).collect()
}

/// Opts `user` in (or out) as itself.
async fn opt(world: &World, user: &TestUser, enabled: bool) -> Value {
    let token = world.token(user).await;
    world
        .app
        .graphql(SET, json!({ "enabled": enabled }), Some(&token))
        .await
}

async fn set_locale(app: &TestApp, user: &TestUser, locale: Locale) {
    let mut row: entity::users::ActiveModel = user.user.clone().into();
    row.locale = Set(locale);
    row.update(&app.state.db).await.expect("set the locale");
}

async fn staff_setting(app: &TestApp, user: &TestUser) -> bool {
    entity::users::Entity::find_by_id(user.user.id)
        .one(&app.state.db)
        .await
        .expect("read")
        .expect("user")
        .staff_notifications
}

fn order_input() -> Value {
    json!({ "input": {
        "recipientName": "Anna Muster", "street": "Bahnhofstrasse 1",
        "postalCode": "8001", "city": "Zürich", "phone": "+41 44 668 18 00"
    } })
}

#[tokio::test]
async fn a_partner_comment_notifies_the_desk_and_the_staff_who_opted_in() {
    let world = desk_world().await;
    let app = &world.app;
    // The STAFF opted in; the ADMIN did not.
    ok(&opt(&world, &world.staff, true).await);
    let ticket = app.ticket_in(&world.member, TicketStatus::Review).await;
    let token = world.token(&world.member).await;
    let body = app
        .graphql(
            COMMENT,
            json!({ "id": gid("Ticket", ticket.id), "v": "PUBLIC", "b": "Any news on the delivery?" }),
            Some(&token),
        )
        .await;
    ok(&body);
    let notices = staff_notices(app).await;
    assert_eq!(
        addresses(&notices),
        [DESK, world.staff.email.as_str()],
        "{notices:?}"
    );
    assert_eq!(notices[0].user_id, None);
    assert_eq!(notices[1].user_id, Some(world.staff.user.id));
    for notice in &notices {
        assert_eq!(notice.organisation_id, world.alpha.id);
        assert_eq!(
            notice.subject,
            format!("Nouveau commentaire sur {} (Alpha)", ticket.reference)
        );
        assert!(
            notice.body_text.contains("Max Member (Alpha)")
                && notice.body_text.contains(&ticket.reference)
                && notice.body_text.contains("Any news on the delivery?"),
            "{}",
            notice.body_text
        );
    }
    // Nobody else got anything: a partner's comment emails no partner.
    assert_eq!(all_emails(app).await.len(), 2);
}

#[tokio::test]
async fn each_of_the_four_partner_actions_notifies_the_desk_and_opted_in_staff_only() {
    let world = desk_world().await;
    let app = &world.app;
    ok(&opt(&world, &world.admin, true).await);
    let token = world.token(&world.member).await;
    let expected = [DESK, world.admin.email.as_str()];

    let body = app.graphql(ORDER, order_input(), Some(&token)).await;
    ok(&body);
    let reference = body["data"]["orderLaptop"]["ticket"]["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();
    let notices = staff_notices(app).await;
    assert_eq!(addresses(&notices), expected, "{notices:?}");
    assert_eq!(
        notices[0].subject,
        format!("Nouvelle commande {reference} (Alpha)")
    );
    // The order's recipient stays in the desk: the notice names the ticket.
    assert!(!notices[0].body_text.contains("Anna Muster"));
    assert!(notices[0].body_text.contains(&reference));

    let shipped = app
        .ticket_in(&world.member, TicketStatus::ReadyForBilling)
        .await;
    let body = app
        .graphql(
            REPORT,
            json!({ "id": gid("Ticket", shipped.id), "d": "The screen arrived broken." }),
            Some(&token),
        )
        .await;
    ok(&body);
    let issue = body["data"]["reportDeliveryIssue"]["ticket"]["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();
    let notices = staff_notices(app).await;
    assert_eq!(addresses(&notices[2..]), expected, "{notices:?}");
    for notice in &notices[2..] {
        assert_eq!(
            notice.subject,
            format!("Problème de livraison {issue} (Alpha)")
        );
        assert!(notice.body_text.contains(&shipped.reference));
        assert!(notice.body_text.contains("The screen arrived broken."));
    }

    let ticket = app.ticket_in(&world.member, TicketStatus::Review).await;
    ok(&app
        .graphql(
            COMMENT,
            json!({ "id": gid("Ticket", ticket.id), "v": "PUBLIC", "b": "Still waiting." }),
            Some(&token),
        )
        .await);
    let notices = staff_notices(app).await;
    assert_eq!(addresses(&notices[4..]), expected, "{notices:?}");

    ok(&app
        .graphql(FEEDBACK, json!({ "m": "Great service." }), Some(&token))
        .await);
    let notices = staff_notices(app).await;
    assert_eq!(addresses(&notices[6..]), expected, "{notices:?}");
    assert_eq!(notices[6].subject, "Feedback de Alpha");
    assert!(notices[6].body_text.contains("Great service."));
    assert_eq!(notices.len(), 8, "{notices:?}");
    // Not the STAFF who did not opt in, nor any partner.
    for user in [
        &world.staff,
        &world.manager,
        &world.member,
        &world.beta_member,
    ] {
        assert!(
            !notices.iter().any(|n| n.to_address == user.email),
            "{}: {notices:?}",
            user.email
        );
    }
}

#[tokio::test]
async fn each_staff_member_reads_the_notice_in_its_language_and_the_desk_in_the_provider_s() {
    let world = desk_world().await;
    let app = &world.app;
    ok(&opt(&world, &world.staff, true).await);
    ok(&opt(&world, &world.admin, true).await);
    set_locale(app, &world.staff, Locale::De).await;
    let mut provider: entity::organisations::ActiveModel = world.provider.clone().into();
    provider.locale = Set(Locale::It);
    provider.update(&app.state.db).await.expect("Italian desk");
    let token = world.token(&world.member).await;
    ok(&app
        .graphql(FEEDBACK, json!({ "m": "Merci pour tout" }), Some(&token))
        .await);
    let notices = staff_notices(app).await;
    let by_address = |address: &str| {
        notices
            .iter()
            .find(|n| n.to_address == address)
            .unwrap_or_else(|| panic!("no notice to {address}: {notices:?}"))
    };
    let german = by_address(&world.staff.email);
    assert_eq!(german.locale, Locale::De);
    assert_eq!(german.subject, "Feedback von Alpha");
    assert!(german.body_text.starts_with("Guten Tag"));
    assert!(german.body_text.contains("Merci pour tout"));
    let french = by_address(&world.admin.email);
    assert_eq!(french.locale, Locale::Fr);
    assert_eq!(french.subject, "Feedback de Alpha");
    let desk = by_address(DESK);
    assert_eq!(desk.locale, Locale::It);
    assert_eq!(desk.subject, "Feedback da Alpha");
    assert_eq!(notices.len(), 3, "{notices:?}");
}

#[tokio::test]
async fn what_staff_do_notifies_no_staff() {
    let world = desk_world().await;
    let app = &world.app;
    ok(&opt(&world, &world.staff, true).await);
    ok(&opt(&world, &world.admin, true).await);
    let ticket = app.ticket_in(&world.member, TicketStatus::Review).await;
    let staff = world.token(&world.staff).await;
    // An INTERNAL note: staff's own, it emails nobody at all.
    ok(&app
        .graphql(
            COMMENT,
            json!({ "id": gid("Ticket", ticket.id), "v": "INTERNAL", "b": "Check the stock first." }),
            Some(&staff),
        )
        .await);
    assert!(
        all_emails(app).await.is_empty(),
        "{:?}",
        all_emails(app).await
    );
    // A PUBLIC reply emails the partner, not staff.
    ok(&app
        .graphql(
            COMMENT,
            json!({ "id": gid("Ticket", ticket.id), "v": "PUBLIC", "b": "It ships on Monday." }),
            Some(&staff),
        )
        .await);
    let emails = all_emails(app).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0].kind, EmailKind::StaffReply);
    assert_eq!(emails[0].to_address, world.member.email);
    // An order on a partner's behalf, and staff's own feedback.
    let mut input = order_input();
    input["input"]["organisationId"] = json!(gid("Organisation", world.alpha.id));
    ok(&app.graphql(ORDER, input, Some(&staff)).await);
    ok(&app
        .graphql(FEEDBACK, json!({ "m": "Note to self" }), Some(&staff))
        .await);
    assert!(staff_notices(app).await.is_empty());
}

#[tokio::test]
async fn without_a_desk_address_only_active_staff_who_opted_in_are_notified() {
    let world = world_on(spawn_app_configured(|_| {}).await).await;
    let app = &world.app;
    let token = world.token(&world.member).await;
    ok(&app
        .graphql(FEEDBACK, json!({ "m": "Hello" }), Some(&token))
        .await);
    assert!(staff_notices(app).await.is_empty());
    ok(&opt(&world, &world.staff, true).await);
    ok(&app
        .graphql(FEEDBACK, json!({ "m": "Hello again" }), Some(&token))
        .await);
    let notices = staff_notices(app).await;
    assert_eq!(addresses(&notices), [world.staff.email.as_str()]);
    // Opted out again: no more notices.
    ok(&opt(&world, &world.staff, false).await);
    ok(&app
        .graphql(FEEDBACK, json!({ "m": "And again" }), Some(&token))
        .await);
    assert_eq!(staff_notices(app).await.len(), 1);
    // Opted in but deactivated: none either.
    ok(&opt(&world, &world.staff, true).await);
    let admin = world.token(&world.admin).await;
    ok(&app
        .graphql(
            "mutation($id: ID!) { deactivateUser(id: $id) { user { id } } }",
            json!({ "id": gid("User", world.staff.user.id) }),
            Some(&admin),
        )
        .await);
    ok(&app
        .graphql(FEEDBACK, json!({ "m": "Anyone there?" }), Some(&token))
        .await);
    assert_eq!(staff_notices(app).await.len(), 1);
}

#[tokio::test]
async fn a_staff_login_that_is_the_desk_address_gets_one_notice() {
    let world = desk_world().await;
    let app = &world.app;
    ok(&opt(&world, &world.staff, true).await);
    ok(&opt(&world, &world.admin, true).await);
    // The STAFF's login is the desk address itself.
    let mut staff: entity::users::ActiveModel = world.staff.user.clone().into();
    staff.email = Set(DESK.to_owned());
    staff.update(&app.state.db).await.expect("the desk's login");
    let token = world.token(&world.member).await;
    ok(&app
        .graphql(FEEDBACK, json!({ "m": "Once, please" }), Some(&token))
        .await);
    let notices = staff_notices(app).await;
    assert_eq!(
        addresses(&notices),
        [DESK, world.admin.email.as_str()],
        "{notices:?}"
    );
}

/// Makes the database refuse any email to `address`, as a failure in the
/// middle of a change: whatever the change wrote before it must go too.
async fn refuse_emails_to(app: &TestApp, address: &str) {
    let db = &app.state.db;
    let statements = match db.get_database_backend() {
        DatabaseBackend::Postgres => vec![
            "CREATE FUNCTION refuse_email() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER refuse_email BEFORE INSERT ON email_outbox FOR EACH ROW \
                 WHEN (NEW.to_address = '{address}') EXECUTE FUNCTION refuse_email()"
            ),
        ],
        _ => vec![format!(
            "CREATE TRIGGER refuse_email BEFORE INSERT ON email_outbox \
             WHEN NEW.to_address = '{address}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
    };
    for statement in statements {
        db.execute_unprepared(&statement)
            .await
            .expect("install the refusal");
    }
}

#[tokio::test]
async fn a_change_that_rolls_back_queues_no_notice_and_keeps_nothing() {
    let world = desk_world().await;
    let app = &world.app;
    ok(&opt(&world, &world.staff, true).await);
    // The desk's notice is queued first, then the STAFF's, which the
    // database refuses: the change fails after the desk's row was written.
    refuse_emails_to(app, &world.staff.email).await;
    let token = world.token(&world.member).await;
    let tickets_before = entity::tickets::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    let ticket = app.ticket_in(&world.member, TicketStatus::Review).await;
    let shipped = app
        .ticket_in(&world.member, TicketStatus::ReadyForBilling)
        .await;
    for (what, body) in [
        (
            "order",
            app.graphql(ORDER, order_input(), Some(&token)).await,
        ),
        (
            "delivery issue",
            app.graphql(
                REPORT,
                json!({ "id": gid("Ticket", shipped.id), "d": "Broken." }),
                Some(&token),
            )
            .await,
        ),
        (
            "comment",
            app.graphql(
                COMMENT,
                json!({ "id": gid("Ticket", ticket.id), "v": "PUBLIC", "b": "Hello?" }),
                Some(&token),
            )
            .await,
        ),
        (
            "feedback",
            app.graphql(FEEDBACK, json!({ "m": "Thanks" }), Some(&token))
                .await,
        ),
    ] {
        assert_eq!(error_code(&body), Some("INTERNAL"), "{what}: {body}");
    }
    assert!(
        all_emails(app).await.is_empty(),
        "{:?}",
        all_emails(app).await
    );
    let db = &app.state.db;
    assert_eq!(
        entity::tickets::Entity::find()
            .count(db)
            .await
            .expect("count"),
        tickets_before + 2,
        "only the two fixtures"
    );
    assert_eq!(
        entity::comments::Entity::find()
            .count(db)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        entity::feedback::Entity::find()
            .count(db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn refused_input_queues_no_notice() {
    let world = desk_world().await;
    let app = &world.app;
    let token = world.token(&world.member).await;
    let ticket = app.ticket_in(&world.member, TicketStatus::Review).await;
    let body = app
        .graphql(
            COMMENT,
            json!({ "id": gid("Ticket", ticket.id), "v": "PUBLIC", "b": "   " }),
            Some(&token),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    let body = app
        .graphql(FEEDBACK, json!({ "m": "" }), Some(&token))
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert!(all_emails(app).await.is_empty());
}

#[tokio::test]
async fn staff_set_their_own_opt_in_and_an_admin_sets_other_staff_s() {
    let world = desk_world().await;
    let app = &world.app;
    let body = opt(&world, &world.staff, true).await;
    ok(&body);
    assert_eq!(
        body["data"]["setStaffNotifications"]["user"],
        json!({ "id": gid("User", world.staff.user.id), "staffNotifications": true })
    );
    assert!(staff_setting(app, &world.staff).await);
    let admin = world.token(&world.admin).await;
    let body = app
        .graphql(
            SET,
            json!({ "userId": gid("User", world.staff.user.id), "enabled": false }),
            Some(&admin),
        )
        .await;
    ok(&body);
    assert_eq!(
        body["data"]["setStaffNotifications"]["user"]["staffNotifications"],
        false
    );
    assert!(!staff_setting(app, &world.staff).await);
    assert!(
        !staff_setting(app, &world.admin).await,
        "the ADMIN's own is untouched"
    );
    let staff = world.token(&world.staff).await;
    let body = app
        .graphql("{ viewer { staffNotifications } }", json!({}), Some(&staff))
        .await;
    assert_eq!(
        body["data"]["viewer"]["staffNotifications"], false,
        "{body}"
    );
    // Staff read each other's setting.
    ok(&opt(&world, &world.admin, true).await);
    let body = app
        .graphql(
            "query($id: ID!) { user(id: $id) { staffNotifications } }",
            json!({ "id": gid("User", world.admin.user.id) }),
            Some(&staff),
        )
        .await;
    assert_eq!(body["data"]["user"]["staffNotifications"], true, "{body}");
}

#[tokio::test]
async fn partners_and_staff_for_others_may_not_set_staff_notifications() {
    let world = desk_world().await;
    let app = &world.app;
    for user in [&world.member, &world.manager] {
        let body = opt(&world, user, true).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    }
    let manager = world.token(&world.manager).await;
    let body = app
        .graphql(
            SET,
            json!({ "userId": gid("User", world.staff.user.id), "enabled": true }),
            Some(&manager),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    // STAFF sets its own only.
    let staff = world.token(&world.staff).await;
    let body = app
        .graphql(
            SET,
            json!({ "userId": gid("User", world.admin.user.id), "enabled": true }),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = app.graphql(SET, json!({ "enabled": true }), None).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    // Nothing was written.
    for user in [&world.member, &world.manager, &world.admin, &world.staff] {
        assert!(!staff_setting(app, user).await, "{}", user.email);
    }
    // A member reads its own setting (false), not a colleague's.
    let member = world.token(&world.member).await;
    let body = app
        .graphql(
            "query($id: ID!) { viewer { staffNotifications } user(id: $id) { displayName staffNotifications } }",
            json!({ "id": gid("User", world.manager.user.id) }),
            Some(&member),
        )
        .await;
    assert_eq!(
        body["data"]["viewer"]["staffNotifications"], false,
        "{body}"
    );
    assert_eq!(body["data"]["user"]["displayName"], "Mia Manager", "{body}");
    assert!(
        body["data"]["user"]["staffNotifications"].is_null(),
        "{body}"
    );
}

#[tokio::test]
async fn bad_staff_notification_input_is_refused_naming_the_field() {
    let world = desk_world().await;
    let app = &world.app;
    let admin = world.token(&world.admin).await;
    // A partner user cannot receive staff notifications.
    let body = app
        .graphql(
            SET,
            json!({ "userId": gid("User", world.member.user.id), "enabled": true }),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "userId", "{body}");
    // Not a user id.
    for id in [gid("Ticket", 1), "nonsense".to_owned()] {
        let body = app
            .graphql(SET, json!({ "userId": id, "enabled": true }), Some(&admin))
            .await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "userId", "{body}");
    }
    // A user that does not exist.
    let body = app
        .graphql(
            SET,
            json!({ "userId": gid("User", 999_999), "enabled": true }),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    // Not a boolean, or none.
    for variables in [json!({ "enabled": "yes" }), json!({})] {
        let body = app.graphql(SET, variables, Some(&admin)).await;
        assert!(body["data"].is_null(), "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("enabled")),
            "{body}"
        );
    }
    for user in [&world.member, &world.admin] {
        assert!(!staff_setting(app, user).await, "{}", user.email);
    }
}
