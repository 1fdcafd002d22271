//! Password hashing with argon2id at OWASP's parameters (19 MiB, t=2, p=1),
//! run off the async executor with bounded concurrency, so that a flood of
//! logins queues here instead of stalling every other request.

use std::sync::Arc;

use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// A valid argon2id hash of a random password, verified against when the
/// email is unknown, so that both failures cost the same time.
const DUMMY_HASH_INPUT: &str = "partnerdesk-timing-equaliser";

/// Hashes and verifies passwords on the blocking pool.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
}

impl PasswordHasher {
    /// `concurrency`: how many hashes may run at once (each takes ~19 MiB).
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// A fresh PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), salted.
    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 hash: {e}")))
        })
        .await
    }

    /// Whether `password` matches `hash`. With no hash (unknown account or
    /// no password set), a dummy hash is checked so the answer takes as long.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let (hash, real) = match hash {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let password = password.to_owned();
        let matches = self
            .run(move || {
                Ok(Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok())
            })
            .await?;
        Ok(real && matches)
    }

    async fn dummy_hash(&self) -> AppResult<String> {
        self.dummy_hash
            .get_or_try_init(|| self.hash(DUMMY_HASH_INPUT))
            .await
            .cloned()
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("hasher closed: {e}")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("hasher task: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let hasher = PasswordHasher::new(2);
        let a = hasher.hash("correct horse battery").await.expect("hash");
        let b = hasher.hash("correct horse battery").await.expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(
            hasher
                .verify("correct horse battery", Some(&a))
                .await
                .expect("verify")
        );
        assert!(!hasher.verify("wrong", Some(&a)).await.expect("verify"));
        assert!(!hasher.verify(DUMMY_HASH_INPUT, None).await.expect("verify"));
    }
}
