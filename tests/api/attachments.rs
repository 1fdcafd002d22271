//! `uploadAttachment` (GraphQL multipart request) and
//! `GET /attachments/{id}`: files checked by their bytes, stored once,
//! downloaded with the visibility of their ticket, and nothing left behind
//! by a refused upload.

use entity::enums::{Role, TicketEventKind, TicketStatus};
use entity::{attachment_blobs, attachments, ticket_events, tickets};
use reqwest::StatusCode;
use reqwest::header;
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _};
use sea_orm::{QueryFilter as _, QueryOrder as _, QuerySelect as _};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, World, error_code, pdf, world};

pub(crate) const UPLOAD: &str = "mutation($ticketId: ID!, $file: Upload!) {
  uploadAttachment(ticketId: $ticketId, file: $file) {
    attachment {
      id fileName contentType sizeBytes sha256 createdAt downloadUrl
      uploadedBy { displayName isStaff }
    }
  }
}";

const TEN_MIB: usize = 10 * 1024 * 1024;

/// The start of a Windows executable.
fn exe() -> Vec<u8> {
    let mut bytes = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    bytes.resize(512, 0);
    bytes
}

pub(crate) fn ticket_id(ticket: &tickets::Model) -> String {
    partnerdesk::relay::to_global_id("Ticket", ticket.id).0
}

/// Sends `uploadAttachment` as a GraphQL multipart request: `operations`,
/// `map`, then the file part `0`.
pub(crate) async fn upload_response(
    app: &TestApp,
    token: Option<&str>,
    ticket_id: &str,
    file_name: &str,
    client_content_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let operations = json!({
        "query": UPLOAD,
        "variables": { "ticketId": ticket_id, "file": null },
    });
    let file = Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(client_content_type)
        .expect("content type");
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", file);
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("upload request")
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    ticket: &tickets::Model,
    file_name: &str,
    bytes: Vec<u8>,
) -> Value {
    let response = upload_response(
        app,
        Some(token),
        &ticket_id(ticket),
        file_name,
        "application/pdf",
        bytes,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "upload answered");
    response.json().await.expect("JSON body")
}

/// The `attachment` of a successful upload.
pub(crate) fn uploaded(body: &Value) -> &Value {
    let attachment = &body["data"]["uploadAttachment"]["attachment"];
    assert!(attachment.is_object(), "upload failed: {body}");
    attachment
}

pub(crate) async fn download(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("download request")
}

pub(crate) async fn attachment_rows(app: &TestApp) -> u64 {
    attachments::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count attachments")
}

/// Every stored blob, wherever the app keeps them: the files under the
/// data directory's `attachments/` (at any depth, temporary files
/// included) and the rows of `attachment_blobs`.
pub(crate) async fn stored_blobs(app: &TestApp) -> Vec<String> {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.state.config.data_dir.join("attachments"), &mut found);
    let rows = attachment_blobs::Entity::find()
        .select_only()
        .column(attachment_blobs::Column::Sha256)
        .into_tuple::<String>()
        .all(&app.state.db)
        .await
        .expect("list blobs");
    found.extend(
        rows.into_iter()
            .map(|sha| format!("attachment_blobs/{sha}")),
    );
    found
}

/// Asserts a VALIDATION error on argument `file` that left no row and no
/// stored file behind.
pub(crate) async fn assert_refused_without_trace(app: &TestApp, body: &Value) {
    assert_eq!(error_code(body), Some("VALIDATION"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{body}");
    assert!(body["data"].is_null() || body["data"]["uploadAttachment"].is_null());
    assert_eq!(attachment_rows(app).await, 0, "no attachment row");
    assert_eq!(stored_blobs(app).await, Vec::<String>::new(), "no blob");
}

/// A colleague of `World::member` in Alpha (CREATOR_ONLY).
async fn alpha_colleague(w: &World) -> TestUser {
    w.app
        .create_user(&w.alpha, Role::PartnerMember, "Cleo Colleague")
        .await
}

#[tokio::test]
async fn partner_uploads_a_pdf_to_its_ticket_and_downloads_it() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let bytes = pdf(0);

    // The client's declared type is not trusted either way.
    let response = upload_response(
        &w.app,
        Some(&token),
        &ticket_id(&ticket),
        "Attestation de formation.pdf",
        "application/octet-stream",
        bytes.clone(),
    )
    .await;
    let body: Value = response.json().await.expect("JSON body");
    let attachment = uploaded(&body);
    assert_eq!(attachment["fileName"], "Attestation de formation.pdf");
    assert_eq!(attachment["contentType"], "application/pdf");
    assert_eq!(attachment["sizeBytes"], bytes.len());
    let sha256 = attachment["sha256"].as_str().expect("sha256");
    assert_eq!(sha256.len(), 64);
    assert_eq!(attachment["uploadedBy"]["displayName"], "Max Member");
    assert_eq!(attachment["uploadedBy"]["isStaff"], false);
    let id = attachment["id"].as_str().expect("id");
    let url = attachment["downloadUrl"].as_str().expect("downloadUrl");
    assert_eq!(url, format!("/attachments/{id}"));

    let event = ticket_events::Entity::find()
        .filter(ticket_events::Column::TicketId.eq(ticket.id))
        .order_by_desc(ticket_events::Column::Id)
        .one(&w.app.state.db)
        .await
        .expect("query events")
        .expect("an event");
    assert_eq!(event.kind, TicketEventKind::AttachmentAdded);
    assert_eq!(event.actor_id, Some(w.member.user.id));
    assert_eq!(event.note.as_deref(), Some("Attestation de formation.pdf"));

    let response = download(&w.app, Some(&token), url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"Attestation de formation.pdf\""
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    assert_eq!(
        headers[header::CONTENT_LENGTH],
        bytes.len().to_string().as_str()
    );
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );
}

#[tokio::test]
async fn non_ascii_file_names_are_offered_in_rfc_5987_form() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let body = upload(&w.app, &token, &ticket, "../Lehrvertrag Müller.pdf", pdf(0)).await;
    let attachment = uploaded(&body);
    assert_eq!(attachment["fileName"], "Lehrvertrag Müller.pdf");

    let url = attachment["downloadUrl"].as_str().expect("downloadUrl");
    let response = download(&w.app, Some(&token), url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"Lehrvertrag M_ller.pdf\"; \
         filename*=UTF-8''Lehrvertrag%20M%C3%BCller.pdf"
    );
}

