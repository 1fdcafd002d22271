//! The one catalogue of what the server says in words: error messages,
//! the texts it writes into tickets, the answer to a password-reset
//! request, and the status and kind labels (the same ones the emails use,
//! `notifications::templates` reads them here), in French, German,
//! Italian and English.
//!
//! The language of a request ([`request_locale`]) is the viewer's own
//! `locale`, or for an anonymous request the best of `Accept-Language`
//! (English when it names none of the four). Errors are worded once, as
//! they leave ([`localise_error`]): every one keeps its machine-readable
//! `code`, `reason` and `params`, and only its `message` changes. English
//! messages are the detailed ones written where the error is raised; the
//! other languages word the `reason` with its parameters.
//!
//! Plain `match`es over a small closed set of texts: no message-format
//! framework, and a missing translation does not compile.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use std::borrow::Cow;

use entity::enums::{Locale, NoteTemplate, SubjectTemplate, TicketKind, TicketStatus};
use serde_json::{Map, Value};

use crate::error::Reason;

mod reset_page;
pub use reset_page::{ResetPageTexts, reset_page};

/// The language of a request: the viewer's, else `Accept-Language`'s.
pub fn request_locale(viewer_locale: Option<Locale>, headers: &HeaderMap) -> Locale {
    viewer_locale.unwrap_or_else(|| {
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map_or(Locale::En, negotiate)
    })
}

/// The best of fr, de, it and en in an `Accept-Language` value (RFC 9110
/// §12.5.4: quality values, `fr-CH` counts as `fr`); English when none fits.
pub fn negotiate(accept_language: &str) -> Locale {
    let mut best: Option<(f32, Locale)> = None;
    for item in accept_language.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        let locale = match primary.to_ascii_lowercase().as_str() {
            "fr" => Locale::Fr,
            "de" => Locale::De,
            "it" => Locale::It,
            "en" => Locale::En,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, locale));
        }
    }
    best.map_or(Locale::En, |(_, locale)| locale)
}

/// Words one GraphQL error (`message` and `extensions`, as the client
/// will read them) in `locale`: every VALIDATION field by its reason and
/// parameters, then the message that lists them; an authentication or
/// throttling failure by its reason. Other errors keep their message.
pub fn localise_error(message: &mut String, extensions: &mut Map<String, Value>, locale: Locale) {
    if locale == Locale::En {
        return;
    }
    match extensions.get("code").and_then(Value::as_str) {
        Some("VALIDATION") => {
            let Some(Value::Array(fields)) = extensions.get_mut("fields") else {
                return;
            };
            let mut parts = Vec::with_capacity(fields.len());
            for entry in fields.iter_mut() {
                let Some(entry) = entry.as_object_mut() else {
                    continue;
                };
                let reason = entry
                    .get("reason")
                    .and_then(Value::as_str)
                    .and_then(Reason::from_name);
                let params = entry
                    .get("params")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                if let Some(reason) = reason {
                    entry.insert(
                        "message".to_owned(),
                        field_message(locale, reason, &params).into(),
                    );
                }
                let field = entry.get("field").and_then(Value::as_str).unwrap_or("");
                let text = entry.get("message").and_then(Value::as_str).unwrap_or("");
                parts.push(format!("{field}: {text}"));
            }
            if !parts.is_empty() {
                *message = format!("{}: {}", invalid_input(locale), parts.join("; "));
            }
        }
        Some("UNAUTHENTICATED") => {
            let reason = extensions.get("reason").and_then(Value::as_str);
            *message = unauthenticated(locale, reason).to_owned();
        }
        Some("RATE_LIMITED") => {
            if let Some(seconds) = extensions.get("retryAfter").and_then(Value::as_u64) {
                *message = rate_limited(locale, seconds);
            }
        }
        _ => {}
    }
}

fn invalid_input(locale: Locale) -> &'static str {
    match locale {
        Locale::Fr => "saisie non valable",
        Locale::De => "ungültige Eingabe",
        Locale::It => "dati non validi",
        Locale::En => "invalid input",
    }
}

