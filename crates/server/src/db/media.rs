//! Media records: which content-addressed blobs (photos, room scan,
//! evidence stills) each attempt completed, and their sizes; and the room
//! the uploads in progress reserved in the attempt's quota
//! (`media_reservations`, see [`Db::reserve_media`]).
//!
//! Only the records: the bytes are in the blob store ([`crate::blobs`]),
//! shared between attempts by hash, which is why a purge sweeps the store
//! against [`Db::media_hashes`] rather than deleting files by attempt.

use std::collections::HashSet;

use super::{signed, unsigned, Db};

/// How much room an upload asks for in its attempt's media quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Its whole size, known (`Content-Range`'s total, `Content-Length`).
    Exactly(u64),
    /// A body of unknown length: as much as is left, up to this many bytes
    /// (its kind's limit).
    UpTo(u64),
}

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

    /// Records a completed media blob of an attempt (again: no change),
    /// then drops its upload's reservation: the `media` row now counts. Two
    /// statements, not a transaction: should the second fail, the stale
    /// reservation only counts twice until it goes idle
    /// ([`crate::quota::RESERVATION_IDLE_MS`]).
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
        .await?;
        self.release_media(attempt_id, sha256).await
    }

    /// Reserves room in the attempt's media quota for the upload of
    /// `sha256`, before any of its bytes is accepted: `Ok(bytes reserved)`,
    /// or `Err(bytes the attempt would hold)` when that passes `quota`.
    ///
    /// What counts: the attempt's finished media, and the reservations of
    /// its other uploads touched at or after `live_since` (older ones were
    /// abandoned). The upload's own earlier reservation is replaced.
    ///
    /// Atomic across requests and replicas: the check and the write are one
    /// statement (`INSERT … SELECT … WHERE room`). SQLite runs one writer
    /// at a time, so that is enough there; on PostgreSQL the statement runs
    /// in a transaction that first updates the attempt's row, whose lock
    /// makes a second reservation of the same attempt read the sums only
    /// after the first is committed. (Not a transaction on SQLite: a
    /// statement that fails on a full disk can roll SQLite's transaction
    /// back under sqlx, which then loses track of it on that connection.)
    pub async fn reserve_media(
        &self,
        attempt_id: &str,
        sha256: &str,
        want: Want,
        quota: u64,
        now: i64,
        live_since: i64,
    ) -> Result<Result<u64, u64>, sqlx::Error> {
        let used = || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT CAST(
                   (SELECT COALESCE(SUM(size), 0) FROM media WHERE attempt_id = $1)
                 + (SELECT COALESCE(SUM(bytes), 0) FROM media_reservations
                    WHERE attempt_id = $1 AND sha256 <> $2 AND touched_at >= $3)
                 AS BIGINT)",
            )
            .bind(attempt_id)
            .bind(sha256)
            .bind(live_since)
            .fetch_one(&self.writer)
            .await?;
            unsigned("reserved", n)
        };
        let bytes = match want {
            Want::Exactly(n) => n,
            // As much as is left now; the statement below checks it again.
            Want::UpTo(n) => n.min(quota.saturating_sub(used().await?)).max(1),
        };
        let insert = sqlx::query(
            "INSERT INTO media_reservations (attempt_id, sha256, bytes, touched_at)
             SELECT $1, $2, CAST($3 AS BIGINT), CAST($4 AS BIGINT)
             WHERE (SELECT COALESCE(SUM(size), 0) FROM media WHERE attempt_id = $1)
                 + (SELECT COALESCE(SUM(bytes), 0) FROM media_reservations
                    WHERE attempt_id = $1 AND sha256 <> $2 AND touched_at >= $5)
                 + CAST($3 AS BIGINT) <= CAST($6 AS BIGINT)
             ON CONFLICT (attempt_id, sha256)
             DO UPDATE SET bytes = excluded.bytes, touched_at = excluded.touched_at",
        )
        .bind(attempt_id)
        .bind(sha256)
        .bind(signed("bytes", bytes)?)
        .bind(now)
        .bind(live_since)
        .bind(signed("quota", quota)?);
        let reserved = match self.backend {
            super::Backend::Postgres => {
                let mut tx = self.writer.begin().await?;
                sqlx::query("UPDATE attempts SET media_reserved_at = $2 WHERE id = $1")
                    .bind(attempt_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let n = insert.execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                n
            }
            super::Backend::Sqlite => insert.execute(&self.writer).await?.rows_affected(),
        };
        if reserved == 1 {
            Ok(Ok(bytes))
        } else {
            Ok(Err(used().await?.saturating_add(bytes)))
        }
    }

    /// Gives back the room an upload reserved (it failed and kept nothing).
    pub async fn release_media(&self, attempt_id: &str, sha256: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM media_reservations WHERE attempt_id = $1 AND sha256 = $2")
            .bind(attempt_id)
            .bind(sha256)
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
