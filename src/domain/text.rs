//! Texts typed by users: single-line (names, subjects, references) and
//! multi-line (comments), trimmed and bounded in characters.

use crate::error::Invalid;

/// A trimmed single-line text of `1..=max` characters with no control
/// characters.
pub fn single_line(input: &str, max: usize) -> Result<String, Invalid> {
    let value = input.trim();
    if value.is_empty() {
        return Err(Invalid::required());
    }
    if value.chars().count() > max {
        return Err(Invalid::too_long(max));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::format("must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// A trimmed multi-line text of `1..=max` characters. Line breaks and tabs
/// are kept, `\r\n` becomes `\n`; any other control character (a lone
/// `\r` included) is refused. The length is counted after normalising.
pub fn multi_line(input: &str, max: usize) -> Result<String, Invalid> {
    let normalised = input.replace("\r\n", "\n");
    let value = normalised.trim();
    if value.is_empty() {
        return Err(Invalid::required());
    }
    if value.chars().count() > max {
        return Err(Invalid::too_long(max));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Invalid::format(
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(value.to_owned())
}

/// An optional [`single_line`] text: absent or blank input is `None`.
pub fn optional_single_line(input: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    optional(input, |value| single_line(value, max))
}

/// An optional [`multi_line`] text: absent or blank input is `None`.
pub fn optional_multi_line(input: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    optional(input, |value| multi_line(value, max))
}

fn optional(
    input: Option<&str>,
    parse: impl FnOnce(&str) -> Result<String, Invalid>,
) -> Result<Option<String>, Invalid> {
    match input {
        Some(value) if !value.trim().is_empty() => parse(value).map(Some),
        _ => Ok(None),
    }
}

/// A display name: 1 to 200 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        single_line(input, 200).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Anna  ").map(DisplayName::into_inner),
            Ok("Anna".to_owned())
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse("a\nb").is_err());
        assert!(DisplayName::parse(&"a".repeat(201)).is_err());
    }

    #[test]
    fn single_line_refuses_line_breaks_and_control_characters() {
        for bad in [
            "",
            " \t ",
            "a\nb",
            "a\r\nb",
            "a\tb",
            "a\u{0}b",
            "a\u{1b}[31mb",
            "a\u{7f}",
        ] {
            assert!(single_line(bad, 10).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(single_line(" Bern ", 4), Ok("Bern".to_owned()));
        assert_eq!(single_line("Zürich", 6), Ok("Zürich".to_owned()));
        assert!(single_line("Zürich", 5).is_err());
    }

    #[test]
    fn multi_line_keeps_line_breaks_and_tabs() {
        for (input, expected) in [
            ("hello", "hello"),
            ("  line 1\nline 2\n\n", "line 1\nline 2"),
            ("line 1\r\nline 2", "line 1\nline 2"),
            ("\r\n\tindented\r\n", "indented"),
            ("a\tb", "a\tb"),
            ("a\n\tb", "a\n\tb"),
            ("ça va ?", "ça va ?"),
        ] {
            assert_eq!(multi_line(input, 100), Ok(expected.to_owned()), "{input:?}");
        }
    }

    #[test]
    fn multi_line_refuses_blank_long_and_control_characters() {
        for bad in [
            "",
            "  \n\r\n\t ",
            "a\rb",
            "a\u{0}b",
            "a\u{1b}b",
            "a\u{7f}b",
            "a\u{85}b",
        ] {
            assert!(multi_line(bad, 100).is_err(), "{bad:?} should be rejected");
        }
        assert!(multi_line(&"é".repeat(2000), 2000).is_ok());
        assert_eq!(
            multi_line(&"é".repeat(2001), 2000),
            Err(Invalid::too_long(2000))
        );
        // A CRLF counts as one character once normalised.
        assert_eq!(multi_line("a\r\nb\r\nc", 5), Ok("a\nb\nc".to_owned()));
    }

    #[test]
    fn optional_texts_are_none_when_absent_or_blank() {
        assert_eq!(optional_single_line(None, 64), Ok(None));
        assert_eq!(optional_single_line(Some(""), 64), Ok(None));
        assert_eq!(optional_single_line(Some(" \t "), 64), Ok(None));
        assert_eq!(
            optional_single_line(Some(" P-42 "), 64),
            Ok(Some("P-42".to_owned()))
        );
        assert!(optional_single_line(Some("a\nb"), 64).is_err());
        assert!(optional_single_line(Some(&"x".repeat(65)), 64).is_err());

        assert_eq!(optional_multi_line(None, 10), Ok(None));
        assert_eq!(optional_multi_line(Some(" \r\n \n"), 10), Ok(None));
        assert_eq!(
            optional_multi_line(Some("a\r\nb"), 10),
            Ok(Some("a\nb".to_owned()))
        );
        assert!(optional_multi_line(Some("a\u{0}"), 10).is_err());
        assert!(optional_multi_line(Some(&"x".repeat(11)), 10).is_err());
    }
}