/// A field's error in words, from its reason and parameters.
pub fn field_message(locale: Locale, reason: Reason, params: &Map<String, Value>) -> String {
    let param = |name: &str| {
        params.get(name).map(|value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    };
    let example = param("example");
    let range = param("min").zip(param("max"));
    match (locale, reason) {
        (Locale::Fr, Reason::Required) => "ne doit pas être vide".to_owned(),
        (Locale::De, Reason::Required) => "darf nicht leer sein".to_owned(),
        (Locale::It, Reason::Required) => "non può essere vuoto".to_owned(),
        (Locale::En, Reason::Required) => "must not be empty".to_owned(),
        (Locale::Fr, Reason::TooLong) => format!("au plus {} caractères", or_q(param("max"))),
        (Locale::De, Reason::TooLong) => format!("höchstens {} Zeichen", or_q(param("max"))),
        (Locale::It, Reason::TooLong) => format!("al massimo {} caratteri", or_q(param("max"))),
        (Locale::En, Reason::TooLong) => {
            format!("must be at most {} characters", or_q(param("max")))
        }
        (Locale::Fr, Reason::TooShort) => format!("au moins {} caractères", or_q(param("min"))),
        (Locale::De, Reason::TooShort) => format!("mindestens {} Zeichen", or_q(param("min"))),
        (Locale::It, Reason::TooShort) => format!("almeno {} caratteri", or_q(param("min"))),
        (Locale::En, Reason::TooShort) => {
            format!("must be at least {} characters long", or_q(param("min")))
        }
        (Locale::Fr, Reason::InvalidFormat) => {
            with_example("format non valable", ", p. ex. ", example)
        }
        (Locale::De, Reason::InvalidFormat) => {
            with_example("ungültiges Format", ", z. B. ", example)
        }
        (Locale::It, Reason::InvalidFormat) => {
            with_example("formato non valido", ", p. es. ", example)
        }
        (Locale::En, Reason::InvalidFormat) => with_example("invalid format", ", e.g. ", example),
        (Locale::Fr, Reason::OutOfRange) => {
            with_range("valeur hors des limites permises", "à", range)
        }
        (Locale::De, Reason::OutOfRange) => {
            with_range("Wert ausserhalb des zulässigen Bereichs", "bis", range)
        }
        (Locale::It, Reason::OutOfRange) => {
            with_range("valore fuori dai limiti ammessi", "a", range)
        }
        (Locale::En, Reason::OutOfRange) => with_range("value out of range", "to", range),
        (Locale::Fr, Reason::NotAllowed) => "non autorisé".to_owned(),
        (Locale::De, Reason::NotAllowed) => "nicht zulässig".to_owned(),
        (Locale::It, Reason::NotAllowed) => "non ammesso".to_owned(),
        (Locale::En, Reason::NotAllowed) => "not allowed".to_owned(),
        (Locale::Fr, Reason::Taken) => "déjà utilisé".to_owned(),
        (Locale::De, Reason::Taken) => "bereits vergeben".to_owned(),
        (Locale::It, Reason::Taken) => "già in uso".to_owned(),
        (Locale::En, Reason::Taken) => "already taken".to_owned(),
        (Locale::Fr, Reason::TooLarge) => "fichier trop volumineux".to_owned(),
        (Locale::De, Reason::TooLarge) => "Datei zu gross".to_owned(),
        (Locale::It, Reason::TooLarge) => "file troppo grande".to_owned(),
        (Locale::En, Reason::TooLarge) => "file too large".to_owned(),
        (Locale::Fr, Reason::Expired) => {
            "lien non valable ou expiré ; demandez-en un nouveau".to_owned()
        }
        (Locale::De, Reason::Expired) => {
            "Link ungültig oder abgelaufen; fordern Sie einen neuen an".to_owned()
        }
        (Locale::It, Reason::Expired) => {
            "link non valido o scaduto; richiedetene uno nuovo".to_owned()
        }
        (Locale::En, Reason::Expired) => {
            "this link is invalid or has expired; ask for a new one".to_owned()
        }
    }
}

fn or_q(value: Option<String>) -> String {
    value.unwrap_or_else(|| "?".to_owned())
}

fn with_example(text: &str, lead: &str, example: Option<String>) -> String {
    match example {
        Some(example) => format!("{text}{lead}{example}"),
        None => text.to_owned(),
    }
}

fn with_range(text: &str, to: &str, range: Option<(String, String)>) -> String {
    match range {
        Some((min, max)) => format!("{text} ({min} {to} {max})"),
        None => text.to_owned(),
    }
}

/// UNAUTHENTICATED in words, by its `reason`: EXPIRED, REVOKED, INVALID
/// (a token was sent and refused), BAD_CREDENTIALS (a failed login), none
/// (no token was sent).
pub fn unauthenticated(locale: Locale, reason: Option<&str>) -> &'static str {
    match (locale, reason) {
        (Locale::Fr, Some("EXPIRED")) => "votre session a expiré ; reconnectez-vous",
        (Locale::De, Some("EXPIRED")) => "Ihre Anmeldung ist abgelaufen; melden Sie sich neu an",
        (Locale::It, Some("EXPIRED")) => "la sessione è scaduta; accedete di nuovo",
        (Locale::En, Some("EXPIRED")) => "your login has expired; log in again",
        (Locale::Fr, Some("REVOKED")) => {
            "votre session n'est plus valable (mot de passe changé ou compte désactivé) ; reconnectez-vous"
        }
        (Locale::De, Some("REVOKED")) => {
            "Ihre Anmeldung gilt nicht mehr (Passwort geändert oder Konto deaktiviert); melden Sie sich neu an"
        }
        (Locale::It, Some("REVOKED")) => {
            "la sessione non è più valida (password cambiata o account disattivato); accedete di nuovo"
        }
        (Locale::En, Some("REVOKED")) => {
            "your login is no longer valid (password changed or account deactivated); log in again"
        }
        (Locale::Fr, Some("INVALID")) => "jeton d'accès non valable ; reconnectez-vous",
        (Locale::De, Some("INVALID")) => "ungültiges Zugriffstoken; melden Sie sich neu an",
        (Locale::It, Some("INVALID")) => "token di accesso non valido; accedete di nuovo",
        (Locale::En, Some("INVALID")) => "invalid access token; log in again",
        (Locale::Fr, Some("BAD_CREDENTIALS")) => "adresse e-mail ou mot de passe incorrect",
        (Locale::De, Some("BAD_CREDENTIALS")) => "E-Mail-Adresse oder Passwort falsch",
        (Locale::It, Some("BAD_CREDENTIALS")) => "indirizzo e-mail o password errati",
        (Locale::En, Some("BAD_CREDENTIALS")) => "wrong email or password",
        (Locale::Fr, _) => "connexion requise",
        (Locale::De, _) => "Anmeldung erforderlich",
        (Locale::It, _) => "accesso richiesto",
        (Locale::En, _) => "authentication required",
    }
}

