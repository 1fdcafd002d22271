//! Hostile uploads: each is refused cleanly (VALIDATION naming the file,
//! no row and no blob) or stored safely (kept byte for byte, never opened
//! or inflated, downloaded as an inert attachment), and a store that fails
//! midway leaves no partial file and no orphan row, on the disk store and
//! on the database store alike.
//!
//! The hostile files are made here, not kept in the repository: a zip bomb
//! on disk is a hazard to whoever unpacks the checkout.

use std::time::Instant;

use entity::enums::TicketStatus;
use entity::{ticket_events, tickets};
use partnerdesk::config::AttachmentStore;
use reqwest::{StatusCode, header};
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::Value;

use crate::attachments::{
    assert_refused_without_trace, attachment_rows, download, stored_blobs, upload, uploaded,
};
use crate::helpers::{
    TestApp, WriteFault, error_code, pdf, spawn_app_with_flaky_store, world, world_on,
};

// -- Hostile files ----------------------------------------------------------

/// Bits in deflate's order (RFC 1951 §3.1.1): least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    pending: u64,
    count: u32,
}

impl Bits {
    fn put(&mut self, value: u32, bits: u32) {
        self.pending |= u64::from(value) << self.count;
        self.count += bits;
        while self.count >= 8 {
            self.out.push(self.pending.to_le_bytes()[0]);
            self.pending >>= 8;
            self.count -= 8;
        }
    }

    /// A Huffman code, which deflate packs most significant bit first.
    fn code(&mut self, code: u32, bits: u32) {
        self.put(code.reverse_bits() >> (32 - bits), bits);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.pending.to_le_bytes()[0]);
        }
        self.out
    }
}

/// A raw deflate stream that inflates to `len` (> 0) zero bytes: one block
/// of fixed Huffman codes, a literal zero, then copies of 258 bytes at
/// distance 1 at 13 bits each, about 1/159 of what they inflate to.
fn deflated_zeros(len: usize) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.put(1, 1); // the last block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let mut left = len - 1;
    while left >= 258 {
        bits.code(0xC5, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    bits.finish()
}

/// CRC-32 (ZIP's) of `len` zero bytes.
fn crc32_of_zeros(len: usize) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    let mut crc = u32::MAX;
    for _ in 0..len {
        crc = table[usize::from(crc.to_le_bytes()[0])] ^ (crc >> 8);
    }
    !crc
}

fn u16le(n: usize) -> [u8; 2] {
    u16::try_from(n).expect("fits 16 bits").to_le_bytes()
}

fn u32le(n: usize) -> [u8; 4] {
    u32::try_from(n).expect("fits 32 bits").to_le_bytes()
}