#[tokio::test]
async fn an_exe_renamed_pdf_is_refused_and_leaves_no_row_and_no_file() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let body = upload(&w.app, &token, &ticket, "certificate.pdf", exe()).await;
    assert_refused_without_trace(&w.app, &body).await;
}

#[tokio::test]
async fn an_empty_file_is_refused() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let body = upload(&w.app, &token, &ticket, "certificate.pdf", Vec::new()).await;
    assert_refused_without_trace(&w.app, &body).await;
}

#[tokio::test]
async fn a_file_of_10_mib_and_one_byte_is_refused_and_10_mib_exactly_is_accepted() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;

    let body = upload(&w.app, &token, &ticket, "big.pdf", pdf(TEN_MIB + 1)).await;
    assert_refused_without_trace(&w.app, &body).await;

    let body = upload(&w.app, &token, &ticket, "big.pdf", pdf(TEN_MIB)).await;
    assert_eq!(uploaded(&body)["sizeBytes"], TEN_MIB);
    assert_eq!(attachment_rows(&w.app).await, 1);
    assert_eq!(stored_blobs(&w.app).await.len(), 1);
}

#[tokio::test]
async fn the_same_bytes_are_stored_once() {
    let w = world().await;
    let first = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let second = w.app.ticket_in(&w.member, TicketStatus::Queued).await;
    let token = w.token(&w.member).await;
    let a = upload(&w.app, &token, &first, "a.pdf", pdf(0)).await;
    let b = upload(&w.app, &token, &second, "b.pdf", pdf(0)).await;
    assert_eq!(uploaded(&a)["sha256"], uploaded(&b)["sha256"]);
    assert_ne!(uploaded(&a)["id"], uploaded(&b)["id"]);
    assert_eq!(attachment_rows(&w.app).await, 2);
    assert_eq!(stored_blobs(&w.app).await.len(), 1);
}

#[tokio::test]
async fn another_organisations_member_gets_not_found_on_upload_and_download() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let member_token = w.token(&w.member).await;
    let beta_token = w.token(&w.beta_member).await;

    let body = upload(&w.app, &beta_token, &ticket, "mine.pdf", pdf(0)).await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    assert_eq!(attachment_rows(&w.app).await, 0);
    assert!(stored_blobs(&w.app).await.is_empty());

    let body = upload(&w.app, &member_token, &ticket, "theirs.pdf", pdf(0)).await;
    let url = uploaded(&body)["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned();
    let out_of_scope = download(&w.app, Some(&beta_token), &url).await;
    assert_eq!(out_of_scope.status(), StatusCode::NOT_FOUND);
    let out_of_scope = out_of_scope.text().await.expect("body");

    // Out of scope and absent are indistinguishable.
    let absent = partnerdesk::relay::to_global_id("Attachment", 999_999).0;
    let absent = download(&w.app, Some(&beta_token), &format!("/attachments/{absent}")).await;
    assert_eq!(absent.status(), StatusCode::NOT_FOUND);
    assert_eq!(absent.text().await.expect("body"), out_of_scope);
    let garbage = download(&w.app, Some(&beta_token), "/attachments/not-an-id").await;
    assert_eq!(garbage.status(), StatusCode::NOT_FOUND);
    assert_eq!(garbage.text().await.expect("body"), out_of_scope);
}

#[tokio::test]
async fn a_creator_only_colleague_gets_not_found_but_the_manager_and_staff_download() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let colleague = alpha_colleague(&w).await;
    let member_token = w.token(&w.member).await;
    let body = upload(&w.app, &member_token, &ticket, "cert.pdf", pdf(0)).await;
    let url = uploaded(&body)["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned();

    let colleague_token = w.token(&colleague).await;
    let response = download(&w.app, Some(&colleague_token), &url).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = upload(&w.app, &colleague_token, &ticket, "x.pdf", pdf(0)).await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");

    for user in [&w.manager, &w.staff, &w.admin] {
        let token = w.token(user).await;
        let response = download(&w.app, Some(&token), &url).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", user.email);
        assert_eq!(response.bytes().await.expect("body").as_ref(), pdf(0));
    }
}

