//! The name an uploaded file is kept and offered for download under.
//!
//! The client's file name is untrusted text that ends up in a download's
//! `Content-Disposition`, in a user's file system and on screens. What is
//! kept: the base name only (no directory, whatever the client's path
//! separator), without control or invisible direction-changing characters,
//! at most [`MAX_FILE_NAME_CHARS`] characters, never empty, and with an
//! extension that agrees with the type detected from the bytes (so that the
//! downloaded file opens in the right program).

use super::detect::FileType;

/// Longest file name kept, in characters (the column's bound).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// The stem given to a file whose name has nothing usable.
const FALLBACK_STEM: &str = "attachment";

/// The name to keep for an upload named `raw` whose bytes are `file_type`.
///
/// `C:\scans\..\certificate.PDF` → `certificate.PDF`; `scan.pdf` holding a
/// PNG → `scan.pdf.png`; `../../` → `attachment.pdf`.
pub fn sanitize_file_name(raw: &str, file_type: FileType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible_format(c))
        .collect();
    // Trailing dots and spaces vanish on Windows anyway.
    let name = cleaned
        .trim_start()
        .trim_end_matches(|c: char| c.is_whitespace() || c == '.');

    let accepted = file_type.extensions();
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if accepted.contains(&ext.to_ascii_lowercase().as_str()) => (stem, ext),
        _ => (name, accepted[0]),
    };
    // Leading dots would make a hidden file; a name that is only an
    // extension (`.pdf`) has no stem at all.
    let stem = stem.trim_matches(|c: char| c.is_whitespace() || c == '.');
    let stem = if stem.is_empty() { FALLBACK_STEM } else { stem };

    let room = MAX_FILE_NAME_CHARS - 1 - extension.chars().count();
    let stem: String = stem.chars().take(room).collect();
    let stem = stem.trim_end_matches(|c: char| c.is_whitespace() || c == '.');
    format!("{stem}.{extension}")
}

/// Zero-width and bidirectional formatting characters: invisible, and able
/// to make `evil\u{202E}fdp.exe` read as `evilexe.pdf`.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf(raw: &str) -> String {
        sanitize_file_name(raw, FileType::Pdf)
    }

    #[test]
    fn keeps_an_ordinary_name_as_it_is() {
        assert_eq!(
            pdf("Attestation de formation.pdf"),
            "Attestation de formation.pdf"
        );
        assert_eq!(pdf("Lehrvertrag Müller.PDF"), "Lehrvertrag Müller.PDF");
        assert_eq!(
            sanitize_file_name("photo.JPEG", FileType::Jpeg),
            "photo.JPEG"
        );
    }

    #[test]
    fn keeps_the_base_name_only() {
        assert_eq!(pdf("/etc/passwd.pdf"), "passwd.pdf");
        assert_eq!(pdf("../../secret.pdf"), "secret.pdf");
        assert_eq!(pdf("C:\\Users\\max\\Desktop\\cert.pdf"), "cert.pdf");
        assert_eq!(pdf("dir/"), "attachment.pdf");
        assert_eq!(pdf(".."), "attachment.pdf");
        assert_eq!(pdf("../.."), "attachment.pdf");
    }

    #[test]
    fn removes_control_and_invisible_characters() {
        assert_eq!(pdf("a\u{0}b\r\nc\t.pdf"), "abc.pdf");
        assert_eq!(pdf("evil\u{202E}fdp.exe"), "evilfdp.exe.pdf");
        assert_eq!(pdf("zero\u{200B}width.pdf"), "zerowidth.pdf");
    }

    #[test]
    fn never_returns_an_empty_or_hidden_name() {
        assert_eq!(pdf(""), "attachment.pdf");
        assert_eq!(pdf("   "), "attachment.pdf");
        assert_eq!(pdf("\u{1}\u{2}"), "attachment.pdf");
        assert_eq!(pdf(".pdf"), "attachment.pdf");
        assert_eq!(pdf("..."), "attachment.pdf");
        assert_eq!(pdf(".hidden"), "hidden.pdf");
        assert_eq!(pdf("  report.pdf . "), "report.pdf");
    }

    #[test]
    fn makes_the_extension_agree_with_the_content() {
        assert_eq!(pdf("contract"), "contract.pdf");
        assert_eq!(
            sanitize_file_name("scan.pdf", FileType::Png),
            "scan.pdf.png"
        );
        assert_eq!(sanitize_file_name("photo", FileType::Jpeg), "photo.jpg");
        assert_eq!(sanitize_file_name("photo.jpg", FileType::Jpeg), "photo.jpg");
    }

    #[test]
    fn is_at_most_255_characters_and_keeps_its_extension() {
        let long = format!("{}.pdf", "é".repeat(400));
        let kept = pdf(&long);
        assert_eq!(kept.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(kept.ends_with("é.pdf"));

        let unknown_extension = format!("a.{}", "x".repeat(300));
        let kept = pdf(&unknown_extension);
        assert_eq!(kept.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(kept.ends_with("x.pdf"));

        let exact = format!("{}.pdf", "a".repeat(251));
        assert_eq!(pdf(&exact), exact);
    }
}