/// A zip bomb after `prefix`: `entries` entries of the central directory
/// all point at one deflated file of `each` zero bytes, so that an
/// extractor writes `entries × each` bytes from a file of a few dozen KiB.
/// Offsets count from the start of the whole file, as in a genuine
/// polyglot.
fn zip_bomb(prefix: &[u8], entries: usize, each: usize) -> Vec<u8> {
    let kernel = deflated_zeros(each);
    let crc = crc32_of_zeros(each).to_le_bytes();
    let name = b"zeros.bin";
    let mut file = prefix.to_vec();
    let local_at = file.len();
    file.extend_from_slice(b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0");
    file.extend_from_slice(&crc);
    file.extend_from_slice(&u32le(kernel.len()));
    file.extend_from_slice(&u32le(each));
    file.extend_from_slice(&u16le(name.len()));
    file.extend_from_slice(&[0, 0]);
    file.extend_from_slice(name);
    file.extend_from_slice(&kernel);
    let directory_at = file.len();
    for _ in 0..entries {
        file.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\x08\0\0\0\0\0");
        file.extend_from_slice(&crc);
        file.extend_from_slice(&u32le(kernel.len()));
        file.extend_from_slice(&u32le(each));
        file.extend_from_slice(&u16le(name.len()));
        file.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        file.extend_from_slice(&u32le(local_at));
        file.extend_from_slice(name);
    }
    let directory_len = file.len() - directory_at;
    file.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    file.extend_from_slice(&u16le(entries));
    file.extend_from_slice(&u16le(entries));
    file.extend_from_slice(&u32le(directory_len));
    file.extend_from_slice(&u32le(directory_at));
    file.extend_from_slice(&[0, 0]);
    file
}

/// The start of a PDF, as a zip bomb disguised as one shows it.
const PDF_HEAD: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";

/// A genuine one-page PDF whose page content is a FlateDecode stream that
/// inflates to `inflated` zero bytes: a deflate bomb a PDF reader meets
/// when it renders the page.
fn pdf_with_deflate_bomb(inflated: usize) -> Vec<u8> {
    // zlib around the raw deflate: header, then the Adler-32 of zeros.
    let mut stream = vec![0x78, 0x01];
    stream.extend_from_slice(&deflated_zeros(inflated));
    let adler = ((inflated % 65_521) << 16) | 1;
    stream.extend_from_slice(&u32::try_from(adler).expect("32 bits").to_be_bytes());
    let mut file = PDF_HEAD.to_vec();
    file.extend_from_slice(
        b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
          2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n\
          3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R>> endobj\n",
    );
    file.extend_from_slice(
        format!(
            "4 0 obj <</Length {} /Filter /FlateDecode>>\nstream\n",
            stream.len()
        )
        .as_bytes(),
    );
    file.extend_from_slice(&stream);
    file.extend_from_slice(b"\nendstream\nendobj\ntrailer <</Root 1 0 R>>\n%%EOF\n");
    file
}

// -- Helpers ------------------------------------------------------------------

async fn event_count(app: &TestApp) -> u64 {
    ticket_events::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count events")
}

async fn ticket_versions(app: &TestApp) -> Vec<(i64, i32)> {
    tickets::Entity::find()
        .all(&app.state.db)
        .await
        .expect("tickets")
        .into_iter()
        .map(|t| (t.id, t.version))
        .collect()
}

fn download_url(body: &Value) -> String {
    uploaded(body)["downloadUrl"]
        .as_str()
        .expect("downloadUrl")
        .to_owned()
}

// -- Zip bombs -------------------------------------------------------------------

#[tokio::test]
async fn a_zip_bomb_disguised_as_a_pdf_is_refused_without_a_trace() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    // 1,000 entries of 10 MiB: 10 GiB for an extractor.
    let (entries, each) = (1_000, 10 * 1024 * 1024);
    let behind_a_pdf_header = zip_bomb(PDF_HEAD, entries, each);
    let alone = zip_bomb(b"", entries, each);
    assert!(behind_a_pdf_header.starts_with(b"%PDF-"));
    for (what, bytes) in [
        ("behind a PDF header", behind_a_pdf_header),
        ("alone", alone),
    ] {
        let size = bytes.len();
        let started = Instant::now();
        let body = upload(&w.app, &token, &ticket, "certificate.pdf", bytes).await;
        let took = started.elapsed();
        println!(
            "zip bomb {what}: {size} bytes that extract to {} GiB, refused in {took:?}",
            entries * each / (1024 * 1024 * 1024)
        );
        assert_refused_without_trace(&w.app, &body).await;
    }
}

#[tokio::test]
async fn a_pdf_whose_page_is_a_deflate_bomb_is_stored_as_sent_and_never_inflated() {
    // A genuine PDF: it is accepted, and safe to keep, because the server
    // never opens a file; it is only ever sent back as a download.
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let inflated = 200 * 1024 * 1024;
    let bytes = pdf_with_deflate_bomb(inflated);
    let size = bytes.len();
    let started = Instant::now();
    let body = upload(&w.app, &token, &ticket, "scan.pdf", bytes.clone()).await;
    let took = started.elapsed();
    println!(
        "deflate bomb in a PDF: {size} bytes that inflate to {} MiB, stored in {took:?}",
        inflated / (1024 * 1024)
    );
    assert_eq!(uploaded(&body)["sizeBytes"], size, "{body}");
    assert_eq!(uploaded(&body)["contentType"], "application/pdf");
    let response = download(&w.app, Some(&token), &download_url(&body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"scan.pdf\""
    );
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        bytes.as_slice(),
        "byte for byte"
    );
}

// -- Polyglots ----------------------------------------------------------------------

