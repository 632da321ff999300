//! Media records: which content-addressed blobs (photos, room scan,
//! evidence stills) each attempt completed, and their sizes.
//!
//! Only the records: the bytes are in the blob store ([`crate::blobs`]),
//! shared between attempts by hash, which is why a purge sweeps the store
//! against [`Db::media_hashes`] rather than deleting files by attempt.

use std::collections::HashSet;

use super::{signed, unsigned, Db};

impl Db {
    /// Bytes of the finished media an attempt stored (for the quota).
    pub async fn attempt_media_bytes(&self, attempt_id: &str) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM media WHERE attempt_id = $1",
        )
        .bind(attempt_id)
        .fetch_one(&self.pool)
        .await?;
        unsigned("size", n)
    }

    /// The media blobs the attempt completed.
    pub async fn attempt_media(&self, attempt_id: &str) -> Result<HashSet<String>, sqlx::Error> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT sha256 FROM media WHERE attempt_id = $1")
                .bind(attempt_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Size of a media blob the attempt completed, if it did.
    pub async fn media_size(
        &self,
        attempt_id: &str,
        sha256: &str,
    ) -> Result<Option<u64>, sqlx::Error> {
        let size: Option<i64> =
            sqlx::query_scalar("SELECT size FROM media WHERE attempt_id = $1 AND sha256 = $2")
                .bind(attempt_id)
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        size.map(|s| unsigned("size", s)).transpose()
    }

    /// Records a completed media blob of an attempt (again: no change).
    pub async fn insert_media(
        &self,
        attempt_id: &str,
        sha256: &str,
        size: u64,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO media (attempt_id, sha256, size, received_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (attempt_id, sha256) DO NOTHING",
        )
        .bind(attempt_id)
        .bind(sha256)
        .bind(signed("size", size)?)
        .bind(now)
        .execute(&self.writer)
        .await
        .map(|_| ())
    }

    /// Every media hash some attempt still refers to.
    pub async fn media_hashes(&self) -> Result<HashSet<String>, sqlx::Error> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT DISTINCT sha256 FROM media")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }
}
