//! Where attachment bytes live, behind a small trait so that an object
//! store can replace the local disk.

use std::path::PathBuf;

/// A content-addressed blob store: the key of a blob is derived from its
/// SHA-256, so storing the same bytes twice stores them once.
#[async_trait::async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` whose SHA-256 (lower-case hex) is `sha256`; returns the
    /// storage key.
    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<String>;
    /// The bytes stored under `key`.
    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>>;
    /// Removes the blob under `key` (no error if it is already gone).
    async fn delete(&self, key: &str) -> std::io::Result<()>;
}

/// Blobs as files under a directory (the data directory's `attachments/`).
#[derive(Debug, Clone)]
pub struct LocalDisk {
    pub root: PathBuf,
}

impl LocalDisk {
    /// `ab/cdef…`: two-level fan-out keeps directories small.
    fn path_of(&self, key: &str) -> std::io::Result<PathBuf> {
        let valid = key.len() == 65
            && key.as_bytes()[2] == b'/'
            && key
                .chars()
                .enumerate()
                .all(|(i, c)| i == 2 || c.is_ascii_hexdigit());
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
    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<String> {
        let key = format!(
            "{}/{}",
            sha256.get(..2).unwrap_or("00"),
            sha256.get(2..).unwrap_or("")
        );
        let path = self.path_of(&key)?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(key);
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Write aside, then rename: a reader never sees half a file.
        let temp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&temp, bytes).await?;
        tokio::fs::rename(&temp, &path).await?;
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
