//! The stored logs: the events each sync appends, read back in order for
//! replay and review, and the transaction one sync runs in ([`SyncTx`]).
//!
//! A sync checks what is stored and writes what is new inside one
//! transaction whose first statement locks the attempt's row, so the
//! read-check-write of two syncs of one attempt never interleaves; the
//! methods on [`SyncTx`] are the only ones that run inside it.

use sqlx::{Any, Transaction};
use vigil_exam::Event;

use super::attempts::AttemptState;
use super::review::insert_flag;
use super::{signed, unsigned, Db};
use crate::flags::FlagKind;

/// One batch of an attempt's events as it arrived: the batch is stored in
/// one transaction, with one time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SyncBatch {
    /// When the server stored it.
    pub stored_at: i64,
    #[sqlx(try_from = "i64")]
    pub first_seq: u64,
    #[sqlx(try_from = "i64")]
    pub last_seq: u64,
    /// How many events it held.
    #[sqlx(try_from = "i64")]
    pub events: u64,
}

/// A stored event's seq and hash, as a sync compares them.
#[derive(sqlx::FromRow)]
struct StoredHash {
    #[sqlx(try_from = "i64")]
    seq: u64,
    hash: String,
}

impl Db {
    /// Opens the transaction of one sync of `attempt_id`. Its first statement
    /// writes the attempt row, so concurrent syncs of one attempt queue up
    /// (SQLite's write lock, PostgreSQL's row lock) instead of interleaving.
    pub async fn begin_sync(&self, attempt_id: &str, now: i64) -> Result<SyncTx, sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE attempts SET last_sync_at = $1 WHERE id = $2")
            .bind(now)
            .bind(attempt_id)
            .execute(&mut *tx)
            .await?;
        Ok(SyncTx {
            tx,
            attempt_id: attempt_id.to_owned(),
        })
    }

    /// Highest stored seq of an attempt (0: none).
    pub async fn acked_seq(&self, attempt_id: &str) -> Result<u64, sqlx::Error> {
        let n: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events WHERE attempt_id = $1")
                .bind(attempt_id)
                .fetch_one(&self.pool)
                .await?;
        unsigned("seq", n)
    }

    /// The stored events of an attempt, in order (transport JSON decoded).
    pub async fn events(&self, attempt_id: &str) -> Result<Vec<Event>, sqlx::Error> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT json FROM events WHERE attempt_id = $1 ORDER BY seq")
                .bind(attempt_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|j| decode_event(j)).collect()
    }

    /// When each batch of the attempt's events arrived, oldest first — the
    /// sync history a reviewer reads.
    pub async fn sync_history(&self, attempt_id: &str) -> Result<Vec<SyncBatch>, sqlx::Error> {
        sqlx::query_as(
            "SELECT stored_at, MIN(seq) AS first_seq, MAX(seq) AS last_seq, COUNT(*) AS events
             FROM events WHERE attempt_id = $1 GROUP BY stored_at ORDER BY stored_at",
        )
        .bind(attempt_id)
        .fetch_all(&self.pool)
        .await
    }
}

impl Db {
    /// The `checks` events of a session's attempts (the system checks the
    /// candidates ran while signed in), with when the server stored each:
    /// `(candidate, stored_at, event)`, oldest first. An event that no
    /// longer decodes is left out with a warning: a page never fails on it.
    pub async fn session_checks(
        &self,
        session_id: &str,
    ) -> Result<Vec<(String, i64, Event)>, sqlx::Error> {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT a.candidate_id, e.stored_at, e.json FROM events e
             JOIN attempts a ON a.id = e.attempt_id
             WHERE a.session_id = $1 AND e.kind = 'checks'
             ORDER BY e.stored_at, a.candidate_id, e.seq",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(candidate, stored_at, json)| match decode_event(&json) {
                Ok(e) => Some((candidate, stored_at, e)),
                Err(e) => {
                    tracing::warn!(%candidate, error = %e, "a stored checks event does not decode");
                    None
                }
            })
            .collect())
    }
}

