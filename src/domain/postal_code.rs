//! A postal code, checked against the rules of its country.
//!
//! The countries partners ship to most have exact rules (Switzerland and
//! Liechtenstein first); any other country gets a loose check of the
//! characters a postal code may hold. The stored form is normalised: trimmed,
//! upper-cased, with the space where the country puts one (`1234 AB`,
//! `SW1A 1AA`).

use crate::error::Invalid;

use super::CountryCode;

/// A postal code valid for the country it was parsed for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses user input for `country`; the error says what is wrong, for a
    /// VALIDATION error.
    pub fn parse(input: &str, country: CountryCode) -> Result<Self, Invalid> {
        let value = input.trim();
        if value.is_empty() {
            return Err(Invalid::required());
        }
        let parsed = match country.as_str() {
            "CH" => swiss(value)?,
            "LI" => liechtenstein(value)?,
            "DE" => digits(value, 5, "a German postal code has 5 digits, e.g. 10115")?,
            "FR" => digits(value, 5, "a French postal code has 5 digits, e.g. 75001")?,
            "IT" => digits(value, 5, "an Italian postal code has 5 digits, e.g. 00184")?,
            "ES" => digits(value, 5, "a Spanish postal code has 5 digits, e.g. 28001")?,
            "AT" => digits(value, 4, "an Austrian postal code has 4 digits, e.g. 1010")?,
            "BE" => digits(value, 4, "a Belgian postal code has 4 digits, e.g. 1000")?,
            "DK" => digits(value, 4, "a Danish postal code has 4 digits, e.g. 8000")?,
            "NO" => digits(value, 4, "a Norwegian postal code has 4 digits, e.g. 0150")?,
            "HU" => digits(value, 4, "a Hungarian postal code has 4 digits, e.g. 1051")?,
            "NL" => dutch(value)?,
            "GB" => british(value)?,
            _ => other(value)?,
        };
        Ok(Self(parsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for PostalCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PostalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

fn digits(value: &str, len: usize, message: &'static str) -> Result<String, Invalid> {
    if is_digits(value, len) {
        Ok(value.to_owned())
    } else {
        Err(Invalid::format(message).param("length", len))
    }
}

fn swiss(value: &str) -> Result<String, Invalid> {
    let code = digits(value, 4, "a Swiss postal code has 4 digits, e.g. 3000")
        .map_err(|invalid| invalid.param("example", "3000"))?;
    if code.starts_with('0') {
        return Err(Invalid::format(
            "a Swiss postal code is between 1000 and 9999",
        ));
    }
    Ok(code)
}

fn liechtenstein(value: &str) -> Result<String, Invalid> {
    const MESSAGE: &str = "a Liechtenstein postal code has 4 digits, from 9485 to 9498";
    let code = digits(value, 4, MESSAGE)?;
    match code.parse::<u16>() {
        Ok(9485..=9498) => Ok(code),
        _ => Err(Invalid::format(MESSAGE)),
    }
}

/// `1234 AB`: four digits, the first not zero, then two letters; the space
/// is optional on input.
fn dutch(value: &str) -> Result<String, Invalid> {
    const MESSAGE: &str = "a Dutch postal code has 4 digits and 2 letters, e.g. 1234 AB";
    let (number, letters) = value
        .split_at_checked(4)
        .ok_or_else(|| Invalid::format(MESSAGE))?;
    let letters = letters.trim_start();
    if !is_digits(number, 4)
        || number.starts_with('0')
        || letters.len() != 2
        || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return Err(Invalid::format(MESSAGE));
    }
    Ok(format!("{number} {}", letters.to_ascii_uppercase()))
}

/// `SW1A 1AA`: an outward code (`A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`),
/// then an inward code (`9AA`); the space is optional on input. The special
/// `GIR 0AA` is accepted too.
fn british(value: &str) -> Result<String, Invalid> {
    const MESSAGE: &str = "a UK postcode has an outward and an inward part, e.g. SW1A 1AA";
    const OUTWARD_SHAPES: [&str; 6] = ["A9", "A99", "AA9", "AA99", "A9A", "AA9A"];
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
        return Err(Invalid::format(MESSAGE));
    }
    let shape: String = compact
        .chars()
        .map(|c| match c {
            'A'..='Z' => 'A',
            '0'..='9' => '9',
            _ => '?',
        })
        .collect();
    let (outward_shape, inward_shape) = shape.split_at(shape.len() - 3);
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let valid =
        inward_shape == "9AA" && (OUTWARD_SHAPES.contains(&outward_shape) || compact == "GIR0AA");
    if !valid {
        return Err(Invalid::format(MESSAGE));
    }
    Ok(format!("{outward} {inward}"))
}

/// Any other country: 2 to 10 letters, digits, spaces or hyphens, at least
/// one of them a letter or digit; runs of spaces are collapsed.
fn other(value: &str) -> Result<String, Invalid> {
    const MESSAGE: &str = "a postal code has 2 to 10 letters, digits, spaces or hyphens";
    let normalised = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase();
    let allowed = normalised
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    let len = normalised.chars().count();
    if !allowed
        || !(2..=10).contains(&len)
        || !normalised.chars().any(|c| c.is_ascii_alphanumeric())
    {
        return Err(Invalid::format(MESSAGE));
    }
    Ok(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(code: &str) -> CountryCode {
        CountryCode::parse(code).expect("a valid country code")
    }

    #[test]
    fn accepts_and_normalises_good_codes() {
        for (code, input, expected) in [
            ("CH", "3000", "3000"),
            ("CH", " 8005 ", "8005"),
            ("CH", "1000", "1000"),
            ("CH", "9999", "9999"),
            ("LI", "9485", "9485"),
            ("LI", "9490", "9490"),
            ("LI", "9498", "9498"),
            ("DE", "10115", "10115"),
            ("FR", "75001", "75001"),
            ("IT", "00184", "00184"),
            ("ES", "28001", "28001"),
            ("AT", "1010", "1010"),
            ("BE", "1000", "1000"),
            ("DK", "8000", "8000"),
            ("NO", "0150", "0150"),
            ("HU", "1051", "1051"),
            ("NL", "1234 AB", "1234 AB"),
            ("NL", "1234ab", "1234 AB"),
            ("NL", " 1234  Ab ", "1234 AB"),
            ("GB", "SW1A 1AA", "SW1A 1AA"),
            ("GB", "sw1a1aa", "SW1A 1AA"),
            ("GB", "M1 1AE", "M1 1AE"),
            ("GB", "B33 8TH", "B33 8TH"),
            ("GB", "CR2 6XH", "CR2 6XH"),
            ("GB", "DN55 1PT", "DN55 1PT"),
            ("GB", "W1A 0AX", "W1A 0AX"),
            ("GB", "EC1A 1BB", "EC1A 1BB"),
            ("GB", "GIR 0AA", "GIR 0AA"),
            ("US", "94105", "94105"),
            ("US", "94105-1234", "94105-1234"),
            ("CA", "k1a   0b1", "K1A 0B1"),
            ("PT", "1000-001", "1000-001"),
            ("SE", "114 55", "114 55"),
        ] {
            assert_eq!(
                PostalCode::parse(input, country(code)).map(|p| p.as_str().to_owned()),
                Ok(expected.to_owned()),
                "{code} {input:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_codes() {
        for (code, input) in [
            ("CH", ""),
            ("CH", "   "),
            ("CH", "300"),
            ("CH", "30000"),
            ("CH", "0999"),
            ("CH", "30a0"),
            ("CH", "CH-3000"),
            ("CH", "3 000"),
            ("CH", "３０００"),
            ("LI", "9484"),
            ("LI", "9499"),
            ("LI", "3000"),
            ("DE", "1011"),
            ("DE", "101155"),
            ("FR", "7500A"),
            ("AT", "10100"),
            ("HU", "105"),
            ("NL", "1234"),
            ("NL", "0234 AB"),
            ("NL", "1234 A"),
            ("NL", "1234 ABC"),
            ("NL", "1234 A1"),
            ("NL", "AB 1234"),
            ("NL", "12é4 AB"),
            ("GB", "SW1A"),
            ("GB", "1AA SW1"),
            ("GB", "SW1A 1A"),
            ("GB", "SW1AB 1AA"),
            ("GB", "S 1AA"),
            ("GB", "SW1A-1AA"),
            ("US", "9"),
            ("US", "12345678901"),
            ("US", "--"),
            ("US", "941_05"),
            ("US", "9410\u{0}5"),
            ("SE", "ÅÄ 12"),
        ] {
            assert!(
                PostalCode::parse(input, country(code)).is_err(),
                "{code} {input:?} should be rejected"
            );
        }
    }

    #[test]
    fn errors_say_what_the_country_expects() {
        assert_eq!(
            PostalCode::parse("300", CountryCode::SWITZERLAND),
            Err(
                Invalid::format("a Swiss postal code has 4 digits, e.g. 3000")
                    .param("length", 4)
                    .param("example", "3000")
            )
        );
        assert_eq!(
            PostalCode::parse("3000", CountryCode::LIECHTENSTEIN),
            Err(Invalid::format(
                "a Liechtenstein postal code has 4 digits, from 9485 to 9498"
            ))
        );
        assert_eq!(
            PostalCode::parse("", CountryCode::SWITZERLAND),
            Err(Invalid::required())
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Every country with a rule of its own, and some without.
    const COUNTRIES: [&str; 16] = [
        "CH", "LI", "DE", "FR", "IT", "ES", "AT", "BE", "DK", "NO", "HU", "NL", "GB", "US", "JP",
        "BR",
    ];

    proptest! {
        /// Any input, for any country: no panic; a parsed code is trimmed,
        /// upper-cased, short, and parses to itself again.
        #[test]
        fn a_parsed_postal_code_is_normalised_and_stable(
            input in "\\PC{0,20}|[ 0-9A-Za-z-]{0,12}",
            country in proptest::sample::select(&COUNTRIES[..]),
        ) {
            let country = CountryCode::parse(country).expect("a country");
            if let Ok(code) = PostalCode::parse(&input, country) {
                let text = code.as_str();
                prop_assert_eq!(text, text.trim());
                prop_assert_eq!(text.to_uppercase(), text);
                prop_assert!(!text.is_empty() && text.chars().count() <= 12, "{:?}", text);
                prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
                prop_assert_eq!(PostalCode::parse(text, country), Ok(code.clone()));
            }
        }
    }
}
