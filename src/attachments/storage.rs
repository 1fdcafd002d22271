//! Where attachment bytes live, behind a small trait so that an object
//! store can replace the local disk.
//!
//! Invariants:
//! - content-addressed: the key of a blob is a function of its SHA-256
//!   ([`Storage::key_for`]), so the same bytes are stored once, whoever
//!   uploads them and however often;
//! - a blob is never visible half-written: it appears under its key whole,
//!   or not at all;
//! - a key is only ever one the store produced: a key from anywhere else
//!   (e.g. `../../etc/passwd`) is refused, never resolved.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A content-addressed blob store.
#[async_trait::async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// The key under which bytes whose SHA-256 (lower-case hex) is `sha256`
    /// are (or would be) stored. Pure: it lets a caller clean up after a
    /// failed [`Storage::put`] without having been told the key.
    fn key_for(&self, sha256: &str) -> String;
    /// Stores `bytes` whose SHA-256 (lower-case hex) is `sha256`; returns the
    /// storage key. Storing bytes that are already there is a cheap no-op.
    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<String>;
    /// The bytes stored under `key`.
    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>>;
    /// Removes the blob under `key` (no error if it is already gone).
    async fn delete(&self, key: &str) -> std::io::Result<()>;
}

/// Blobs as files under a directory (the data directory's `attachments/`),
/// at `ab/cdef…` for the SHA-256 `abcdef…`: the two-level fan-out keeps
/// directories small.
#[derive(Debug, Clone)]
pub struct LocalDisk {
    pub root: PathBuf,
}

impl LocalDisk {
    fn path_of(&self, key: &str) -> std::io::Result<PathBuf> {
        let valid = key.len() == 65
            && key.bytes().enumerate().all(|(i, b)| {
                if i == 2 {
                    b == b'/'
                } else {
                    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
                }
            });
        if !valid {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a storage key",
            ));
        }
        Ok(self.root.join(key))
    }
}

#[async_trait::async_trait]
impl Storage for LocalDisk {
    fn key_for(&self, sha256: &str) -> String {
        let (fan_out, rest) = sha256.split_at_checked(2).unwrap_or(("", sha256));
        format!("{fan_out}/{rest}")
    }

    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<String> {
        let key = self.key_for(sha256);
        let path = self.path_of(&key)?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(key);
        }
        // The blocking pool, not the async runtime, waits for the disk
        // (a flush of up to 10 MiB).
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(std::io::Error::other)??;
        Ok(key)
    }

    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path_of(key)?).await
    }

    async fn delete(&self, key: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path_of(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Writes aside, flushes to disk, then renames into place: a reader never
/// sees half a file, and a blob whose row was committed survives a crash.
/// Two concurrent writers of the same blob both succeed (same bytes).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("a blob path has a parent"))?;
    std::fs::create_dir_all(dir)?;
    let temp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        // Best effort: the write already failed, and a stray temp file is
        // harmless (it never has a key's name).
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn store() -> (tempfile::TempDir, LocalDisk) {
        let dir = tempfile::tempdir().expect("tempdir");
        let disk = LocalDisk {
            root: dir.path().join("attachments"),
        };
        (dir, disk)
    }

    #[tokio::test]
    async fn same_bytes_are_stored_once_under_their_hash() {
        let (_dir, disk) = store();
        let key = disk.put(SHA, b"hello").await.expect("put");
        assert_eq!(key, format!("2c/{}", &SHA[2..]));
        assert_eq!(disk.key_for(SHA), key);
        assert_eq!(disk.put(SHA, b"hello").await.expect("put again"), key);
        let fan_out = std::fs::read_dir(disk.root.join("2c"))
            .expect("dir")
            .count();
        assert_eq!(fan_out, 1, "one file, no temp files left behind");
        assert_eq!(disk.get(&key).await.expect("get"), b"hello");
    }

    #[tokio::test]
    async fn delete_is_idempotent() {
        let (_dir, disk) = store();
        let key = disk.put(SHA, b"hello").await.expect("put");
        disk.delete(&key).await.expect("delete");
        disk.delete(&key).await.expect("delete again");
        assert!(disk.get(&key).await.is_err());
    }

    #[tokio::test]
    async fn keys_it_did_not_make_are_refused() {
        let (_dir, disk) = store();
        for key in [
            "../../etc/passwd",
            "",
            &format!("2c/{}", &SHA[2..]).to_uppercase(),
            &format!("2c\\{}", &SHA[2..]),
            &format!("../{}", &SHA[3..]),
        ] {
            let err = disk.get(key).await.expect_err(key);
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{key}");
        }
        assert!(disk.put("not-a-hash", b"x").await.is_err());
    }
}