fn rate_limited(locale: Locale, seconds: u64) -> String {
    match locale {
        Locale::Fr => format!("trop de tentatives, réessayez dans {seconds} s"),
        Locale::De => format!("zu viele Versuche, erneut versuchen in {seconds} s"),
        Locale::It => format!("troppi tentativi, riprovate tra {seconds} s"),
        Locale::En => format!("too many attempts, retry in {seconds} s"),
    }
}

/// The status's name for people, as the portal and the emails show it.
/// The French names are the partner instructions' own.
pub const fn status_label(status: TicketStatus, locale: Locale) -> &'static str {
    use TicketStatus::{Billed, Cancelled, Queued, ReadyForBilling, ReadyToShip, Review};
    match (locale, status) {
        (Locale::Fr, Review) => "Examen",
        (Locale::Fr, Queued) => "File d'attente",
        (Locale::Fr, ReadyToShip) => "Prêt pour l'envoi",
        (Locale::Fr, ReadyForBilling) => "Prêt pour la compensation",
        (Locale::Fr, Billed) => "Facturé",
        (Locale::Fr, Cancelled) => "Annulé",
        (Locale::De, Review) => "Prüfung",
        (Locale::De, Queued) => "Warteschlange",
        (Locale::De, ReadyToShip) => "Bereit für den Versand",
        (Locale::De, ReadyForBilling) => "Bereit zur Verrechnung",
        (Locale::De, Billed) => "Verrechnet",
        (Locale::De, Cancelled) => "Storniert",
        (Locale::It, Review) => "Verifica",
        (Locale::It, Queued) => "In coda",
        (Locale::It, ReadyToShip) => "Pronto per la spedizione",
        (Locale::It, ReadyForBilling) => "Pronto per la fatturazione",
        (Locale::It, Billed) => "Fatturato",
        (Locale::It, Cancelled) => "Annullato",
        (Locale::En, Review) => "Review",
        (Locale::En, Queued) => "Queued",
        (Locale::En, ReadyToShip) => "Ready to ship",
        (Locale::En, ReadyForBilling) => "Ready for billing",
        (Locale::En, Billed) => "Billed",
        (Locale::En, Cancelled) => "Cancelled",
    }
}

