//! Texts of the emails, in the recipient's language (fr, de, it, en).
//! Plain text: no markup to escape, nothing for a mail client to load.

use entity::enums::{Locale, TicketStatus};

use crate::i18n::EventNote;

/// Stands for the link of a password email in the text kept in clear.
pub const LINK_LEFT_OUT: &str = "[link: only in the email as sent]";

/// Subject and body of a password-reset or invitation email.
///
/// The seed's warning is repeated: one login may be shared by several
/// people, so resetting the password changes it for all of them.
pub fn password_email(
    locale: Locale,
    invite: bool,
    display_name: &str,
    link: &str,
    valid_minutes: i64,
) -> (String, String) {
    match (locale, invite) {
        (Locale::Fr, false) => (
            "Réinitialisation de votre mot de passe".to_owned(),
            format!(
                "Bonjour {display_name},\n\nPour choisir un nouveau mot de passe pour le Service Desk, ouvrez ce lien dans les {valid_minutes} minutes :\n\n{link}\n\nVeuillez noter : si plusieurs personnes utilisent la même adresse e-mail pour se connecter, le nouveau mot de passe vaudra aussi pour elles.\n\nSi vous n'avez rien demandé, ignorez ce message : votre mot de passe reste inchangé.\n"
            ),
        ),
        (Locale::Fr, true) => (
            "Votre accès au Service Desk".to_owned(),
            format!(
                "Bonjour {display_name},\n\nUn accès au Service Desk a été créé pour vous. Choisissez votre mot de passe avec ce lien, valable {valid_minutes} minutes :\n\n{link}\n\nVeuillez noter : si plusieurs personnes utilisent la même adresse e-mail pour se connecter, ce mot de passe vaudra pour toutes.\n"
            ),
        ),
        (Locale::De, false) => (
            "Passwort zurücksetzen".to_owned(),
            format!(
                "Guten Tag {display_name}\n\nUm ein neues Passwort für den Service Desk zu wählen, öffnen Sie diesen Link innert {valid_minutes} Minuten:\n\n{link}\n\nBitte beachten Sie: Wenn mehrere Personen dieselbe E-Mail-Adresse zur Anmeldung nutzen, gilt das neue Passwort auch für sie.\n\nFalls Sie nichts angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.\n"
            ),
        ),
        (Locale::De, true) => (
            "Ihr Zugang zum Service Desk".to_owned(),
            format!(
                "Guten Tag {display_name}\n\nFür Sie wurde ein Zugang zum Service Desk eingerichtet. Wählen Sie Ihr Passwort mit diesem Link, gültig während {valid_minutes} Minuten:\n\n{link}\n\nBitte beachten Sie: Wenn mehrere Personen dieselbe E-Mail-Adresse zur Anmeldung nutzen, gilt dieses Passwort für alle.\n"
            ),
        ),
        (Locale::It, false) => (
            "Reimpostazione della password".to_owned(),
            format!(
                "Buongiorno {display_name},\n\nPer scegliere una nuova password per il Service Desk, aprite questo link entro {valid_minutes} minuti:\n\n{link}\n\nAttenzione: se più persone usano lo stesso indirizzo e-mail per accedere, la nuova password varrà anche per loro.\n\nSe non avete richiesto nulla, ignorate questo messaggio: la password resta invariata.\n"
            ),
        ),
        (Locale::It, true) => (
            "Il vostro accesso al Service Desk".to_owned(),
            format!(
                "Buongiorno {display_name},\n\nÈ stato creato per voi un accesso al Service Desk. Scegliete la password con questo link, valido {valid_minutes} minuti:\n\n{link}\n\nAttenzione: se più persone usano lo stesso indirizzo e-mail per accedere, questa password varrà per tutte.\n"
            ),
        ),
        (Locale::En, false) => (
            "Reset your password".to_owned(),
            format!(
                "Hello {display_name},\n\nTo choose a new password for the Service Desk, open this link within {valid_minutes} minutes:\n\n{link}\n\nPlease note: if several people use the same email address to log in, the new password applies to them too.\n\nIf you did not ask for this, ignore this message: your password stays as it is.\n"
            ),
        ),
        (Locale::En, true) => (
            "Your access to the Service Desk".to_owned(),
            format!(
                "Hello {display_name},\n\nAn account on the Service Desk was created for you. Choose your password with this link, valid for {valid_minutes} minutes:\n\n{link}\n\nPlease note: if several people use the same email address to log in, this password applies to all of them.\n"
            ),
        ),
    }
}

