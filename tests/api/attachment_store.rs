//! Attachments kept in the database (`ATTACHMENT_STORE=database`): the
//! store's own contract (content-addressed, once per content, deletion of
//! unreferenced blobs only, foreign keys refused), and two instances of the
//! server on one database that share every file while keeping nothing on
//! their own disks. On PostgreSQL the database store is the default; these
//! tests choose it explicitly, so that they run on SQLite too.

use std::sync::Arc;

use entity::attachment_blobs;
use entity::enums::TicketStatus;
use partnerdesk::attachments::database_store::DatabaseStore;
use partnerdesk::attachments::storage::Storage as _;
use partnerdesk::config::AttachmentStore;
use reqwest::StatusCode;
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use sha2::{Digest as _, Sha256};

use crate::attachments::{download, stored_blobs, upload, uploaded};
use crate::helpers::{TestApp, pdf, spawn_another_instance, spawn_app_configured, world_on};

async fn app_with_database_store() -> TestApp {
    spawn_app_configured(|config| config.attachment_store = AttachmentStore::Database).await
}

fn store_of(app: &TestApp) -> DatabaseStore {
    DatabaseStore::new(app.state.db.clone(), Arc::new(app.clock.clone()))
}

async fn blob_rows(app: &TestApp) -> u64 {
    attachment_blobs::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count blobs")
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn the_database_store_keeps_the_same_bytes_once_and_gives_them_back() {
    let app = app_with_database_store().await;
    let store = store_of(&app);
    let bytes = pdf(4096);
    let sha = sha256(&bytes);

    let key = store.put(&sha, &bytes).await.expect("put");
    assert_eq!(key, sha, "the key is the hash");
    assert_eq!(store.key_for(&sha), key);
    assert_eq!(store.put(&sha, &bytes).await.expect("put again"), key);
    assert_eq!(blob_rows(&app).await, 1, "one row for the same bytes");
    let row = attachment_blobs::Entity::find_by_id(key.clone())
        .one(&app.state.db)
        .await
        .expect("read the row")
        .expect("a row");
    assert_eq!(row.size_bytes, 4096);
    assert_eq!(row.created_at, app.now());

    assert_eq!(store.get(&key).await.expect("get"), bytes);
    let other = pdf(5000);
    store.put(&sha256(&other), &other).await.expect("put other");
    assert_eq!(blob_rows(&app).await, 2);

    store.delete(&key).await.expect("delete");
    store.delete(&key).await.expect("delete again");
    let gone = store.get(&key).await.expect_err("deleted");
    assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(blob_rows(&app).await, 1, "the other blob stays");
}

#[tokio::test]
async fn the_database_store_refuses_keys_it_did_not_make() {
    let app = app_with_database_store().await;
    let store = store_of(&app);
    let sha = sha256(b"x");
    for key in [
        "../../etc/passwd",
        "",
        &sha.to_uppercase(),
        &format!("{}/{}", &sha[..2], &sha[2..]),
        &sha[1..],
        &format!("{sha}' OR '1'='1"),
    ] {
        let err = store.get(key).await.expect_err(key);
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{key}");
        let err = store.delete(key).await.expect_err(key);
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{key}");
    }
    let err = store.put("not-a-hash", b"x").await.expect_err("put");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(blob_rows(&app).await, 0);
}

#[tokio::test]
async fn a_blob_an_attachment_references_is_never_deleted() {
    let w = world_on(app_with_database_store().await).await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let bytes = pdf(2048);
    let body = upload(&w.app, &token, &ticket, "cert.pdf", bytes.clone()).await;
    let url = uploaded(&body)["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned();
    assert_eq!(
        stored_blobs(&w.app).await,
        vec![format!("attachment_blobs/{}", sha256(&bytes))],
        "in the table, nothing on disk"
    );

    w.app
        .state
        .storage
        .delete(&sha256(&bytes))
        .await
        .expect("delete");
    assert_eq!(blob_rows(&w.app).await, 1, "still referenced: kept");
    let response = download(&w.app, Some(&token), &url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.expect("body").as_ref(), bytes);
}

#[tokio::test]
async fn two_instances_on_one_database_serve_each_others_files() {
    let w = world_on(app_with_database_store().await).await;
    let second = spawn_another_instance(&w.app).await;
    assert_ne!(second.address, w.app.address);
    assert_ne!(second.state.config.data_dir, w.app.state.config.data_dir);
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    // A token from either instance is good on both: they share the secret.
    let token = w.token(&w.member).await;

    let bytes = pdf(300_000);
    let body = upload(
        &w.app,
        &token,
        &ticket,
        "through-the-first.pdf",
        bytes.clone(),
    )
    .await;
    let url = uploaded(&body)["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned();
    let response = download(&second, Some(&token), &url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        bytes.as_slice(),
        "the second instance serves the bytes the first one stored"
    );

    let other = pdf(200_000);
    let body = upload(
        &second,
        &token,
        &ticket,
        "through-the-second.pdf",
        other.clone(),
    )
    .await;
    let other_url = uploaded(&body)["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned();
    let response = download(&w.app, Some(&token), &other_url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.expect("body").as_ref(), other);

    // The wrong viewer still gets nothing, from either instance.
    let beta = w.token(&w.beta_member).await;
    for (instance, url) in [(&second, &url), (&w.app, &other_url)] {
        let response = download(instance, Some(&beta), url).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            !response
                .bytes()
                .await
                .expect("body")
                .windows(8)
                .any(|w| w == b"%PDF-1.4"),
            "no byte of the file"
        );
    }

    // Neither instance kept a file of its own.
    for instance in [&w.app, &second] {
        assert!(
            !instance.state.config.data_dir.join("attachments").exists(),
            "{}",
            instance.address
        );
    }
    assert_eq!(blob_rows(&w.app).await, 2);
}
