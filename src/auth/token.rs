//! Access tokens: HS256 JWTs with the claims of SPEC §4, the algorithm
//! pinned, issuer and audience checked, and time checked against the app's
//! [`Clock`](crate::clock::Clock) so that expiry is testable.

use chrono::{DateTime, Utc};
use entity::enums::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use crate::config::JwtConfig;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The user's organisation id.
    pub org: i64,
    /// The user's role when the token was issued (informative: the role is
    /// re-read from the database on every request).
    pub role: Role,
    /// The user's `token_version`; a bump revokes every earlier token.
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub iss: String,
    pub aud: String,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    config: JwtConfig,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused (logged at debug level; the client only ever
/// hears UNAUTHENTICATED).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token subject is not a user id")]
    BadSubject,
}

impl TokenKeys {
    pub fn new(config: &JwtConfig) -> Self {
        let secret = config.secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Times are checked in `verify` against the injectable clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            config: config.clone(),
        }
    }

    /// Issues a token for a user at `now`; returns it with its expiry.
    pub fn issue(
        &self,
        user: &entity::user_profiles::Model,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        let ttl = chrono::Duration::from_std(self.config.ttl).unwrap_or(chrono::Duration::hours(8));
        let expires_at = now + ttl;
        let claims = Claims {
            sub: user.id.to_string(),
            org: user.organisation_id,
            role: user.role,
            ver: user.token_version,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            nbf: None,
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires_at))
    }

    /// Checks signature, algorithm, issuer, audience and times; returns the
    /// user id and the claims.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<(i64, Claims), TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        let claims = data.claims;
        let now = now.timestamp();
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now) {
            return Err(TokenError::NotYetValid);
        }
        let user_id = claims.sub.parse().map_err(|_| TokenError::BadSubject)?;
        Ok((user_id, claims))
    }
}