#[tokio::test]
async fn staff_attach_to_any_ticket() {
    let w = world().await;
    let ticket = w
        .app
        .ticket_in(&w.beta_member, TicketStatus::ReadyToShip)
        .await;
    let token = w.token(&w.staff).await;
    let body = upload(&w.app, &token, &ticket, "delivery note.pdf", pdf(0)).await;
    let attachment = uploaded(&body);
    assert_eq!(attachment["uploadedBy"]["displayName"], "Sam Staff");
    assert_eq!(attachment["uploadedBy"]["isStaff"], true);
    let row = attachments::Entity::find()
        .one(&w.app.state.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.organisation_id, w.beta.id, "the ticket's organisation");

    // The partner downloads what staff added to its ticket.
    let beta_token = w.token(&w.beta_member).await;
    let url = attachment["downloadUrl"].as_str().expect("downloadUrl");
    let response = download(&w.app, Some(&beta_token), url).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn closed_tickets_accept_no_files() {
    let w = world().await;
    let token = w.token(&w.staff).await;
    for status in [TicketStatus::Cancelled, TicketStatus::Billed] {
        let ticket = w.app.ticket_in(&w.beta_member, status).await;
        let body = upload(&w.app, &token, &ticket, "late.pdf", pdf(0)).await;
        assert_eq!(error_code(&body), Some("CONFLICT"), "{status:?}: {body}");
    }
    assert_eq!(attachment_rows(&w.app).await, 0);
    assert!(stored_blobs(&w.app).await.is_empty());
}

#[tokio::test]
async fn a_json_request_naming_a_file_it_did_not_send_is_refused() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let body = w
        .app
        .graphql(
            UPLOAD,
            json!({ "ticketId": ticket_id(&ticket), "file": "#__graphql_file__:0" }),
            Some(&token),
        )
        .await;
    assert_refused_without_trace(&w.app, &body).await;
}

#[tokio::test]
async fn downloads_without_a_valid_token_are_unauthenticated() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let body = upload(&w.app, &token, &ticket, "cert.pdf", pdf(0)).await;
    let url = uploaded(&body)["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned();

    let anonymous = download(&w.app, None, &url).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let body: Value = anonymous.json().await.expect("JSON body");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));

    let forged = download(&w.app, Some("not-a-token"), &url).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn anonymous_uploads_are_unauthenticated() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let response = upload_response(
        &w.app,
        None,
        &ticket_id(&ticket),
        "cert.pdf",
        "application/pdf",
        pdf(0),
    )
    .await;
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    assert_eq!(attachment_rows(&w.app).await, 0);
    assert!(stored_blobs(&w.app).await.is_empty());
}

const TICKET_FILES: &str = "query($id: ID!) {
  ticket(id: $id) {
    attachments { nodes { id fileName contentType downloadUrl uploadedBy { displayName isStaff } } }
  }
}";

const ATTACHMENT_NODE: &str = "query($id: ID!) {
  node(id: $id) { ... on Attachment { fileName sizeBytes } }
}";

#[tokio::test]
async fn partners_see_a_tickets_files_and_who_added_them() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.beta_member, TicketStatus::Review).await;
    let staff_token = w.token(&w.staff).await;
    let beta_token = w.token(&w.beta_member).await;
    let by_staff = upload(&w.app, &staff_token, &ticket, "note.pdf", pdf(0)).await;
    let by_partner = upload(&w.app, &beta_token, &ticket, "cert.pdf", pdf(0)).await;

    let body = w
        .app
        .graphql(
            TICKET_FILES,
            json!({ "id": ticket_id(&ticket) }),
            Some(&beta_token),
        )
        .await;
    let files = body["data"]["ticket"]["attachments"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("attachments in {body}"));
    assert_eq!(files.len(), 2, "{body}");
    assert_eq!(files[0]["id"], uploaded(&by_staff)["id"], "oldest first");
    assert_eq!(files[0]["uploadedBy"]["displayName"], "Sam Staff");
    assert_eq!(files[0]["uploadedBy"]["isStaff"], true);
    assert_eq!(files[1]["id"], uploaded(&by_partner)["id"]);
    assert_eq!(files[1]["uploadedBy"]["displayName"], "Bea Beta");

    let id = uploaded(&by_partner)["id"].clone();
    let body = w
        .app
        .graphql(ATTACHMENT_NODE, json!({ "id": id }), Some(&beta_token))
        .await;
    assert_eq!(body["data"]["node"]["fileName"], "cert.pdf", "{body}");
    let member_token = w.token(&w.member).await;
    let body = w
        .app
        .graphql(ATTACHMENT_NODE, json!({ "id": id }), Some(&member_token))
        .await;
    assert!(body["data"]["node"].is_null(), "{body}");
}