/// What a ticket email reports.
#[derive(Debug, Clone, Copy)]
pub enum TicketNews<'a> {
    /// The request was registered.
    Created,
    /// The status changed to `status`, with the note given, if any
    /// (worded in the email's language when the server wrote it).
    StatusChanged {
        status: TicketStatus,
        note: Option<&'a EventNote>,
    },
    /// Staff replied publicly.
    StaffReply { author: &'a str, body: &'a str },
}

/// Subject and body of an email to a ticket's creator.
pub fn ticket_email(
    locale: Locale,
    display_name: &str,
    reference: &str,
    news: TicketNews<'_>,
) -> (String, String) {
    let (hello, created, changed, reply, note_label, closing) = match locale {
        Locale::Fr => (
            format!("Bonjour {display_name},"),
            format!(
                "Votre demande {reference} a été enregistrée. Nous l'examinons et vous tenons au courant."
            ),
            format!("Le statut de votre demande {reference} a changé :"),
            format!("Nouvelle réponse sur votre demande {reference} :"),
            "Remarque",
            "Vous pouvez suivre la demande et y répondre dans le Service Desk.",
        ),
        Locale::De => (
            format!("Guten Tag {display_name}"),
            format!(
                "Ihre Anfrage {reference} wurde erfasst. Wir prüfen sie und halten Sie auf dem Laufenden."
            ),
            format!("Der Status Ihrer Anfrage {reference} hat sich geändert:"),
            format!("Neue Antwort zu Ihrer Anfrage {reference}:"),
            "Bemerkung",
            "Sie können die Anfrage im Service Desk verfolgen und beantworten.",
        ),
        Locale::It => (
            format!("Buongiorno {display_name},"),
            format!(
                "La vostra richiesta {reference} è stata registrata. La esaminiamo e vi teniamo informati."
            ),
            format!("Lo stato della vostra richiesta {reference} è cambiato:"),
            format!("Nuova risposta alla vostra richiesta {reference}:"),
            "Nota",
            "Potete seguire la richiesta e rispondere nel Service Desk.",
        ),
        Locale::En => (
            format!("Hello {display_name},"),
            format!(
                "Your request {reference} has been registered. We are reviewing it and will keep you posted."
            ),
            format!("The status of your request {reference} has changed:"),
            format!("New reply on your request {reference}:"),
            "Note",
            "You can follow the request and reply in the Service Desk.",
        ),
    };
    match news {
        TicketNews::Created => (
            reference.to_owned(),
            format!("{hello}\n\n{created}\n\n{closing}\n"),
        ),
        TicketNews::StatusChanged { status, note } => {
            let status = status_label(status, locale);
            let note = note
                .map(|n| format!("\n{note_label}: {}\n", n.render(locale)))
                .unwrap_or_default();
            (
                format!("{reference}: {status}"),
                format!("{hello}\n\n{changed} {status}\n{note}\n{closing}\n"),
            )
        }
        TicketNews::StaffReply { author, body } => (
            reference.to_owned(),
            format!("{hello}\n\n{reply}\n\n{author}:\n{body}\n\n{closing}\n"),
        ),
    }
}

/// The status's name for people, in their language: the catalogue's, so
/// that the emails and the API's `statusLabel` say the same.
pub use crate::i18n::status_label;

/// What an invoice email says about its invoice.
#[derive(Debug, Clone, Copy)]
pub struct InvoiceNews<'a> {
    pub organisation: &'a str,
    pub number: &'a str,
    /// `01.07.2026 – 30.09.2026`, or one day.
    pub period: &'a str,
    pub lines: usize,
    /// `1234.56`.
    pub total_chf: &'a str,
}

/// Subject and body of the email that sends an invoice (its CSV attached)
/// to an organisation's billing email.
pub fn invoice_email(locale: Locale, news: InvoiceNews<'_>) -> (String, String) {
    let InvoiceNews {
        organisation,
        number,
        period,
        lines,
        total_chf,
    } = news;
    match locale {
        Locale::Fr => (
            format!("Facture {number}"),
            format!(
                "Bonjour,\n\nVeuillez trouver ci-joint la facture {number} pour {organisation}, période {period} : {lines} poste(s), total CHF {total_chf} TVA comprise.\n\nLe détail des postes (référence GEM, référence interne, dates de saisie et d'envoi, appareil, adresse de livraison, montant) figure dans le fichier CSV joint.\n\nMerci de votre confiance.\n"
            ),
        ),
        Locale::De => (
            format!("Rechnung {number}"),
            format!(
                "Guten Tag\n\nIm Anhang finden Sie die Rechnung {number} für {organisation}, Periode {period}: {lines} Position(en), total CHF {total_chf} inkl. MWST.\n\nDie Positionen (GEM-Referenz, interne Referenz, Erfassungs- und Versanddatum, Gerät, Lieferadresse, Betrag) stehen in der beigefügten CSV-Datei.\n\nVielen Dank für Ihr Vertrauen.\n"
            ),
        ),
        Locale::It => (
            format!("Fattura {number}"),
            format!(
                "Buongiorno,\n\nin allegato trovate la fattura {number} per {organisation}, periodo {period}: {lines} posizione/i, totale CHF {total_chf} IVA inclusa.\n\nIl dettaglio delle posizioni (riferimento GEM, riferimento interno, date di registrazione e di spedizione, apparecchio, indirizzo di consegna, importo) si trova nel file CSV allegato.\n\nGrazie per la fiducia.\n"
            ),
        ),
        Locale::En => (
            format!("Invoice {number}"),
            format!(
                "Hello,\n\nPlease find attached invoice {number} for {organisation}, period {period}: {lines} line(s), total CHF {total_chf} including VAT.\n\nThe lines (GEM reference, internal reference, entry and shipping dates, device, delivery address, amount) are in the attached CSV file.\n\nThank you for your trust.\n"
            ),
        ),
    }
}