#[tokio::test]
async fn a_pdf_or_image_that_is_also_a_zip_archive_is_refused_without_a_trace() {
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let jpeg_head: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
    let png_head: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
    for (name, head) in [
        ("certificate.pdf", pdf(0)),
        ("photo.jpg", jpeg_head.to_vec()),
        ("photo.png", png_head.to_vec()),
    ] {
        // A small archive (a JAR, an Office document would do the same)
        // appended to a file that opens as the format it claims.
        let polyglot = zip_bomb(&head, 1, 1024);
        let body = upload(&w.app, &token, &ticket, name, polyglot).await;
        assert_refused_without_trace(&w.app, &body).await;
        let reason = &body["errors"][0]["extensions"]["fields"][0]["reason"];
        assert_eq!(reason, "NOT_ALLOWED", "{name}: {body}");
    }
}

#[tokio::test]
async fn a_pdf_or_image_carrying_html_is_stored_and_downloaded_inert() {
    // HTML or script after a valid header cannot be told from a genuine
    // file's binary streams; the download keeps it inert instead: the
    // detected type, never sniffed, as an attachment, in a sandbox.
    let w = world().await;
    let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
    let token = w.token(&w.member).await;
    let html: &[u8] = b"<html><body><script>fetch('/graphql')</script></body></html>";
    let png_head: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
    for (name, mut bytes, content_type) in [
        ("page.pdf", pdf(0), "application/pdf"),
        ("page.html", png_head.to_vec(), "image/png"),
    ] {
        bytes.extend_from_slice(html);
        let body = upload(&w.app, &token, &ticket, name, bytes.clone()).await;
        assert_eq!(uploaded(&body)["contentType"], content_type, "{body}");
        let response = download(&w.app, Some(&token), &download_url(&body)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], content_type);
        assert!(
            headers[header::CONTENT_DISPOSITION]
                .to_str()
                .expect("ASCII")
                .starts_with("attachment;"),
            "{headers:?}"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; sandbox"
        );
        assert_eq!(response.bytes().await.expect("body").as_ref(), bytes);
    }
    // HTML first, a PDF header further in: what a browser would sniff as a
    // page is not a PDF by its own first bytes.
    let mut page = html.to_vec();
    page.extend_from_slice(&pdf(0));
    let body = upload(&w.app, &token, &ticket, "page.pdf", page).await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(attachment_rows(&w.app).await, 2, "only the two above");
}

// -- A store that fails midway -------------------------------------------------

#[tokio::test]
async fn a_store_that_fails_midway_leaves_no_partial_file_and_no_orphan_row_on_either_store() {
    let faults = [
        // Nothing written.
        WriteFault::Refuse,
        // Half the bytes written under the key, then the failure.
        WriteFault::CutMidway,
        // The blob stored whole before the transaction, the write inside
        // it failing.
        WriteFault::RefuseAfter(1),
    ];
    for store in [AttachmentStore::Disk, AttachmentStore::Database] {
        for fault in faults {
            let (app, storage) = spawn_app_with_flaky_store(store).await;
            let w = world_on(app).await;
            let ticket = w.app.ticket_in(&w.member, TicketStatus::Review).await;
            let token = w.token(&w.member).await;
            let bytes = pdf(300_000);
            let events = event_count(&w.app).await;
            let versions = ticket_versions(&w.app).await;

            storage.fail_writes(fault);
            let body = upload(&w.app, &token, &ticket, "certificate.pdf", bytes.clone()).await;
            storage.fail_writes(WriteFault::None);
            let case = format!("{store:?}, {fault:?}");
            assert_eq!(error_code(&body), Some("INTERNAL"), "{case}: {body}");
            assert!(
                storage.refused() > 0,
                "{case}: the upload reached the store"
            );
            assert_eq!(attachment_rows(&w.app).await, 0, "{case}: no orphan row");
            assert_eq!(
                stored_blobs(&w.app).await,
                Vec::<String>::new(),
                "{case}: no partial file and no blob left"
            );
            assert_eq!(event_count(&w.app).await, events, "{case}: no event");
            assert_eq!(ticket_versions(&w.app).await, versions, "{case}");

            // With the store back, the same bytes are stored whole.
            let body = upload(&w.app, &token, &ticket, "certificate.pdf", bytes.clone()).await;
            let response = download(&w.app, Some(&token), &download_url(&body)).await;
            assert_eq!(response.status(), StatusCode::OK, "{case}");
            assert_eq!(
                response.bytes().await.expect("body").as_ref(),
                bytes.as_slice(),
                "{case}: whole"
            );
            assert_eq!(attachment_rows(&w.app).await, 1, "{case}");
            assert_eq!(stored_blobs(&w.app).await.len(), 1, "{case}");
        }
    }
}
