//! Password hashing with argon2id at OWASP's parameters (19 MiB, t=2, p=1),
//! run off the async executor with bounded concurrency, so that a flood of
//! logins queues here instead of stalling every other request.
//!
//! Memory is bounded by construction:
//! - at most [`PasswordHasher::concurrency`] hashes run at once (a permit is
//!   held until the blocking work ends, even if the request that asked for
//!   it is gone);
//! - each hash works in a block buffer checked out of a pool and put back
//!   afterwards, so the 19 MiB working memory is allocated once per permit
//!   and then reused. Left to allocate per hash, argon2's buffers ended up
//!   in the allocator's per-thread arenas and stayed there: 460 MiB
//!   resident through 100 logins, 16 at a time.
//!
//! The PHC string format is the crate's own; a stored hash is verified with
//! the algorithm, version and parameters it names.

use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// A valid argon2id hash of a random password, verified against when the
/// email is unknown, so that both failures cost the same time.
const DUMMY_HASH_INPUT: &str = "partnerdesk-timing-equaliser";

/// Most hashes run at once whatever the number of cores: each holds
/// 19 MiB, and the server's resident set stays within 150 MiB.
pub const MAX_CONCURRENT_HASHES: usize = 4;

/// Hashes and verifies passwords on the blocking pool.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    concurrency: usize,
    memory: Arc<MemoryPool>,
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
}

impl PasswordHasher {
    /// `concurrency`: how many hashes may run at once (each takes ~19 MiB),
    /// at least one and at most [`MAX_CONCURRENT_HASHES`].
    pub fn new(concurrency: usize) -> Self {
        let concurrency = concurrency.clamp(1, MAX_CONCURRENT_HASHES);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            memory: Arc::new(MemoryPool::new(Params::default().block_count())),
            dummy_hash: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// One hash per core, within [`MAX_CONCURRENT_HASHES`].
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// How many hashes may run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// A fresh PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), salted.
    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        let memory = self.memory.clone();
        self.run(move || {
            let salt = Salt::generate();
            let params = Params::default();
            let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
            let output = compute(
                &memory,
                Algorithm::default(),
                Version::default(),
                params.clone(),
                password.as_bytes(),
                &salt,
                output_len,
            )?;
            let phc = PasswordHash {
                algorithm: Algorithm::default().ident(),
                version: Some(Version::default().into()),
                params: ParamsString::try_from(&params).map_err(argon2_error)?,
                salt: Some(salt),
                hash: Some(output),
            };
            Ok(phc.to_string())
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
        let memory = self.memory.clone();
        let matches = self
            .run(move || Ok(matches(&memory, password.as_bytes(), &hash)))
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
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("hasher closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            // Held by the work itself: a caller that goes away does not
            // let another hash start while this one still runs.
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("hasher task: {e}")))?
    }
}

/// Whether `password` hashes to the output of the PHC string `hash`, with
/// the algorithm, version and parameters that string names. A string that
/// does not parse matches nothing.
fn matches(memory: &MemoryPool, password: &[u8], hash: &str) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = phc.version.map(Version::try_from).transpose() else {
        return false;
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    match compute(
        memory,
        algorithm,
        version.unwrap_or_default(),
        params,
        password,
        salt,
        expected.len(),
    ) {
        // `Output`'s equality is constant-time.
        Ok(computed) => computed == *expected,
        Err(_) => false,
    }
}

/// The raw argon2 output, computed in a pooled block buffer.
fn compute(
    memory: &MemoryPool,
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    output_len: usize,
) -> AppResult<Output> {
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut buffer = memory.check_out(blocks);
    let mut out = vec![0u8; output_len];
    let hashed =
        argon2.hash_password_into_with_memory(password, salt, &mut out, &mut buffer[..blocks]);
    memory.give_back(buffer);
    hashed.map_err(argon2_error)?;
    Output::new(&out).map_err(argon2_error)
}

fn argon2_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("argon2: {e}"))
}

/// Argon2 working memory, kept between hashes. Holds at most one buffer
/// per running hash, since a buffer is only made when none is free.
#[derive(Debug)]
struct MemoryPool {
    /// The size of a pooled buffer: what the default parameters need.
    blocks: usize,
    free: Mutex<Vec<Box<[Block]>>>,
}

impl MemoryPool {
    fn new(blocks: usize) -> Self {
        Self {
            blocks,
            free: Mutex::new(Vec::new()),
        }
    }

    /// A buffer of at least `blocks` blocks. A stored hash with a larger
    /// memory cost than ours gets a buffer of its own, not kept afterwards.
    fn check_out(&self, blocks: usize) -> Box<[Block]> {
        if blocks <= self.blocks
            && let Some(buffer) = self.lock().pop()
        {
            return buffer;
        }
        vec![Block::new(); blocks.max(self.blocks)].into_boxed_slice()
    }

    fn give_back(&self, buffer: Box<[Block]>) {
        if buffer.len() == self.blocks {
            self.lock().push(buffer);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Box<[Block]>>> {
        // The list is consistent between any two statements: a panic
        // elsewhere leaves nothing half done in it.
        self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher as _;
    use argon2::PasswordVerifier as _;

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
        assert!(
            !hasher
                .verify("x", Some("not a hash"))
                .await
                .expect("verify")
        );
    }

    /// The pooled computation is the crate's own: hashes made before the
    /// pool existed still verify, ours verify with the crate, and a hash
    /// with other parameters (smaller or larger memory, argon2i, v=16) is
    /// checked with the parameters it names.
    #[tokio::test]
    async fn the_crate_and_the_pool_agree_both_ways() {
        let hasher = PasswordHasher::new(1);
        let salt = Salt::generate();
        let others = [
            Argon2::default(),
            Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(8 * 1024, 1, 1, None).expect("params"),
            ),
            Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(24 * 1024, 2, 2, Some(16)).expect("params"),
            ),
            Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::default()),
        ];
        for argon2 in others {
            let theirs = argon2
                .hash_password_with_salt(b"s3cret", &salt)
                .expect("hash")
                .to_string();
            assert!(
                hasher
                    .verify("s3cret", Some(&theirs))
                    .await
                    .expect("verify"),
                "{theirs}"
            );
            assert!(
                !hasher
                    .verify("s3cret!", Some(&theirs))
                    .await
                    .expect("verify"),
                "{theirs}"
            );
        }
        // A buffer reused after a larger or different hash gives the same answer.
        let ours = hasher.hash("s3cret").await.expect("hash");
        assert!(
            Argon2::default()
                .verify_password(b"s3cret", ours.as_str())
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"other", ours.as_str())
                .is_err()
        );
        assert!(hasher.verify("s3cret", Some(&ours)).await.expect("verify"));
    }

    #[test]
    fn concurrency_is_capped_for_memory() {
        assert_eq!(PasswordHasher::new(0).concurrency(), 1);
        assert_eq!(PasswordHasher::new(64).concurrency(), MAX_CONCURRENT_HASHES);
        assert!(PasswordHasher::for_this_machine().concurrency() <= MAX_CONCURRENT_HASHES);
    }
}