/// The kind's name for people.
pub const fn kind_label(kind: TicketKind, locale: Locale) -> &'static str {
    use TicketKind::{DeliveryIssue, LaptopOrder, Other};
    match (locale, kind) {
        (Locale::Fr, LaptopOrder) => "Commande d'un ordinateur portable",
        (Locale::Fr, DeliveryIssue) => "Problème de livraison",
        (Locale::Fr, Other) => "Autre demande",
        (Locale::De, LaptopOrder) => "Laptop-Bestellung",
        (Locale::De, DeliveryIssue) => "Lieferproblem",
        (Locale::De, Other) => "Andere Anfrage",
        (Locale::It, LaptopOrder) => "Ordine di un portatile",
        (Locale::It, DeliveryIssue) => "Problema di consegna",
        (Locale::It, Other) => "Altra richiesta",
        (Locale::En, LaptopOrder) => "Laptop order",
        (Locale::En, DeliveryIssue) => "Delivery problem",
        (Locale::En, Other) => "Other request",
    }
}

/// The subject of a laptop order's ticket.
fn laptop_order_subject(locale: Locale, recipient: &str) -> String {
    match locale {
        Locale::Fr => format!("Ordinateur portable pour {recipient}"),
        Locale::De => format!("Laptop für {recipient}"),
        Locale::It => format!("Portatile per {recipient}"),
        Locale::En => format!("Laptop for {recipient}"),
    }
}

/// The subject of a delivery issue's ticket.
fn delivery_issue_subject(locale: Locale, reference: &str) -> String {
    match locale {
        Locale::Fr => format!("Problème de livraison sur {reference}"),
        Locale::De => format!("Lieferproblem bei {reference}"),
        Locale::It => format!("Problema di consegna per {reference}"),
        Locale::En => format!("Delivery problem on {reference}"),
    }
}

/// The note of a SHIPPED event that carries a tracking number.
fn tracking_note(locale: Locale, tracking_number: &str) -> String {
    match locale {
        Locale::Fr => format!("Numéro de suivi {tracking_number}"),
        Locale::De => format!("Sendungsnummer {tracking_number}"),
        Locale::It => format!("Numero di tracciamento {tracking_number}"),
        Locale::En => format!("Tracking number {tracking_number}"),
    }
}

/// The note of an INVOICED event.
fn invoice_issued_note(locale: Locale, number: &str) -> String {
    match locale {
        Locale::Fr => format!("Facture {number}"),
        Locale::De => format!("Rechnung {number}"),
        Locale::It => format!("Fattura {number}"),
        Locale::En => format!("Invoice {number}"),
    }
}

/// The note of the change to BILLED when an invoice is paid.
fn invoice_paid_note(locale: Locale, number: &str) -> String {
    match locale {
        Locale::Fr => format!("Facture {number} payée"),
        Locale::De => format!("Rechnung {number} bezahlt"),
        Locale::It => format!("Fattura {number} pagata"),
        Locale::En => format!("Invoice {number} paid"),
    }
}

/// A ticket subject the server writes, in `locale`.
pub fn subject(template: SubjectTemplate, param: &str, locale: Locale) -> String {
    match template {
        SubjectTemplate::LaptopOrder => laptop_order_subject(locale, param),
        SubjectTemplate::DeliveryIssue => delivery_issue_subject(locale, param),
    }
}

