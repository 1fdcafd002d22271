//! The words of the reset-password page (`GET /reset-password`), in the
//! four languages. The error shown for a dead link and the field errors
//! come from [`super::field_message`], like every error of the API.

use entity::enums::Locale;

use crate::domain::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// Every text of the page.
#[derive(Debug, Clone)]
pub struct ResetPageTexts {
    /// The page's title and heading.
    pub title: &'static str,
    /// What the page is for.
    pub intro: &'static str,
    /// The seed's warning: everyone who logs in with the same address is
    /// affected by the new password.
    pub shared_address: &'static str,
    pub password_label: &'static str,
    /// The rule a new password follows, with its bounds.
    pub password_hint: String,
    pub confirm_label: &'static str,
    pub submit: &'static str,
    /// The two fields differ (checked in the page, before any request).
    pub mismatch: &'static str,
    pub success: &'static str,
    /// The request failed for a reason the user cannot fix (network, server).
    pub failed: &'static str,
    pub needs_javascript: &'static str,
}

/// The page's texts in `locale`.
pub fn reset_page(locale: Locale) -> ResetPageTexts {
    let (min, max) = (MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS);
    match locale {
        Locale::Fr => ResetPageTexts {
            title: "Nouveau mot de passe",
            intro: "Choisissez un nouveau mot de passe pour le Service Desk.",
            shared_address: "Veuillez noter : si plusieurs personnes utilisent la même adresse e-mail pour se connecter, le nouveau mot de passe vaudra aussi pour elles.",
            password_label: "Nouveau mot de passe",
            password_hint: format!("{min} à {max} caractères"),
            confirm_label: "Confirmez le mot de passe",
            submit: "Enregistrer le mot de passe",
            mismatch: "les deux mots de passe ne sont pas identiques",
            success: "Votre mot de passe a été changé. Vous pouvez maintenant vous connecter avec lui.",
            failed: "Le mot de passe n'a pas pu être changé. Veuillez réessayer plus tard.",
            needs_javascript: "Cette page a besoin de JavaScript.",
        },
        Locale::De => ResetPageTexts {
            title: "Neues Passwort",
            intro: "Wählen Sie ein neues Passwort für den Service Desk.",
            shared_address: "Bitte beachten Sie: Wenn mehrere Personen dieselbe E-Mail-Adresse zur Anmeldung nutzen, gilt das neue Passwort auch für sie.",
            password_label: "Neues Passwort",
            password_hint: format!("{min} bis {max} Zeichen"),
            confirm_label: "Passwort bestätigen",
            submit: "Passwort speichern",
            mismatch: "die beiden Passwörter stimmen nicht überein",
            success: "Ihr Passwort wurde geändert. Sie können sich jetzt damit anmelden.",
            failed: "Das Passwort konnte nicht geändert werden. Bitte versuchen Sie es später erneut.",
            needs_javascript: "Diese Seite benötigt JavaScript.",
        },
        Locale::It => ResetPageTexts {
            title: "Nuova password",
            intro: "Scegliete una nuova password per il Service Desk.",
            shared_address: "Attenzione: se più persone usano lo stesso indirizzo e-mail per accedere, la nuova password varrà anche per loro.",
            password_label: "Nuova password",
            password_hint: format!("da {min} a {max} caratteri"),
            confirm_label: "Confermate la password",
            submit: "Salva la password",
            mismatch: "le due password non corrispondono",
            success: "La password è stata cambiata. Ora potete accedere con la nuova password.",
            failed: "Non è stato possibile cambiare la password. Riprovate più tardi.",
            needs_javascript: "Questa pagina richiede JavaScript.",
        },
        Locale::En => ResetPageTexts {
            title: "New password",
            intro: "Choose a new password for the Service Desk.",
            shared_address: "Please note: if several people use the same email address to log in, the new password applies to them too.",
            password_label: "New password",
            password_hint: format!("{min} to {max} characters"),
            confirm_label: "Confirm the password",
            submit: "Save the password",
            mismatch: "the two passwords do not match",
            success: "Your password has been changed. You can now log in with it.",
            failed: "The password could not be changed. Please try again later.",
            needs_javascript: "This page needs JavaScript.",
        },
    }
}
