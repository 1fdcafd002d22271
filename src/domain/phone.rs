//! A phone number, valid per the numbering plan of its country and stored in
//! E.164 (`+41791234567`).
//!
//! Input may be national for the default country (`079 123 45 67`) or
//! international (`+49 30 1234567`, `0041 79 123 45 67`). Validity is that of
//! the `phonenumber` crate (libphonenumber's metadata): the number must be
//! one that can be assigned, not only have a plausible length.

use crate::error::Invalid;

use phonenumber::Mode;

use super::CountryCode;

/// Longest accepted input, in characters; far above any written number.
const MAX_INPUT_CHARS: usize = 40;

/// A valid phone number in E.164.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses user input, reading a number without country prefix as one of
    /// `default_country`; the error says what is wrong, for a VALIDATION
    /// error.
    pub fn parse(input: &str, default_country: CountryCode) -> Result<Self, Invalid> {
        let value = input.trim();
        if value.is_empty() {
            return Err(Invalid::required());
        }
        if value.chars().count() > MAX_INPUT_CHARS || value.chars().any(char::is_control) {
            return Err(not_a_number());
        }
        let number = phonenumber::parse(default_country.phone_region(), value)
            .map_err(|_| not_a_number())?;
        if number.extension().is_some() {
            return Err(Invalid::format(
                "must be a phone number without an extension",
            ));
        }
        if !phonenumber::is_valid(&number) {
            return Err(Invalid::format_like(
                "is not a valid phone number: check the digits, and start a foreign number \
                 with its country code (e.g. +49)",
                "+49 30 1234567",
            ));
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    /// The number in E.164, e.g. `+41791234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn not_a_number() -> Invalid {
    Invalid::format_like(
        "must be a phone number, e.g. 079 123 45 67 or +41 79 123 45 67",
        "079 123 45 67",
    )
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(code: &str) -> CountryCode {
        CountryCode::parse(code).expect("a valid country code")
    }

    #[test]
    fn accepts_national_and_international_forms_as_e164() {
        for (default, input, expected) in [
            ("CH", "079 123 45 67", "+41791234567"),
            ("CH", "0791234567", "+41791234567"),
            ("CH", " 079/123 45 67 ", "+41791234567"),
            ("CH", "+41 79 123 45 67", "+41791234567"),
            ("CH", "0041 79 123 45 67", "+41791234567"),
            ("CH", "+41 (0)79 123 45 67", "+41791234567"),
            ("CH", "+41 44 668 18 00", "+41446681800"),
            ("CH", "044 668 18 00", "+41446681800"),
            ("CH", "+41 79 683 37 44", "+41796833744"),
            ("CH", "+49 30 1234567", "+49301234567"),
            ("CH", "+423 235 00 00", "+4232350000"),
            ("DE", "030 1234567", "+49301234567"),
            ("LI", "235 00 00", "+4232350000"),
            ("FR", "01 42 68 53 00", "+33142685300"),
            ("AQ", "+41 79 123 45 67", "+41791234567"),
        ] {
            assert_eq!(
                PhoneNumber::parse(input, country(default)).map(|p| p.as_str().to_owned()),
                Ok(expected.to_owned()),
                "{default} {input:?}"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_a_valid_number() {
        for (default, input) in [
            ("CH", ""),
            ("CH", "   "),
            ("CH", "12345"),
            ("CH", "abc"),
            ("CH", "079 123 45"),
            ("CH", "079 123 45 678"),
            ("CH", "+41 00 000 00 00"),
            ("CH", "079 123\u{0}45 67"),
            ("CH", "079 123 45 67 ext. 12"),
            ("CH", &format!("079{}1234567", " ".repeat(40))),
            ("AQ", "079 123 45 67"),
        ] {
            assert!(
                PhoneNumber::parse(input, country(default)).is_err(),
                "{default} {input:?} should be rejected"
            );
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const COUNTRIES: [&str; 8] = ["CH", "LI", "DE", "FR", "IT", "GB", "US", "JP"];

    proptest! {
        /// Any input, for any default country: no panic; a parsed number
        /// is E.164 (`+` and at most 15 digits) and parses to itself.
        #[test]
        fn a_parsed_phone_number_is_e164_and_stable(
            input in "\\PC{0,45}|[+0-9 ()./-]{0,24}|\\+41 ?[0-9 ]{0,14}",
            country in proptest::sample::select(&COUNTRIES[..]),
        ) {
            let country = CountryCode::parse(country).expect("a country");
            if let Ok(number) = PhoneNumber::parse(&input, country) {
                let digits = number.as_str().strip_prefix('+').unwrap_or_default();
                prop_assert!(
                    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
                    "{:?} from {:?}", number.as_str(), input
                );
                prop_assert_eq!(PhoneNumber::parse(number.as_str(), country), Ok(number.clone()));
            }
        }
    }
}