/// What a notice to the provider's staff reports: a partner's action,
/// named by the ticket's reference (staff open it with
/// `ticketByReference`), with the text the partner wrote, which staff may
/// read anyway.
#[derive(Debug, Clone, Copy)]
pub enum StaffNews<'a> {
    /// A laptop was ordered.
    NewOrder { reference: &'a str },
    /// A problem with a delivered laptop was reported, on the order `order`.
    DeliveryIssue {
        reference: &'a str,
        order: &'a str,
        description: &'a str,
    },
    /// A partner commented on a ticket.
    PartnerComment { reference: &'a str, body: &'a str },
    /// Feedback was sent.
    Feedback { message: &'a str },
}

/// Subject and body of a notice to staff (the desk address, or a staff
/// user who opted in), in `locale`: who of which organisation did what,
/// on which ticket, with the text they wrote.
pub fn staff_email(
    locale: Locale,
    organisation: &str,
    author: &str,
    news: StaffNews<'_>,
) -> (String, String) {
    let who = format!("{author} ({organisation})");
    let (subject, line, text) = match (locale, news) {
        (Locale::Fr, StaffNews::NewOrder { reference }) => (
            format!("Nouvelle commande {reference} ({organisation})"),
            format!("{who} a commandé un ordinateur portable : demande {reference}."),
            None,
        ),
        (
            Locale::Fr,
            StaffNews::DeliveryIssue {
                reference,
                order,
                description,
            },
        ) => (
            format!("Problème de livraison {reference} ({organisation})"),
            format!("{who} signale un problème de livraison sur {order} : demande {reference}."),
            Some(description),
        ),
        (Locale::Fr, StaffNews::PartnerComment { reference, body }) => (
            format!("Nouveau commentaire sur {reference} ({organisation})"),
            format!("{who} a commenté la demande {reference} :"),
            Some(body),
        ),
        (Locale::Fr, StaffNews::Feedback { message }) => (
            format!("Feedback de {organisation}"),
            format!("{who} a envoyé un feedback :"),
            Some(message),
        ),
        (Locale::De, StaffNews::NewOrder { reference }) => (
            format!("Neue Bestellung {reference} ({organisation})"),
            format!("{who} hat einen Laptop bestellt: Anfrage {reference}."),
            None,
        ),
        (
            Locale::De,
            StaffNews::DeliveryIssue {
                reference,
                order,
                description,
            },
        ) => (
            format!("Lieferproblem {reference} ({organisation})"),
            format!("{who} meldet ein Lieferproblem bei {order}: Anfrage {reference}."),
            Some(description),
        ),
        (Locale::De, StaffNews::PartnerComment { reference, body }) => (
            format!("Neuer Kommentar zu {reference} ({organisation})"),
            format!("{who} hat die Anfrage {reference} kommentiert:"),
            Some(body),
        ),
        (Locale::De, StaffNews::Feedback { message }) => (
            format!("Feedback von {organisation}"),
            format!("{who} hat ein Feedback gesendet:"),
            Some(message),
        ),
        (Locale::It, StaffNews::NewOrder { reference }) => (
            format!("Nuovo ordine {reference} ({organisation})"),
            format!("{who} ha ordinato un portatile: richiesta {reference}."),
            None,
        ),
        (
            Locale::It,
            StaffNews::DeliveryIssue {
                reference,
                order,
                description,
            },
        ) => (
            format!("Problema di consegna {reference} ({organisation})"),
            format!("{who} segnala un problema di consegna per {order}: richiesta {reference}."),
            Some(description),
        ),
        (Locale::It, StaffNews::PartnerComment { reference, body }) => (
            format!("Nuovo commento su {reference} ({organisation})"),
            format!("{who} ha commentato la richiesta {reference}:"),
            Some(body),
        ),
        (Locale::It, StaffNews::Feedback { message }) => (
            format!("Feedback da {organisation}"),
            format!("{who} ha inviato un feedback:"),
            Some(message),
        ),
        (Locale::En, StaffNews::NewOrder { reference }) => (
            format!("New order {reference} ({organisation})"),
            format!("{who} ordered a laptop: request {reference}."),
            None,
        ),
        (
            Locale::En,
            StaffNews::DeliveryIssue {
                reference,
                order,
                description,
            },
        ) => (
            format!("Delivery problem {reference} ({organisation})"),
            format!("{who} reports a delivery problem with {order}: request {reference}."),
            Some(description),
        ),
        (Locale::En, StaffNews::PartnerComment { reference, body }) => (
            format!("New comment on {reference} ({organisation})"),
            format!("{who} commented on request {reference}:"),
            Some(body),
        ),
        (Locale::En, StaffNews::Feedback { message }) => (
            format!("Feedback from {organisation}"),
            format!("{who} sent feedback:"),
            Some(message),
        ),
    };
    let (hello, closing) = match (locale, news) {
        (Locale::Fr, StaffNews::Feedback { .. }) => {
            ("Bonjour,", "Le feedback est dans le Service Desk.")
        }
        (Locale::De, StaffNews::Feedback { .. }) => {
            ("Guten Tag", "Das Feedback steht im Service Desk.")
        }
        (Locale::It, StaffNews::Feedback { .. }) => {
            ("Buongiorno,", "Il feedback si trova nel Service Desk.")
        }
        (Locale::En, StaffNews::Feedback { .. }) => {
            ("Hello,", "The feedback is in the Service Desk.")
        }
        (Locale::Fr, _) => (
            "Bonjour,",
            "La demande se trouve dans le Service Desk sous sa référence.",
        ),
        (Locale::De, _) => (
            "Guten Tag",
            "Die Anfrage finden Sie im Service Desk unter ihrer Referenz.",
        ),
        (Locale::It, _) => (
            "Buongiorno,",
            "La richiesta si trova nel Service Desk con il suo riferimento.",
        ),
        (Locale::En, _) => (
            "Hello,",
            "Find the request in the Service Desk by its reference.",
        ),
    };
    let text = text.map(|t| format!("\n{t}\n")).unwrap_or_default();
    (subject, format!("{hello}\n\n{line}\n{text}\n{closing}\n"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use sea_orm::Iterable as _;

    use super::*;

    #[test]
    fn status_labels_in_french_are_the_instructions_own() {
        let labels: Vec<_> = TicketStatus::iter()
            .map(|status| status_label(status, Locale::Fr))
            .collect();
        assert_eq!(
            labels,
            [
                "Examen",
                "File d'attente",
                "Prêt pour l'envoi",
                "Prêt pour la compensation",
                "Facturé",
                "Annulé",
            ]
        );
    }

    #[test]
    fn every_staff_notice_names_its_ticket_and_carries_the_partner_s_text() {
        let news = [
            StaffNews::NewOrder { reference: "GEM-7" },
            StaffNews::DeliveryIssue {
                reference: "GEM-7",
                order: "GEM-3",
                description: "écran cassé",
            },
            StaffNews::PartnerComment {
                reference: "GEM-7",
                body: "écran cassé",
            },
        ];
        for locale in Locale::iter() {
            let mut subjects = HashSet::new();
            for news in news {
                let (subject, body) = staff_email(locale, "Alpha", "Max", news);
                assert!(
                    subject.contains("GEM-7") && subject.contains("Alpha"),
                    "{subject}"
                );
                assert!(
                    body.contains("GEM-7") && body.contains("Max (Alpha)"),
                    "{body}"
                );
                if !matches!(news, StaffNews::NewOrder { .. }) {
                    assert!(body.contains("écran cassé"), "{body}");
                }
                subjects.insert(subject);
            }
            assert_eq!(subjects.len(), 3, "{locale:?}");
            let (subject, body) = staff_email(
                locale,
                "Alpha",
                "Max",
                StaffNews::Feedback { message: "merci" },
            );
            assert!(subject.contains("Alpha"), "{subject}");
            assert!(body.contains("merci"), "{body}");
        }
    }

    #[test]
    fn every_status_has_a_distinct_label_in_every_locale() {
        for locale in Locale::iter() {
            let labels: HashSet<_> = TicketStatus::iter()
                .map(|status| status_label(status, locale))
                .collect();
            assert_eq!(labels.len(), 6, "{locale:?}");
            assert!(labels.iter().all(|label| !label.is_empty()), "{locale:?}");
        }
    }
}
