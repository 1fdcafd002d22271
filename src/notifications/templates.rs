//! Texts of the emails, in the recipient's language (fr, de, it, en).
//! Plain text: no markup to escape, nothing for a mail client to load.

use entity::enums::Locale;

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
