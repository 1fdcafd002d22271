//! What a file is, from its own first bytes (its "magic number"), and
//! whether it is also something else (a polyglot).
//!
//! The file name and the content type the client sends are both chosen by
//! the client and prove nothing; only the bytes decide. Three formats are
//! accepted (SPEC §2 "Attachment"): PDF, PNG and JPEG. Anything else,
//! including an executable renamed `.pdf`, is refused.
//!
//! A file can be two formats at once, because readers look in different
//! places: a PDF or image reader at the start, a ZIP reader at the end.
//! [`hides_a_zip_archive`] finds an archive appended to an accepted file
//! (a JAR, an Office document, a zip bomb behind a `%PDF-` line), as ZIP
//! readers do. Other polyglots, such as HTML or script after a valid
//! header, are not looked for: they cannot be told from the binary streams
//! of genuine files, and the download makes them inert instead (see
//! `http.rs`).

/// An accepted file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
}

impl FileType {
    /// The MIME type stored with the attachment and sent on download (the
    /// database accepts exactly these three).
    pub const fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    /// File name extensions that announce this type, lower case; the first
    /// is the one given to a name that has none of them.
    pub const fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Png => &["png"],
            Self::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
        }
    }
}

const PDF: &[u8] = b"%PDF-";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG: &[u8] = b"\xFF\xD8\xFF";

/// The type of `bytes`, or `None` when it is not one we accept.
///
/// The signature must sit at offset 0. (PDF readers tolerate junk before
/// `%PDF-`; we do not, so that a polyglot file cannot pass as a PDF.)
pub fn detect(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(PDF) {
        Some(FileType::Pdf)
    } else if bytes.starts_with(PNG) {
        Some(FileType::Png)
    } else if bytes.starts_with(JPEG) {
        Some(FileType::Jpeg)
    } else {
        None
    }
}

/// The end-of-central-directory record's signature and fixed length, and
/// the longest archive comment that may follow it.
const ZIP_END: &[u8] = b"PK\x05\x06";
const ZIP_END_LEN: usize = 22;
const ZIP_MAX_COMMENT: usize = u16::MAX as usize;
/// A central directory entry's signature.
const ZIP_CENTRAL: &[u8] = b"PK\x01\x02";

/// Whether a ZIP reader would find an archive in `bytes`.
///
/// ZIP readers do not look at the start of a file: they search its last
/// 64 KiB for the end-of-central-directory record, then read the central
/// directory just before it, wherever the archive begins (so an archive
/// appended to a PDF opens as well as one alone). This does the same, and
/// requires both, so that four bytes that merely look like the record in
/// a compressed image are not mistaken for an archive.
pub fn hides_a_zip_archive(bytes: &[u8]) -> bool {
    let from = bytes.len().saturating_sub(ZIP_END_LEN + ZIP_MAX_COMMENT);
    let Some(last_start) = bytes.len().checked_sub(ZIP_END_LEN) else {
        return false;
    };
    (from..=last_start)
        .rev()
        .any(|at| bytes[at..].starts_with(ZIP_END) && is_zip_end(bytes, at))
}

