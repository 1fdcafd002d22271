//! The laptop order form ("Commander un ordinateur portable"), parsed as a
//! whole so that every invalid field is reported at once.
//!
//! A [`ParsedOrder`] is valid by construction: the recipient's address with
//! a postal code valid for its country, a phone number in E.164, and, for a
//! learning laptop, a training certificate. The field names of the errors
//! are the paths of the GraphQL input (`input.postalCode`), in form order.

use super::{
    CountryCode, PhoneNumber, PostalCode, optional_multi_line, optional_single_line, single_line,
};
use crate::error::{AppResult, FieldErrors, Invalid};

const MAX_RECIPIENT_NAME_CHARS: usize = 200;
const MAX_STREET_CHARS: usize = 200;
const MAX_CITY_CHARS: usize = 100;
const MAX_INTERNAL_REFERENCE_CHARS: usize = 64;
const MAX_COMMENT_CHARS: usize = 2000;

/// The form as entered, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOrder {
    pub recipient_name: String,
    /// Street and house number.
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2 code; absent or blank means Switzerland.
    pub country: Option<String>,
    pub phone: String,
    /// The partner's case or person number, printed on the invoice.
    pub internal_reference: Option<String>,
    /// A laptop for an apprentice or a person in tertiary education.
    pub for_learning: bool,
    pub comment: Option<String>,
    /// Whether a training certificate is attached to the order.
    pub has_certificate: bool,
}

/// A valid order form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedOrder {
    recipient_name: String,
    street: String,
    postal_code: PostalCode,
    city: String,
    country: CountryCode,
    phone: PhoneNumber,
    internal_reference: Option<String>,
    for_learning: bool,
    comment: Option<String>,
}

impl ParsedOrder {
    /// Checks every field and reports all the invalid ones, in form order.
    ///
    /// The postal code and the phone number are read for the order's
    /// country. When the country itself is invalid they are checked against
    /// the default country's (Switzerland's) rules, so that one round
    /// reports everything: the country, and the postal code and phone
    /// number as they read for the default.
    pub fn parse(raw: RawOrder) -> AppResult<Self> {
        let mut errors = FieldErrors::new();
        match Self::check(raw, &mut errors) {
            Some(order) => errors.finish(order),
            None => Err(errors.into_error()),
        }
    }

    /// [`parse`](Self::parse) into the caller's `errors`, for a form whose
    /// other parts (the certificate's file) are checked alongside: `None`
    /// when a field of the order is invalid, which is then recorded.
    pub fn check(raw: RawOrder, errors: &mut FieldErrors) -> Option<Self> {
        let country = match raw.country.as_deref().map(str::trim) {
            None | Some("") => Ok(CountryCode::SWITZERLAND),
            Some(code) => CountryCode::parse(code),
        };
        // An invalid country is reported below; the postal code and the
        // phone are still checked, by the default country's rules.
        let rules_country = country
            .as_ref()
            .ok()
            .copied()
            .unwrap_or(CountryCode::SWITZERLAND);

        let recipient_name = errors.check(
            "input.recipientName",
            single_line(&raw.recipient_name, MAX_RECIPIENT_NAME_CHARS),
        );
        let street = errors.check("input.street", street(&raw.street));
        let postal_code = errors.check(
            "input.postalCode",
            PostalCode::parse(&raw.postal_code, rules_country),
        );
        let city = errors.check("input.city", single_line(&raw.city, MAX_CITY_CHARS));
        let country = errors.check("input.country", country);
        let phone = errors.check("input.phone", PhoneNumber::parse(&raw.phone, rules_country));
        let internal_reference = errors.check(
            "input.internalReference",
            optional_single_line(
                raw.internal_reference.as_deref(),
                MAX_INTERNAL_REFERENCE_CHARS,
            ),
        );
        let comment = errors.check(
            "input.comment",
            optional_multi_line(raw.comment.as_deref(), MAX_COMMENT_CHARS),
        );
        // A learning laptop needs its certificate, and a certificate goes
        // with a learning laptop only.
        let certified = raw.for_learning == raw.has_certificate;
        if raw.has_certificate && !raw.for_learning {
            errors.add(
                "input.certificate",
                Invalid::not_allowed(
                    "a training certificate goes with a laptop for learning only \
                     (set forLearning, or leave the certificate out)",
                ),
            );
        }
        if raw.for_learning && !raw.has_certificate {
            errors.add(
                "input.certificate",
                Invalid::required_because(
                    "a laptop for learning needs a training certificate \
                     (apprenticeship contract or invitation letter)",
                ),
            );
        }

        match (
            recipient_name,
            street,
            postal_code,
            city,
            country,
            phone,
            internal_reference,
            comment,
        ) {
            (
                Some(recipient_name),
                Some(street),
                Some(postal_code),
                Some(city),
                Some(country),
                Some(phone),
                Some(internal_reference),
                Some(comment),
            ) if certified => Some(Self {
                recipient_name,
                street,
                postal_code,
                city,
                country,
                phone,
                internal_reference,
                for_learning: raw.for_learning,
                comment,
            }),
            _ => None,
        }
    }

