//! Attempts: the one row per candidate that the start, the sync and the
//! review all read, and the state it is in.
//!
//! The `state` column is TEXT (the migrations store the word); in Rust it is
//! [`AttemptState`], so a typo cannot be written and a value no version of
//! the server writes is a decode error naming it rather than a string that
//! matches nothing. The words are the API's too (`AttemptView.state`, the
//! results CSV, `attempt show`), unchanged.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::Db;

/// Where an attempt stands in the server's records. The engine's state
/// machine (`vigil_exam`) has more steps; the server records only those it
/// witnesses: a registration, a start (online, or offline as seen in a
/// synced log), a submission in a synced log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    /// Registered with its candidate; not started.
    Registered,
    /// Started: the server released the key, or a synced log shows an
    /// offline start.
    InProgress,
    /// A synced (or imported) log holds the submission.
    Submitted,
    /// Closed by the organiser after a technical failure, the candidate
    /// moved to another session (`candidates move`): its data stays, it
    /// cannot start or sign in again, and no later sync changes the state.
    TechnicalFailure,
}

impl AttemptState {
    /// Every state, in the order an attempt goes through them.
    pub const ALL: [AttemptState; 4] = [
        AttemptState::Registered,
        AttemptState::InProgress,
        AttemptState::Submitted,
        AttemptState::TechnicalFailure,
    ];

    /// The stored word, also the one the API and the exports show.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Registered => "registered",
            AttemptState::InProgress => "in_progress",
            AttemptState::Submitted => "submitted",
            AttemptState::TechnicalFailure => "technical_failure",
        }
    }
}

impl fmt::Display for AttemptState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored state that is none of [`AttemptState`]'s words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown attempt state {0:?} (expected registered, in_progress, submitted or technical_failure)"
)]
pub struct UnknownAttemptState(pub String);

impl FromStr for AttemptState {
    type Err = UnknownAttemptState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttemptState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownAttemptState(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    pub id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub state: AttemptState,
    pub started_at: Option<i64>,
    /// The extra-time accommodation (the exam's ratio) applies.
    pub extra_time: bool,
    /// The nonce of the attempt's chain genesis (`None`: registered before
    /// version 6, its log starts from the zero genesis).
    pub chain_nonce: Option<String>,
    /// When the questions opened, as the server recorded it.
    pub questions_opened_at: Option<i64>,
}

impl AttemptRow {
    /// The `prev_hash` of the attempt's first event.
    pub fn genesis(&self) -> String {
        match &self.chain_nonce {
            Some(nonce) => vigil_exam::attempt_genesis(&self.id, nonce),
            None => vigil_exam::GENESIS_HASH.to_owned(),
        }
    }
}

/// The columns [`AttemptRow`] is read from, for `SELECT`s on `attempts a`.
pub(super) const ATTEMPT_COLUMNS: &str =
    "a.id, a.session_id, a.candidate_id, a.state, a.started_at, a.extra_time, a.chain_nonce, \
     a.questions_opened_at";

/// By hand rather than derived: `extra_time` is an INTEGER 0/1 on both
/// engines, and `state` a word to check.
impl FromRow<'_, AnyRow> for AttemptRow {
    fn from_row(r: &AnyRow) -> Result<Self, sqlx::Error> {
        let state: String = r.try_get("state")?;
        Ok(AttemptRow {
            id: r.try_get("id")?,
            session_id: r.try_get("session_id")?,
            candidate_id: r.try_get("candidate_id")?,
            state: state.parse().map_err(|e| sqlx::Error::ColumnDecode {
                index: "state".into(),
                source: Box::new(e),
            })?,
            started_at: r.try_get("started_at")?,
            extra_time: r.try_get::<i64, _>("extra_time")? != 0,
            chain_nonce: r.try_get("chain_nonce")?,
            questions_opened_at: r.try_get("questions_opened_at")?,
        })
    }
}

impl Db {
    /// Records the start of an attempt, once: `false` when it had already
    /// started (the update is atomic, so two racing starts cannot both win).
    pub async fn start_attempt(&self, attempt_id: &str, now: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE attempts SET started_at = $1, state = $2 WHERE id = $3 AND started_at IS NULL",
        )
        .bind(now)
        .bind(AttemptState::InProgress.as_str())
        .bind(attempt_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the questions opening at `at` unless one is recorded; the
    /// recorded instant either way (`None`: no such attempt).
    pub async fn record_questions_opened(
        &self,
        attempt_id: &str,
        at: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query(
            "UPDATE attempts SET questions_opened_at = $1 WHERE id = $2 AND questions_opened_at IS NULL",
        )
        .bind(at)
        .bind(attempt_id)
        .execute(&self.writer)
        .await?;
        let at: Option<Option<i64>> =
            sqlx::query_scalar("SELECT questions_opened_at FROM attempts WHERE id = $1")
                .bind(attempt_id)
                .fetch_optional(&self.writer)
                .await?;
        Ok(at.flatten())
    }

    /// Sets an attempt's extra-time accommodation (the exam's ratio).
    pub async fn set_extra_time(&self, attempt_id: &str, on: bool) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE attempts SET extra_time = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(attempt_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The attempt with this id.
    pub async fn attempt(&self, attempt_id: &str) -> Result<Option<AttemptRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a WHERE a.id = $1"
        ))
        .bind(attempt_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// The attempts of a session, by candidate id.
    pub async fn session_attempts(&self, session_id: &str) -> Result<Vec<AttemptRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a
             WHERE a.session_id = $1 ORDER BY a.candidate_id"
        ))
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_the_words_they_store() {
        for state in AttemptState::ALL {
            assert_eq!(state.as_str().parse::<AttemptState>(), Ok(state));
            assert_eq!(state.to_string(), state.as_str());
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::json!(state.as_str())
            );
        }
        assert_eq!(
            [
                "registered",
                "in_progress",
                "submitted",
                "technical_failure"
            ],
            AttemptState::ALL.map(AttemptState::as_str)
        );
        let err = "started".parse::<AttemptState>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown attempt state \"started\" (expected registered, in_progress, submitted or technical_failure)"
        );
    }

    #[tokio::test]
    async fn an_unknown_stored_state_is_an_error_naming_it() {
        let db = Db::open_memory().await.unwrap();
        // A row no version of the server writes (the foreign keys off, so
        // the attempt needs no session).
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&db.writer)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO attempts (id, session_id, candidate_id, state) \
             VALUES ('att-x', 's', 'c', 'started')",
        )
        .execute(&db.writer)
        .await
        .unwrap();
        let err = db.attempt("att-x").await.unwrap_err().to_string();
        assert!(
            err.contains("state") && err.contains("unknown attempt state \"started\""),
            "{err}"
        );
    }
}
