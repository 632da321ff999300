//! What the review stores: proctor accounts, their sessions and login
//! cookies; the review flags the server raises on an attempt; and the
//! reviewers' decisions.
//!
//! Flags are here, not with the sync, because they are written for the
//! reviewer by several paths (a sync, inside its transaction or after a
//! refused one, an upload, a copy import) and read only by the review and
//! the exports; [`insert_flag`] is the one statement all of them share.

use sqlx::Any;

use super::Db;
use crate::flags::FlagKind;
use crate::sanctions::{Checked, Decision};

/// A review flag on an attempt (`tampering`, `late`, `offline_start`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct FlagRow {
    pub kind: String,
    pub detail: String,
    pub at: i64,
}

/// A reviewer's decision on an attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DecisionRow {
    pub proctor: String,
    /// One of [`crate::sanctions::Decision`]'s words.
    pub decision: String,
    /// The reason given.
    pub comment: String,
    pub at: i64,
    /// For `excluded`: the first instant the person may sit again.
    pub excluded_until: Option<i64>,
}

impl DecisionRow {
    /// The decision, `None` for a word this version does not know (a
    /// database written by a later one): shown as stored, never a panic.
    pub fn kind(&self) -> Option<Decision> {
        Decision::parse(&self.decision)
    }
}

/// An exclusion in force on a person, from the decision on one attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExclusionRow {
    pub attempt_id: String,
    pub session_id: String,
    pub until: i64,
    pub proctor: String,
    pub reason: String,
    pub at: i64,
}

/// A line of the Ministry's list: an attempt whose latest decision refers
/// it (`excluded` or `reported`), with the candidate and the person.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReferralRow {
    pub attempt_id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub person_id: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub email: Option<String>,
    pub decision: String,
    pub excluded_until: Option<i64>,
    pub comment: String,
    pub proctor: String,
    pub at: i64,
}

/// Adds a review flag through `executor`: the pool, or a sync's transaction.
pub(super) async fn insert_flag<'e, E>(
    executor: E,
    attempt_id: &str,
    kind: FlagKind,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query("INSERT INTO flags (attempt_id, kind, detail, at) VALUES ($1, $2, $3, $4)")
        .bind(attempt_id)
        .bind(kind.as_str())
        .bind(detail)
        .bind(now)
        .execute(executor)
        .await
        .map(|_| ())
}