    pub fn recipient_name(&self) -> &str {
        &self.recipient_name
    }

    /// Street and house number.
    pub fn street(&self) -> &str {
        &self.street
    }

    pub fn postal_code(&self) -> &PostalCode {
        &self.postal_code
    }

    pub fn city(&self) -> &str {
        &self.city
    }

    pub fn country(&self) -> CountryCode {
        self.country
    }

    pub fn phone(&self) -> &PhoneNumber {
        &self.phone
    }

    pub fn internal_reference(&self) -> Option<&str> {
        self.internal_reference.as_deref()
    }

    pub fn for_learning(&self) -> bool {
        self.for_learning
    }

    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The delivery address on one line, as snapshotted on invoice lines:
    /// `Anna Muster, Bundesplatz 3, 3005 Bern, CH`.
    pub fn delivery_address(&self) -> String {
        format!(
            "{}, {}, {} {}, {}",
            self.recipient_name, self.street, self.postal_code, self.city, self.country
        )
    }
}

/// Street and number: one line that names a street, not only a number.
fn street(input: &str) -> Result<String, Invalid> {
    let street = single_line(input, MAX_STREET_CHARS)?;
    if !street.chars().any(char::is_alphabetic) {
        return Err(Invalid::format(
            "must contain the street name, not only a number",
        ));
    }
    Ok(street)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AppError, FieldError, Reason};

    fn swiss_order() -> RawOrder {
        RawOrder {
            recipient_name: " Anna Muster ".to_owned(),
            street: "Bundesplatz 3".to_owned(),
            postal_code: "3005".to_owned(),
            city: "Bern".to_owned(),
            country: None,
            phone: "079 123 45 67".to_owned(),
            internal_reference: Some(" Dossier 4711 ".to_owned()),
            for_learning: false,
            comment: Some("Bitte mit\r\ndeutscher Tastatur.".to_owned()),
            has_certificate: false,
        }
    }

    /// The field errors of a rejected order.
    fn rejected(result: AppResult<ParsedOrder>) -> Vec<FieldError> {
        match result {
            Err(AppError::Validation(errors)) => errors,
            other => panic!("the order should be rejected field by field: {other:?}"),
        }
    }

    fn fields(result: AppResult<ParsedOrder>) -> Vec<String> {
        rejected(result)
            .into_iter()
            .map(|error| error.field)
            .collect()
    }

    #[test]
    fn a_complete_swiss_order_is_parsed_and_normalised() {
        let order = ParsedOrder::parse(swiss_order()).expect("a valid order");
        assert_eq!(order.recipient_name(), "Anna Muster");
        assert_eq!(order.street(), "Bundesplatz 3");
        assert_eq!(order.postal_code().as_str(), "3005");
        assert_eq!(order.city(), "Bern");
        assert_eq!(order.country(), CountryCode::SWITZERLAND);
        assert_eq!(order.phone().as_str(), "+41791234567");
        assert_eq!(order.internal_reference(), Some("Dossier 4711"));
        assert!(!order.for_learning());
        assert_eq!(order.comment(), Some("Bitte mit\ndeutscher Tastatur."));
        assert_eq!(
            order.delivery_address(),
            "Anna Muster, Bundesplatz 3, 3005 Bern, CH"
        );
    }

    #[test]
    fn country_defaults_to_switzerland_when_absent_or_blank() {
        for country in [None, Some(""), Some("  ")] {
            let raw = RawOrder {
                country: country.map(str::to_owned),
                ..swiss_order()
            };
            let order = ParsedOrder::parse(raw).expect("a valid order");
            assert_eq!(order.country(), CountryCode::SWITZERLAND);
        }
    }

    #[test]
    fn optional_fields_may_be_absent_or_blank() {
        for (reference, comment) in [(None, None), (Some(""), Some(" \r\n "))] {
            let raw = RawOrder {
                internal_reference: reference.map(str::to_owned),
                comment: comment.map(str::to_owned),
                ..swiss_order()
            };
            let order = ParsedOrder::parse(raw).expect("a valid order");
            assert_eq!(order.internal_reference(), None);
            assert_eq!(order.comment(), None);
        }
    }

    #[test]
    fn postal_code_and_phone_are_read_for_the_order_country() {
        let raw = RawOrder {
            street: "Unter den Linden 1".to_owned(),
            postal_code: "10117".to_owned(),
            city: "Berlin".to_owned(),
            country: Some(" de ".to_owned()),
            phone: "030 1234567".to_owned(),
            ..swiss_order()
        };
        let order = ParsedOrder::parse(raw).expect("a valid order");
        assert_eq!(order.country().as_str(), "DE");
        assert_eq!(order.phone().as_str(), "+49301234567");
        assert_eq!(
            order.delivery_address(),
            "Anna Muster, Unter den Linden 1, 10117 Berlin, DE"
        );

        let liechtenstein = RawOrder {
            postal_code: "9490".to_owned(),
            city: "Vaduz".to_owned(),
            country: Some("LI".to_owned()),
            phone: "+41 79 123 45 67".to_owned(),
            ..swiss_order()
        };
        assert!(ParsedOrder::parse(liechtenstein).is_ok());

        // A Swiss postal code is not a German one.
        let raw = RawOrder {
            country: Some("DE".to_owned()),
            ..swiss_order()
        };
        let errors = rejected(ParsedOrder::parse(raw));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "input.postalCode");
        assert_eq!(
            errors[0].message,
            "a German postal code has 5 digits, e.g. 10115"
        );
    }

    #[test]
    fn single_field_errors_name_their_field() {
        let long_comment = "x".repeat(2001);
        let cases: Vec<(RawOrder, &str)> = vec![
            (
                RawOrder {
                    recipient_name: "Anna\u{0}Muster".to_owned(),
                    ..swiss_order()
                },
                "input.recipientName",
            ),
            (
                RawOrder {
                    recipient_name: "Anna\nMuster".to_owned(),
                    ..swiss_order()
                },
                "input.recipientName",
            ),
            (
                RawOrder {
                    recipient_name: "a".repeat(201),
                    ..swiss_order()
                },
                "input.recipientName",
            ),
            (
                RawOrder {
                    street: "12".to_owned(),
                    ..swiss_order()
                },
                "input.street",
            ),
            (
                RawOrder {
                    postal_code: "300".to_owned(),
                    ..swiss_order()
                },
                "input.postalCode",
            ),
            (
                RawOrder {
                    city: "B".repeat(101),
                    ..swiss_order()
                },
                "input.city",
            ),
            (
                RawOrder {
                    country: Some("Schweiz".to_owned()),
                    ..swiss_order()
                },
                "input.country",
            ),
            (
                RawOrder {
                    phone: "12345".to_owned(),
                    ..swiss_order()
                },
                "input.phone",
            ),
            (
                RawOrder {
                    phone: "null sieben neun".to_owned(),
                    ..swiss_order()
                },
                "input.phone",
            ),
            (
                RawOrder {
                    internal_reference: Some("x".repeat(65)),
                    ..swiss_order()
                },
                "input.internalReference",
            ),
            (
                RawOrder {
                    internal_reference: Some("a\nb".to_owned()),
                    ..swiss_order()
                },
                "input.internalReference",
            ),
            (
                RawOrder {
                    comment: Some(long_comment),
                    ..swiss_order()
                },
                "input.comment",
            ),
            (
                RawOrder {
                    for_learning: true,
                    has_certificate: false,
                    ..swiss_order()
                },
                "input.certificate",
            ),
        ];
        for (raw, field) in cases {
            let described = format!("{raw:?}");
            assert_eq!(fields(ParsedOrder::parse(raw)), [field], "{described}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let raw = RawOrder {
            recipient_name: "a".repeat(200),
            street: "s".repeat(200),
            city: "c".repeat(100),
            internal_reference: Some("r".repeat(64)),
            comment: Some("x".repeat(2000)),
            ..swiss_order()
        };
        assert!(ParsedOrder::parse(raw).is_ok());
    }

    #[test]
    fn a_learning_laptop_needs_a_certificate() {
        let without = RawOrder {
            for_learning: true,
            has_certificate: false,
            ..swiss_order()
        };
        let errors = rejected(ParsedOrder::parse(without));
        assert_eq!(
            errors,
            [FieldError {
                field: "input.certificate".to_owned(),
                reason: Reason::Required,
                params: serde_json::Map::new(),
                message: "a laptop for learning needs a training certificate \
                          (apprenticeship contract or invitation letter)"
                    .to_owned(),
            }]
        );

        let with = RawOrder {
            for_learning: true,
            has_certificate: true,
            ..swiss_order()
        };
        assert!(ParsedOrder::parse(with).expect("accepted").for_learning());

        // A certificate on a standard order is refused, not kept silently.
        let standard = RawOrder {
            has_certificate: true,
            ..swiss_order()
        };
        let errors = rejected(ParsedOrder::parse(standard));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "input.certificate");
        assert_eq!(errors[0].reason, Reason::NotAllowed);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once_in_form_order() {
        let raw = RawOrder {
            recipient_name: " ".to_owned(),
            street: "".to_owned(),
            postal_code: "300".to_owned(),
            city: "\t".to_owned(),
            country: None,
            phone: "12345".to_owned(),
            internal_reference: Some("x".repeat(65)),
            for_learning: true,
            comment: Some("x".repeat(2001)),
            has_certificate: false,
        };
        assert_eq!(
            fields(ParsedOrder::parse(raw)),
            [
                "input.recipientName",
                "input.street",
                "input.postalCode",
                "input.city",
                "input.phone",
                "input.internalReference",
                "input.comment",
                "input.certificate",
            ]
        );

        let raw = RawOrder {
            recipient_name: "".to_owned(),
            street: "7".to_owned(),
            postal_code: "".to_owned(),
            city: "".to_owned(),
            country: Some("CHE".to_owned()),
            phone: " ".to_owned(),
            internal_reference: Some("a\u{7}".to_owned()),
            for_learning: true,
            comment: Some("\u{0}".to_owned()),
            has_certificate: false,
        };
        assert_eq!(
            fields(ParsedOrder::parse(raw)),
            [
                "input.recipientName",
                "input.street",
                "input.postalCode",
                "input.city",
                "input.country",
                "input.phone",
                "input.internalReference",
                "input.comment",
                "input.certificate",
            ]
        );
    }

    #[test]
    fn an_invalid_country_still_reports_postal_code_and_phone_by_the_default_rules() {
        let raw = RawOrder {
            country: Some("XX".to_owned()),
            postal_code: "12".to_owned(),
            phone: "12345".to_owned(),
            ..swiss_order()
        };
        let errors = rejected(ParsedOrder::parse(raw));
        let reported: Vec<(&str, Reason)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.reason))
            .collect();
        assert_eq!(
            reported,
            [
                ("input.postalCode", Reason::InvalidFormat),
                ("input.country", Reason::InvalidFormat),
                ("input.phone", Reason::InvalidFormat),
            ]
        );
        assert_eq!(
            errors[1].message,
            "XX is not a country code (ISO 3166-1), e.g. CH"
        );
        assert_eq!(
            errors[0].message,
            "a Swiss postal code has 4 digits, e.g. 3000"
        );

        // Valid by the default country's rules: only the country is wrong.
        let raw = RawOrder {
            country: Some("XX".to_owned()),
            ..swiss_order()
        };
        assert_eq!(fields(ParsedOrder::parse(raw)), ["input.country"]);
    }
}