/// Whether the record at `at` is a ZIP end-of-central-directory record a
/// reader would accept.
fn is_zip_end(bytes: &[u8], at: usize) -> bool {
    let Some(record) = bytes.get(at..at + ZIP_END_LEN) else {
        return false;
    };
    let u16_at = |offset: usize| u16::from_le_bytes([record[offset], record[offset + 1]]);
    let u32_at = |offset: usize| {
        u32::from_le_bytes([
            record[offset],
            record[offset + 1],
            record[offset + 2],
            record[offset + 3],
        ])
    };
    let comment = usize::from(u16_at(20));
    if at + ZIP_END_LEN + comment > bytes.len() {
        return false;
    }
    let (entries, directory_size) = (u16_at(10), u32_at(12));
    if entries == u16::MAX || directory_size == u32::MAX {
        // ZIP64: the real figures are in another record; the markers alone
        // are a reader's cue.
        return true;
    }
    if entries == 0 {
        // An empty archive holds nothing to open.
        return false;
    }
    usize::try_from(directory_size)
        .ok()
        .and_then(|size| at.checked_sub(size))
        .is_some_and(|start| bytes[start..].starts_with(ZIP_CENTRAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_pdf_png_and_jpeg_by_their_signatures() {
        assert_eq!(
            detect(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"),
            Some(FileType::Pdf)
        );
        assert_eq!(
            detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(FileType::Png)
        );
        assert_eq!(detect(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some(FileType::Jpeg));
        assert_eq!(detect(b"\xFF\xD8\xFF\xE1\0\x10Exif"), Some(FileType::Jpeg));
    }

    #[test]
    fn refuses_executables_whatever_their_name() {
        assert_eq!(detect(b"MZ\x90\0\x03\0\0\0\x04\0"), None);
        assert_eq!(detect(b"\x7fELF\x02\x01\x01"), None);
        assert_eq!(detect(b"#!/bin/sh\n"), None);
    }

    #[test]
    fn refuses_other_and_truncated_content() {
        assert_eq!(detect(b""), None);
        assert_eq!(detect(b"%PDF"), None);
        assert_eq!(detect(b"\x89PNG\r\n"), None);
        assert_eq!(detect(b"\xFF\xD8"), None);
        assert_eq!(detect(b"GIF89a"), None);
        assert_eq!(detect(b"<html><body>%PDF-"), None);
        assert_eq!(detect(b"PK\x03\x04"), None);
        // A PDF signature after leading junk is not at offset 0.
        assert_eq!(detect(b"\n%PDF-1.4"), None);
    }

    #[test]
    fn mime_types_are_the_ones_the_database_accepts() {
        assert_eq!(FileType::Pdf.mime(), "application/pdf");
        assert_eq!(FileType::Png.mime(), "image/png");
        assert_eq!(FileType::Jpeg.mime(), "image/jpeg");
        assert_eq!(FileType::Jpeg.extensions()[0], "jpg");
    }

    /// A one-entry ZIP archive (stored, not compressed) of `content`,
    /// ending with `comment`.
    fn zip(content: &[u8], comment: &[u8]) -> Vec<u8> {
        let name = b"a.txt";
        let mut archive = Vec::new();
        archive.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0");
        archive.extend_from_slice(&[0; 4]); // CRC, unchecked here
        let len = u32::try_from(content.len()).expect("small");
        archive.extend_from_slice(&len.to_le_bytes());
        archive.extend_from_slice(&len.to_le_bytes());
        archive.extend_from_slice(&5u16.to_le_bytes());
        archive.extend_from_slice(&0u16.to_le_bytes());
        archive.extend_from_slice(name);
        archive.extend_from_slice(content);
        let directory_at = archive.len();
        archive.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0");
        archive.extend_from_slice(&[0; 4]);
        archive.extend_from_slice(&len.to_le_bytes());
        archive.extend_from_slice(&len.to_le_bytes());
        archive.extend_from_slice(&5u16.to_le_bytes());
        archive.extend_from_slice(&[0; 12]);
        archive.extend_from_slice(&0u32.to_le_bytes()); // local header at 0
        archive.extend_from_slice(name);
        let directory_len = archive.len() - directory_at;
        archive.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
        archive.extend_from_slice(&u32::try_from(directory_len).expect("small").to_le_bytes());
        archive.extend_from_slice(&u32::try_from(directory_at).expect("small").to_le_bytes());
        archive.extend_from_slice(&u16::try_from(comment.len()).expect("short").to_le_bytes());
        archive.extend_from_slice(comment);
        archive
    }

    fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n".to_vec()
    }

    #[test]
    fn an_archive_alone_or_appended_to_an_accepted_file_is_found() {
        let archive = zip(b"hello", b"");
        assert!(hides_a_zip_archive(&archive));
        let mut polyglot = pdf();
        polyglot.extend_from_slice(&archive);
        assert!(hides_a_zip_archive(&polyglot), "PDF then ZIP");
        let mut jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec();
        jpeg.extend_from_slice(&zip(b"class", b"a comment"));
        assert!(hides_a_zip_archive(&jpeg), "JPEG then JAR, with a comment");
    }

    #[test]
    fn genuine_files_and_lookalike_bytes_are_not_archives() {
        assert!(!hides_a_zip_archive(&pdf()));
        assert!(!hides_a_zip_archive(b""));
        assert!(!hides_a_zip_archive(b"PK\x05\x06"));
        // The record's signature alone, with nothing a reader could open.
        let mut lookalike = pdf();
        lookalike.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x10\0\0\0\x20\0\0\0\0\0");
        assert!(!hides_a_zip_archive(&lookalike));
        // A comment longer than what follows the record.
        let mut archive = zip(b"hello", b"");
        let len = archive.len();
        archive[len - 2] = 9;
        assert!(!hides_a_zip_archive(&archive));
        // An empty archive: nothing in it.
        let mut empty = pdf();
        empty.extend_from_slice(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        assert!(!hides_a_zip_archive(&empty));
    }

    #[test]
    fn an_archive_further_back_than_a_reader_looks_is_not_found() {
        let mut buried = pdf();
        buried.extend_from_slice(&zip(b"hello", b""));
        buried.resize(buried.len() + ZIP_END_LEN + ZIP_MAX_COMMENT, b' ');
        assert!(!hides_a_zip_archive(&buried));
    }
}
