//! Short single-line texts typed by users (names, subjects).

/// A trimmed single-line text of `1..=max` characters with no control
/// characters.
pub fn single_line(input: &str, max: usize) -> Result<String, String> {
    let value = input.trim();
    if value.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(value.to_owned())
}

/// A display name: 1 to 200 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, String> {
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
}
