//! A login or billing email address, trimmed and lower-cased.

use crate::error::Invalid;

/// An email address: `local@domain`, at most 254 characters, no spaces or
/// control characters, lower-cased (logins are matched case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses user input; the error says what is wrong, for a VALIDATION error.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(Invalid::required());
        }
        if value.chars().count() > 254 {
            return Err(Invalid::too_long(254));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::format(
                "must not contain spaces or control characters",
            ));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(Invalid::format("must be an email address (name@domain)"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(Invalid::format("must be an email address (name@domain)"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let email = Email::parse("  Anna.Muster@Example.CH ").expect("valid");
        assert_eq!(email.as_str(), "anna.muster@example.ch");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.ch",
            "a b@example.ch",
            "a@@example.ch",
            "a@.ch",
            "a@example..ch",
            "a@ex\u{0}ample.ch",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let long = format!("{}@example.ch", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
