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
        // Digits only: `u64::from_str` would also take a sign (`GEM-+5`).
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
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
            // Found by the property below: a sign was taken as a digit.
            "GEM-+5", "gem-+1",
        ] {
            assert!(GemReference::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(GemReference::from_number(7).as_str(), "GEM-7");
    }

    proptest::proptest! {
        /// Whatever the input, a parsed reference is the input itself,
        /// trimmed and upper-cased, `GEM-` and a number without sign or
        /// leading zero, and parses to itself again.
        #[test]
        fn a_parsed_reference_is_its_input_normalised(input in proptest::prop_oneof![
                1 => "\\PC*",
                4 => "[ \t]?(gem|GEM|Gem|GEN)[- ][+-]?0?[0-9\u{660}-\u{669}]{0,21}[ a]?",
            ]) {
            if let Ok(reference) = GemReference::parse(&input) {
                proptest::prop_assert_eq!(reference.as_str(), input.trim().to_uppercase());
                let digits = reference.as_str().strip_prefix("GEM-").unwrap_or_default();
                proptest::prop_assert!(!digits.is_empty() && !digits.starts_with('0'));
                proptest::prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                proptest::prop_assert_eq!(GemReference::parse(reference.as_str()), Ok(reference.clone()));
            }
        }

        #[test]
        fn every_number_makes_a_reference_that_parses_back(n in 1i64..=i64::MAX) {
            let reference = GemReference::from_number(n);
            proptest::prop_assert_eq!(GemReference::parse(reference.as_str()), Ok(reference));
        }
    }
}
