//! Attachment bytes in the database (`ATTACHMENT_STORE=database`, the
//! default on PostgreSQL): the `attachment_blobs` table, so that every
//! instance of the server behind a load balancer reads the files any of
//! them stored, with no shared disk.
//!
//! Invariants (those of [`Storage`], held by the database):
//! - content-addressed: the key is the SHA-256 of the bytes itself, the
//!   row's primary key, so the same bytes are one row; storing them again
//!   is an existence check, and two instances storing them at once both
//!   succeed (`INSERT … ON CONFLICT DO NOTHING`);
//! - a blob is never visible half-written: its row commits whole or not at
//!   all;
//! - a blob that an attachment row references is never deleted: the
//!   delete itself re-checks, in the same statement, that no committed
//!   attachment names the key;
//! - a key is only ever one the store produced (64 lower-case hex
//!   digits); anything else is refused, never queried.
//!
//! The store reads no tenant data on its own: it is handed keys taken from
//! attachment rows that were read through the viewer's scope.

use std::sync::Arc;

use entity::{attachment_blobs, attachments};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait as _, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _};
use sea_orm::{QuerySelect as _, sea_query::ExprTrait as _};

use super::storage::Storage;
use crate::clock::Clock;

/// Blobs as rows of `attachment_blobs`, on the application's pool.
#[derive(Debug, Clone)]
pub struct DatabaseStore {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl DatabaseStore {
    /// A store on `db` (already migrated); `clock` dates new blobs.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    async fn exists(&self, key: &str) -> Result<bool, DbErr> {
        let found = attachment_blobs::Entity::find_by_id(key.to_owned())
            .select_only()
            .column(attachment_blobs::Column::Sha256)
            .into_tuple::<String>()
            .one(&self.db)
            .await?;
        Ok(found.is_some())
    }
}

/// `key` if the store could have produced it: a SHA-256 in lower-case hex.
fn checked_key(key: &str) -> std::io::Result<&str> {
    let valid = key.len() == 64
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if valid {
        Ok(key)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a storage key",
        ))
    }
}

fn io_error(context: &'static str) -> impl FnOnce(DbErr) -> std::io::Error {
    move |e| std::io::Error::other(anyhow::Error::new(e).context(context))
}

#[async_trait::async_trait]
impl Storage for DatabaseStore {
    fn key_for(&self, sha256: &str) -> String {
        sha256.to_owned()
    }

    async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<String> {
        let key = checked_key(sha256)?;
        // The common repeat (the check before and after an upload's
        // transaction, the same certificate sent twice) costs one indexed
        // read, not the bytes sent over again.
        if self
            .exists(key)
            .await
            .map_err(io_error("checking for a blob"))?
        {
            return Ok(key.to_owned());
        }
        let size = i64::try_from(bytes.len()).map_err(std::io::Error::other)?;
        // The one copy of the bytes: the query parameter owns its value.
        let row = attachment_blobs::ActiveModel {
            sha256: Set(key.to_owned()),
            bytes: Set(bytes.to_vec()),
            size_bytes: Set(size),
            created_at: Set(self.clock.now()),
        };
        // A concurrent upload of the same bytes, here or on another
        // instance, may have inserted the row since the check: the same
        // bytes, so nothing is lost by doing nothing.
        attachment_blobs::Entity::insert(row)
            .on_conflict(
                OnConflict::column(attachment_blobs::Column::Sha256)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(io_error("storing a blob"))?;
        Ok(key.to_owned())
    }

    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        let key = checked_key(key)?;
        attachment_blobs::Entity::find_by_id(key.to_owned())
            .select_only()
            .column(attachment_blobs::Column::Bytes)
            .into_tuple::<Vec<u8>>()
            .one(&self.db)
            .await
            .map_err(io_error("reading a blob"))?
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    async fn delete(&self, key: &str) -> std::io::Result<()> {
        let key = checked_key(key)?;
        let referenced = Query::select()
            .expr(Expr::val(1))
            .from(attachments::Entity)
            .and_where(Expr::col((attachments::Entity, attachments::Column::StorageKey)).eq(key))
            .to_owned();
        attachment_blobs::Entity::delete_many()
            .filter(attachment_blobs::Column::Sha256.eq(key))
            .filter(Expr::exists(referenced).not())
            .exec(&self.db)
            .await
            .map_err(io_error("deleting a blob"))?;
        Ok(())
    }
}
