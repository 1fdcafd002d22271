//! A new password, checked against the password policy.

use crate::error::Invalid;

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in characters (bounds the hashing work).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password that satisfies the policy: 10 to 128 characters, not the
/// account's email address.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

impl NewPassword {
    /// Checks `input` for the account with login `email`.
    pub fn parse(input: &str, email: &str) -> Result<Self, Invalid> {
        let chars = input.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Invalid::too_short(10));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Invalid::too_long(128));
        }
        if input.trim().eq_ignore_ascii_case(email.trim()) {
            return Err(Invalid::not_allowed("must not be the email address"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_the_policy() {
        assert!(NewPassword::parse("short", "a@b.ch").is_err());
        assert!(NewPassword::parse(&"x".repeat(129), "a@b.ch").is_err());
        assert!(NewPassword::parse("Anna@Example.ch", "anna@example.ch").is_err());
        assert!(NewPassword::parse("ten chars!", "a@b.ch").is_ok());
        assert!(NewPassword::parse(&"x".repeat(128), "a@b.ch").is_ok());
        // Characters, not bytes.
        assert!(NewPassword::parse("ééééééééé", "a@b.ch").is_err());
    }
}
