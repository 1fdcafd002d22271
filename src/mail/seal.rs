//! Token-bearing email bodies, sealed at rest: a password-reset or
//! invitation email's full text (its link holds a token that logs in) is
//! stored encrypted in `email_outbox.body_sealed`, and only the worker opens
//! it, to send it; it is cleared once delivered.
//!
//! The key is derived from the server secret (`JWT_SECRET`) with
//! HKDF-SHA256 and an info string of its own, so it is never the signing
//! key itself; the cipher is ChaCha20-Poly1305 (authenticated: a changed
//! byte, or another secret, fails to open rather than yielding garbage)
//! with a random 96-bit nonce per body. A sealed body reads
//! `v1:<base64url of nonce ‖ ciphertext ‖ tag>`.

use std::sync::Arc;

use base64::Engine as _;
use hkdf::Hkdf;
use rand::RngCore as _;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;

/// Distinguishes this key from anything else derived from the secret.
const INFO: &[u8] = b"partnerdesk email_outbox.body_sealed v1";
/// Binds a sealed value to its column.
const AAD: &[u8] = b"email_outbox.body_sealed";
const PREFIX: &str = "v1:";

/// The key that seals and opens outbox bodies. Cheap to clone; `Debug`
/// shows nothing of it.
#[derive(Clone)]
pub struct BodyKey(Arc<LessSafeKey>);

impl std::fmt::Debug for BodyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyKey([redacted])")
    }
}

/// A sealed body that does not open: altered, or sealed under another
/// server secret.
#[derive(Debug, thiserror::Error)]
#[error("the sealed body cannot be opened (altered, or sealed under another JWT_SECRET)")]
pub struct OpenError;

impl BodyKey {
    /// The key derived from the server secret.
    pub fn derive(secret: &SecretString) -> Self {
        let hkdf = Hkdf::<Sha256>::new(None, secret.expose_secret().as_bytes());
        let mut key = [0u8; 32];
        hkdf.expand(INFO, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let key = UnboundKey::new(&CHACHA20_POLY1305, &key)
            .expect("32 bytes is the ChaCha20-Poly1305 key length");
        Self(Arc::new(LessSafeKey::new(key)))
    }

    /// Encrypts `plain` under a fresh random nonce.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut sealed = plain.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut sealed,
            )
            .expect("a body is far below the cipher's length limit");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// Decrypts what [`BodyKey::seal`] produced.
    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(OpenError)?;
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| OpenError)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| OpenError)?;
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(AAD), &mut ciphertext)
            .map_err(|_| OpenError)?;
        String::from_utf8(plain.to_vec()).map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> BodyKey {
        BodyKey::derive(&SecretString::from(secret))
    }

    #[test]
    fn a_sealed_body_opens_to_itself_and_shows_nothing_of_it() {
        let key = key("a-server-secret-of-at-least-32-bytes!!");
        let body = "Bonjour,\nhttps://desk.example/reset-password?token=SECRET-TOKEN-123\n";
        let sealed = key.seal(body);
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("SECRET-TOKEN"), "{sealed}");
        assert!(!sealed.contains("reset-password"), "{sealed}");
        assert_ne!(sealed, key.seal(body), "a fresh nonce each time");
        assert_eq!(key.open(&sealed).expect("opens"), body);
    }

    #[test]
    fn another_secret_or_an_altered_byte_does_not_open() {
        let sealed = key("a-server-secret-of-at-least-32-bytes!!").seal("text");
        assert!(
            key("another-secret-of-at-least-32-bytes!!!")
                .open(&sealed)
                .is_err()
        );
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert!(
            key("a-server-secret-of-at-least-32-bytes!!")
                .open(&altered)
                .is_err()
        );
        assert!(
            key("a-server-secret-of-at-least-32-bytes!!")
                .open("v1:")
                .is_err()
        );
        assert!(
            key("a-server-secret-of-at-least-32-bytes!!")
                .open("text")
                .is_err()
        );
    }
}