/// An event note the server writes, in `locale`.
pub fn note(template: NoteTemplate, param: &str, locale: Locale) -> String {
    match template {
        NoteTemplate::TrackingNumber => tracking_note(locale, param),
        NoteTemplate::InvoiceIssued => invoice_issued_note(locale, param),
        NoteTemplate::InvoicePaid => invoice_paid_note(locale, param),
    }
}

/// The note of a ticket event: what a person wrote, shown as written, or
/// a text of this catalogue, stored as its template and parameter and
/// worded in each reader's language when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventNote {
    /// Written by a person (a reason, a note for the partner, a file name).
    Written(String),
    /// Written by the server: a template and its one parameter.
    Catalogue(NoteTemplate, String),
}

impl EventNote {
    /// The note in `locale`.
    pub fn render(&self, locale: Locale) -> Cow<'_, str> {
        match self {
            Self::Written(text) => Cow::Borrowed(text),
            Self::Catalogue(template, param) => Cow::Owned(note(*template, param, locale)),
        }
    }

    /// The template and its parameter, when the server wrote the note.
    pub fn template(&self) -> Option<(NoteTemplate, &str)> {
        match self {
            Self::Written(_) => None,
            Self::Catalogue(template, param) => Some((*template, param)),
        }
    }
}

/// The answer to a password-reset request, the same whether the account
/// exists or not, with the warning that a shared login's new password
/// holds for everyone who uses it.
pub fn reset_requested(locale: Locale) -> &'static str {
    match locale {
        Locale::Fr => {
            "Si un compte utilise cette adresse, un e-mail avec un lien pour choisir un nouveau mot de passe est en route. Si plusieurs personnes se connectent avec cette adresse, le nouveau mot de passe vaudra pour toutes."
        }
        Locale::De => {
            "Falls ein Konto diese Adresse nutzt, ist eine E-Mail mit einem Link zum Wählen eines neuen Passworts unterwegs. Melden sich mehrere Personen mit dieser Adresse an, gilt das neue Passwort für alle."
        }
        Locale::It => {
            "Se un account usa questo indirizzo, è in arrivo un'e-mail con un link per scegliere una nuova password. Se più persone accedono con questo indirizzo, la nuova password varrà per tutte."
        }
        Locale::En => {
            "If an account uses this address, an email with a link to choose a new password is on its way. If several people log in with this address, the new password applies to all of them."
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use sea_orm::Iterable as _;

    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        for (header, expected) in [
            ("de-CH, fr;q=0.8", Locale::De),
            ("fr-CH,fr;q=0.9,en;q=0.8", Locale::Fr),
            ("es, it;q=0.5", Locale::It),
            ("en;q=0.2, de;q=0.7", Locale::De),
            ("IT", Locale::It),
            ("es, pt", Locale::En),
            ("de;q=0, fr;q=0.1", Locale::Fr),
            ("", Locale::En),
            ("*", Locale::En),
        ] {
            assert_eq!(negotiate(header), expected, "{header:?}");
        }
    }

    #[test]
    fn every_reason_has_words_in_every_language() {
        let params: Map<String, Value> =
            serde_json::from_value(serde_json::json!({ "max": 200, "min": 1, "example": "3000" }))
                .expect("params");
        for locale in Locale::iter() {
            let messages: HashSet<String> = [
                Reason::Required,
                Reason::TooLong,
                Reason::TooShort,
                Reason::InvalidFormat,
                Reason::OutOfRange,
                Reason::NotAllowed,
                Reason::Taken,
                Reason::TooLarge,
                Reason::Expired,
            ]
            .into_iter()
            .map(|reason| field_message(locale, reason, &params))
            .collect();
            assert_eq!(messages.len(), 9, "{locale:?}");
        }
        assert_eq!(
            field_message(Locale::De, Reason::TooLong, &params),
            "höchstens 200 Zeichen"
        );
    }

    #[test]
    fn every_kind_has_a_distinct_label_in_every_locale() {
        for locale in Locale::iter() {
            let labels: HashSet<_> = TicketKind::iter()
                .map(|kind| kind_label(kind, locale))
                .collect();
            assert_eq!(labels.len(), 3, "{locale:?}");
        }
    }
}
