//! A country, as its ISO 3166-1 alpha-2 code (`CH`, `LI`, `DE`, …).
//!
//! The list of accepted codes is kept here rather than taken from the
//! `phonenumber` crate: that crate's `country::Id` lists telephone regions
//! (CLDR), not countries. It accepts `AC`, `TA` and `XK`, which are not
//! assigned ISO 3166-1 codes, and lacks `AQ`, `BV`, `GS`, `HM`, `PN`, `TF`
//! and `UM`, which are. A test below pins that difference, so a change in
//! either list shows up.

use crate::error::Invalid;

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted.
const ASSIGNED: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// An assigned ISO 3166-1 alpha-2 country code, upper-case.
///
/// Parsed from user input such as `" ch "`; which country applies when none
/// is given is for the caller to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(&'static str);

impl CountryCode {
    /// Switzerland.
    pub const SWITZERLAND: Self = Self("CH");
    /// Liechtenstein.
    pub const LIECHTENSTEIN: Self = Self("LI");

    /// Parses user input; the error says what is wrong, for a VALIDATION error.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let value = input.trim();
        if value.is_empty() {
            return Err(Invalid::required());
        }
        if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Invalid::format(
                "must be a two-letter country code (ISO 3166-1), e.g. CH",
            ));
        }
        let upper = value.to_ascii_uppercase();
        ASSIGNED
            .binary_search(&upper.as_str())
            .map(|index| Self(ASSIGNED[index]))
            .map_err(|_| {
                Invalid::format(format!(
                    "{upper} is not a country code (ISO 3166-1), e.g. CH"
                ))
            })
    }

    /// The two upper-case letters.
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The telephone region of this country, for reading national phone
    /// numbers; `None` for the few territories without one (e.g. `AQ`).
    pub(super) fn phone_region(self) -> Option<phonenumber::country::Id> {
        self.0.parse().ok()
    }
}

impl AsRef<str> for CountryCode {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_assigned_codes_in_any_case_and_padding() {
        for (input, expected) in [
            ("CH", "CH"),
            (" ch ", "CH"),
            ("Li", "LI"),
            ("de", "DE"),
            ("gb", "GB"),
            ("AQ", "AQ"),
            ("zw", "ZW"),
        ] {
            assert_eq!(
                CountryCode::parse(input).map(|c| c.as_str()),
                Ok(expected),
                "{input:?}"
            );
        }
        assert_eq!(CountryCode::parse("ch"), Ok(CountryCode::SWITZERLAND));
        assert_eq!(CountryCode::parse("LI"), Ok(CountryCode::LIECHTENSTEIN));
    }

    #[test]
    fn rejects_what_is_not_an_assigned_code() {
        for bad in [
            "", "  ", "C", "CHE", "C1", "12", "UK", "XK", "AC", "ZZ", "É", "ÉT", "C H", "\u{0}CH",
        ] {
            assert!(
                CountryCode::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert_eq!(
            CountryCode::parse("zz"),
            Err(Invalid::format(
                "ZZ is not a country code (ISO 3166-1), e.g. CH"
            ))
        );
    }

    #[test]
    fn the_list_is_sorted_unique_and_two_upper_case_letters() {
        assert!(ASSIGNED.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ASSIGNED
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    #[test]
    fn nearly_every_country_has_a_phone_region() {
        let without: Vec<&str> = ASSIGNED
            .iter()
            .copied()
            .filter(|&code| CountryCode(code).phone_region().is_none())
            .collect();
        assert_eq!(without, ["AQ", "BV", "GS", "HM", "PN", "TF", "UM"]);
        assert_eq!(
            CountryCode::SWITZERLAND.phone_region(),
            Some(phonenumber::country::Id::CH)
        );
    }
}
