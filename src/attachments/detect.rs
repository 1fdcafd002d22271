//! What a file is, from its own first bytes (its "magic number").
//!
//! The file name and the content type the client sends are both chosen by
//! the client and prove nothing; only the bytes decide. Three formats are
//! accepted (SPEC §2 "Attachment"): PDF, PNG and JPEG. Anything else,
//! including an executable renamed `.pdf`, is refused.

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
}