fn decode_event(json: &str) -> Result<Event, sqlx::Error> {
    serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// One sync's transaction on one attempt (see [`Db::begin_sync`]). Dropped
/// without [`SyncTx::commit`], it rolls back: nothing stored half-way.
pub struct SyncTx {
    tx: Transaction<'static, Any>,
    attempt_id: String,
}

impl SyncTx {
    /// The last stored event, if any.
    pub async fn last_event(&mut self) -> Result<Option<Event>, sqlx::Error> {
        let json: Option<String> = sqlx::query_scalar(
            "SELECT json FROM events WHERE attempt_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(&self.attempt_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        json.as_deref().map(decode_event).transpose()
    }

    /// When the server stored the attempt's last stored event, if any.
    pub async fn last_stored_at(&mut self) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT stored_at FROM events WHERE attempt_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(&self.attempt_id)
        .fetch_optional(&mut *self.tx)
        .await
    }

    /// `(seq, hash)` of the stored events with `from <= seq <= to`, in order.
    pub async fn hashes(&mut self, from: u64, to: u64) -> Result<Vec<(u64, String)>, sqlx::Error> {
        let rows: Vec<StoredHash> = sqlx::query_as(
            "SELECT seq, hash FROM events WHERE attempt_id = $1 AND seq >= $2 AND seq <= $3
             ORDER BY seq",
        )
        .bind(&self.attempt_id)
        .bind(signed("seq", from)?)
        .bind(signed("seq", to)?)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows.into_iter().map(|r| (r.seq, r.hash)).collect())
    }

    /// Bytes of the attempt's stored events (for the quota).
    pub async fn event_bytes(&mut self) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar("SELECT event_bytes FROM attempts WHERE id = $1")
            .bind(&self.attempt_id)
            .fetch_one(&mut *self.tx)
            .await?;
        unsigned("event_bytes", n)
    }

    /// Appends verified events (their transport JSON, `jsons[i]` for
    /// `events[i]`) and counts their bytes on the attempt.
    pub async fn insert_events(
        &mut self,
        events: &[Event],
        jsons: &[String],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut bytes = 0i64;
        for (e, json) in events.iter().zip(jsons) {
            bytes += json.len() as i64;
            sqlx::query(
                "INSERT INTO events (attempt_id, seq, at, kind, hash, prev_hash, json, stored_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&self.attempt_id)
            .bind(signed("seq", e.seq)?)
            .bind(e.at)
            .bind(e.kind.name())
            .bind(&e.hash)
            .bind(&e.prev_hash)
            .bind(json)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        }
        sqlx::query("UPDATE attempts SET event_bytes = event_bytes + $1 WHERE id = $2")
            .bind(bytes)
            .bind(&self.attempt_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Records a start seen in the log (an offline start) when the server
    /// has none: the attempt is in progress from `started_at`.
    pub async fn record_start(&mut self, started_at: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE attempts SET started_at = $1,
               state = CASE WHEN state = 'technical_failure' THEN state ELSE $2 END
             WHERE id = $3 AND started_at IS NULL",
        )
        .bind(started_at)
        .bind(AttemptState::InProgress.as_str())
        .bind(&self.attempt_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the questions opening from a synced log, unless one is
    /// recorded.
    pub async fn record_questions_opened(&mut self, at: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE attempts SET questions_opened_at = $1 WHERE id = $2 AND questions_opened_at IS NULL",
        )
        .bind(at)
        .bind(&self.attempt_id)
        .execute(&mut *self.tx)
        .await
        .map(|_| ())
    }

    /// Sets the attempt's state, unless the organiser closed it
    /// ([`AttemptState::TechnicalFailure`] stays).
    pub async fn set_state(&mut self, state: AttemptState) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE attempts SET state = $1 WHERE id = $2 AND state <> 'technical_failure'")
            .bind(state.as_str())
            .bind(&self.attempt_id)
            .execute(&mut *self.tx)
            .await
            .map(|_| ())
    }

    /// Adds a review flag, kept only if the sync commits.
    pub async fn add_flag(
        &mut self,
        kind: FlagKind,
        detail: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        insert_flag(&mut *self.tx, &self.attempt_id, kind, detail, now).await
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}