impl Db {
    /// Creates a proctor account if `name` is new (`true`), and assigns
    /// the session to the proctor either way, in one transaction.
    pub async fn add_proctor(
        &self,
        name: &str,
        password_hash: &str,
        session_id: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        let created = sqlx::query(
            "INSERT INTO proctors (name, password_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        sqlx::query(
            "INSERT INTO proctor_sessions (proctor, session_id) VALUES ($1, $2)
             ON CONFLICT (proctor, session_id) DO NOTHING",
        )
        .bind(name)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The stored password hash of a proctor.
    pub async fn proctor_password_hash(&self, name: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT password_hash FROM proctors WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Records a proctor's login cookie (its hash) until `expires_at`.
    pub async fn insert_proctor_login(
        &self,
        token_hash: &str,
        proctor: &str,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO proctor_logins (token_hash, proctor, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(proctor)
        .bind(expires_at)
        .execute(&self.writer)
        .await
        .map(|_| ())
    }

    /// The proctor a login cookie belongs to, if it has not expired at `now`.
    pub async fn proctor_for_login(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT proctor FROM proctor_logins WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
    }

    /// Ends a proctor login (logout): its cookie no longer opens anything.
    pub async fn delete_proctor_login(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM proctor_logins WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await
            .map(|_| ())
    }

    /// The sessions assigned to a proctor, by id.
    pub async fn proctor_sessions(&self, proctor: &str) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT session_id FROM proctor_sessions WHERE proctor = $1 ORDER BY session_id",
        )
        .bind(proctor)
        .fetch_all(&self.pool)
        .await
    }

    /// Adds a review flag outside any sync transaction (a refused batch
    /// stores nothing, but its tampering flag must stay).
    pub async fn add_flag(
        &self,
        attempt_id: &str,
        kind: FlagKind,
        detail: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        insert_flag(&self.writer, attempt_id, kind, detail, now).await
    }

    /// The review flags of an attempt, oldest first.
    pub async fn flags(&self, attempt_id: &str) -> Result<Vec<FlagRow>, sqlx::Error> {
        sqlx::query_as("SELECT kind, detail, at FROM flags WHERE attempt_id = $1 ORDER BY id")
            .bind(attempt_id)
            .fetch_all(&self.pool)
            .await
    }

    /// Records a reviewer's decision on an attempt, in one transaction with
    /// the exclusion it stands for: the attempt's earlier exclusion, if
    /// any, is lifted (the latest decision counts), and an `excluded`
    /// decision excludes `person` (the caller checked there is one).
    pub async fn insert_decision(
        &self,
        attempt_id: &str,
        session_id: &str,
        proctor: &str,
        decision: &Checked,
        person: Option<&str>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO decisions (attempt_id, proctor, decision, comment, at, excluded_until)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(attempt_id)
        .bind(proctor)
        .bind(decision.decision.as_str())
        .bind(&decision.reason)
        .bind(now)
        .bind(decision.excluded_until)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM exclusions WHERE attempt_id = $1")
            .bind(attempt_id)
            .execute(&mut *tx)
            .await?;
        if let (Some(until), Some(person)) = (decision.excluded_until, person) {
            sqlx::query(
                "INSERT INTO exclusions
                   (attempt_id, person_id, session_id, until, proctor, reason, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(attempt_id)
            .bind(person)
            .bind(session_id)
            .bind(until)
            .bind(proctor)
            .bind(&decision.reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// The decisions on an attempt, oldest first.
    pub async fn decisions(&self, attempt_id: &str) -> Result<Vec<DecisionRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT proctor, decision, comment, at, excluded_until FROM decisions
             WHERE attempt_id = $1 ORDER BY id",
        )
        .bind(attempt_id)
        .fetch_all(&self.pool)
        .await
    }

    /// The person registered for an attempt, if the roster named one.
    pub async fn person_of_attempt(&self, attempt_id: &str) -> Result<Option<String>, sqlx::Error> {
        let found: Option<Option<String>> = sqlx::query_scalar(
            "SELECT c.person_id FROM attempts a JOIN candidates c
               ON c.session_id = a.session_id AND c.id = a.candidate_id
             WHERE a.id = $1",
        )
        .bind(attempt_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.flatten())
    }

    /// The exclusions of a person still in force at `at` (ending later),
    /// the longest first.
    pub async fn exclusions_at(
        &self,
        person_id: &str,
        at: i64,
    ) -> Result<Vec<ExclusionRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT attempt_id, session_id, until, proctor, reason, at FROM exclusions
             WHERE person_id = $1 AND until > $2 ORDER BY until DESC, attempt_id",
        )
        .bind(person_id)
        .bind(at)
        .fetch_all(&self.pool)
        .await
    }

    /// The Ministry's list: every attempt whose latest decision is
    /// `excluded` or `reported`, in the order decided.
    pub async fn referrals(&self) -> Result<Vec<ReferralRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT d.attempt_id, a.session_id, a.candidate_id, c.person_id,
                    p.family_name, p.given_name, p.email,
                    d.decision, d.excluded_until, d.comment, d.proctor, d.at
             FROM decisions d
             JOIN attempts a ON a.id = d.attempt_id
             JOIN candidates c ON c.session_id = a.session_id AND c.id = a.candidate_id
             LEFT JOIN persons p ON p.id = c.person_id
             WHERE d.id = (SELECT MAX(d2.id) FROM decisions d2 WHERE d2.attempt_id = d.attempt_id)
               AND d.decision IN ('excluded', 'reported')
             ORDER BY d.at, d.attempt_id",
        )
        .fetch_all(&self.pool)
        .await
    }
}
