//! `GEM-<n>` references: parsed from user input, made from the counter.

use crate::error::Invalid;

/// A ticket reference, `GEM-` followed by a positive number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GemReference(String);

impl GemReference {
    /// Accepts `GEM-42`, ` gem-42 `; refuses anything else.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let value = input.trim().to_uppercase();
        let malformed = || Invalid::format_like("must look like GEM-123", "GEM-123");
        let digits = value.strip_prefix("GEM-").ok_or_else(malformed)?;
        let number: u64 = digits.parse().map_err(|_| malformed())?;
        if number == 0 || digits.starts_with('0') {
            return Err(malformed());
        }
        Ok(Self(format!("GEM-{number}")))
    }

    /// The reference of the `n`th ticket.
    pub fn from_number(n: i64) -> Self {
        Self(format!("GEM-{n}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        assert_eq!(
            GemReference::parse(" gem-42 ").map(|r| r.0),
            Ok("GEM-42".to_owned())
        );
        for bad in [
            "", "GEM-", "GEM-0", "GEM-007", "GEM-1a", "42", "ABC-42", "GEM--1",
        ] {
            assert!(GemReference::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(GemReference::from_number(7).as_str(), "GEM-7");
    }
}
