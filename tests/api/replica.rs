//! `REPORTS_DATABASE_URL`: reports are served by a read replica.
//!
//! The test starts a PostgreSQL primary and a streaming replica of it
//! (`pg_basebackup -R`) of its own, on free loopback ports under a
//! temporary directory, as the `postgres` user (like `.ci/run`), and never
//! touches the shared server. The app runs on the primary with
//! `REPORTS_DATABASE_URL` at the replica. With replay paused on the
//! replica, tickets inserted on the primary show in `tickets` (primary)
//! but not in `reports` (replica); once replay resumes, they do. A report
//! read from the primary would count them at once, and the test fails.
//!
//! It needs PostgreSQL 15's server binaries (`/usr/lib/postgresql/15/bin`,
//! or `PARTNERDESK_PGBIN`), `runuser` and root. It is skipped with a notice
//! unless `PARTNERDESK_REPLICA_TESTS=1` (set by `.ci/run`), which makes it
//! mandatory.

use std::time::{Duration, Instant};

use entity::enums::{OrganisationKind, Role, TicketStatus, TicketVisibility};
use migration::MigratorTrait as _;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};
use serde_json::json;

use crate::databases::TestDatabase;
use crate::helpers::spawn_app_on;
use crate::pg_cluster::{Cluster, as_postgres, connect, path, postgres_bin};

async fn text(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index::<String>(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Waits until the replica has replayed everything the primary wrote so far.
async fn wait_for_replay(primary: &DatabaseConnection, replica: &DatabaseConnection) {
    let lsn = text(primary, "SELECT pg_current_wal_lsn()::text").await;
    let started = Instant::now();
    loop {
        let caught_up = text(
            replica,
            &format!("SELECT (pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn)::text"),
        )
        .await;
        if caught_up == "true" {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replica did not replay {lsn} in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn reports_are_read_from_the_replica() {
    let Some(bin) = postgres_bin("replica test") else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let replication = "-c wal_level=replica -c max_wal_senders=4 -c hot_standby=on";
    let primary = Cluster::init(&bin, root.path(), "primary");
    primary.start(replication);

    // The schema, before the copy: a replica is never migrated.
    let admin = connect(&primary.url("postgres")).await;
    admin
        .execute_unprepared("CREATE DATABASE desk")
        .await
        .expect("create database");
    admin.close().await.ok();
    let primary_db = connect(&primary.url("desk")).await;
    migration::Migrator::up(&primary_db, None)
        .await
        .expect("migrate");

    let replica = Cluster::at(&bin, root.path(), "replica");
    as_postgres(
        &bin.join("pg_basebackup"),
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &primary.port.to_string(),
            "-U",
            "postgres",
            "-D",
            path(&replica.data),
            "-R",
            "-X",
            "stream",
        ],
    );
    replica.start(replication);
    let replica_db = connect(&replica.url("desk")).await;
    assert_eq!(
        text(&replica_db, "SELECT pg_is_in_recovery()::text").await,
        "true",
        "the second cluster is a replica"
    );

    let app = spawn_app_on(
        TestDatabase::external(primary.url("desk")),
        Some(replica.url("desk")),
    )
    .await;
    let provider = app
        .create_organisation(
            "Provider",
            OrganisationKind::Provider,
            TicketVisibility::Organisation,
        )
        .await;
    let partner = app
        .create_organisation(
            "Partner",
            OrganisationKind::Partner,
            TicketVisibility::Organisation,
        )
        .await;
    let staff = app.create_user(&provider, Role::Staff, "Staff").await;
    let member = app
        .create_user(&partner, Role::PartnerMember, "Member")
        .await;
    for _ in 0..3 {
        app.ticket_in(&member, TicketStatus::Review).await;
    }
    wait_for_replay(&primary_db, &replica_db).await;
    let token = app.login(&staff.email, crate::helpers::PASSWORD).await;
    let query = "{ tickets { totalCount } reports { ticketsByStatus { status count } } }";
    let counts = |body: &serde_json::Value| {
        assert!(body["errors"].is_null(), "{body}");
        let review = body["data"]["reports"]["ticketsByStatus"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["status"] == json!("REVIEW")))
            .map(|r| r["count"].clone());
        (body["data"]["tickets"]["totalCount"].clone(), review)
    };
    let body = app.graphql(query, json!({}), Some(&token)).await;
    assert_eq!(counts(&body), (json!(3), Some(json!(3))), "{body}");

    // The replica stops replaying; the primary takes two more tickets.
    replica_db
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .expect("pause replay");
    for _ in 0..2 {
        app.ticket_in(&member, TicketStatus::Review).await;
    }
    let body = app.graphql(query, json!({}), Some(&token)).await;
    assert_eq!(
        counts(&body),
        (json!(5), Some(json!(3))),
        "tickets come from the primary, reports from the paused replica: {body}"
    );

    replica_db
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .expect("resume replay");
    wait_for_replay(&primary_db, &replica_db).await;
    let body = app.graphql(query, json!({}), Some(&token)).await;
    assert_eq!(counts(&body), (json!(5), Some(json!(5))), "{body}");

    drop(app);
    primary_db.close().await.ok();
    replica_db.close().await.ok();
}
