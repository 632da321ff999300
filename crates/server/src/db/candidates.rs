//! Candidates and their logins: registration (a candidate and its single
//! attempt, written together), the lookup a login starts from, and the
//! session tokens a login hands out.
//!
//! Tokens live here rather than with attempts because they are the
//! candidate's credential; what a token grants is an [`AttemptRow`].

use super::attempts::{AttemptState, ATTEMPT_COLUMNS};
use super::{AttemptRow, Db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CandidateRow {
    pub session_id: String,
    pub candidate_id: String,
    pub code_hash: String,
    pub attempt_id: String,
}

/// A candidate to register: id, argon2 hash of the code, attempt id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCandidate {
    pub id: String,
    pub code_hash: String,
    pub attempt_id: String,
    /// The extra-time accommodation (tiers-temps).
    pub extra_time: bool,
}

impl Db {
    /// Registers a candidate and their single attempt, in one transaction.
    pub async fn add_candidate(
        &self,
        session_id: &str,
        candidate_id: &str,
        code_hash: &str,
        attempt_id: &str,
    ) -> Result<(), sqlx::Error> {
        self.add_candidates(
            session_id,
            &[NewCandidate {
                id: candidate_id.to_owned(),
                code_hash: code_hash.to_owned(),
                attempt_id: attempt_id.to_owned(),
                extra_time: false,
            }],
        )
        .await
    }

    /// Registers many candidates and their attempts in one transaction:
    /// all of them or, on any error, none.
    pub async fn add_candidates(
        &self,
        session_id: &str,
        candidates: &[NewCandidate],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        for c in candidates {
            sqlx::query("INSERT INTO candidates (session_id, id, code_hash) VALUES ($1, $2, $3)")
                .bind(session_id)
                .bind(&c.id)
                .bind(&c.code_hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO attempts (id, session_id, candidate_id, state, chain_nonce, extra_time)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&c.attempt_id)
            .bind(session_id)
            .bind(&c.id)
            .bind(AttemptState::Registered.as_str())
            .bind(crate::auth::new_nonce())
            .bind(i64::from(c.extra_time))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Ids of the candidates already registered in a session.
    pub async fn candidate_ids(&self, session_id: &str) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM candidates WHERE session_id = $1 ORDER BY id")
            .bind(session_id)
            .fetch_all(&self.pool)
            .await
    }

    pub async fn candidate(
        &self,
        session_id: &str,
        candidate_id: &str,
    ) -> Result<Option<CandidateRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT c.session_id, c.id AS candidate_id, c.code_hash, a.id AS attempt_id
             FROM candidates c JOIN attempts a
               ON a.session_id = c.session_id AND a.candidate_id = c.id
             WHERE c.session_id = $1 AND c.id = $2",
        )
        .bind(session_id)
        .bind(candidate_id)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn insert_token(
        &self,
        token_hash: &str,
        attempt_id: &str,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO tokens (token_hash, attempt_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(attempt_id)
        .bind(issued_at)
        .bind(expires_at)
        .execute(&self.writer)
        .await
        .map(|_| ())
    }

    /// The attempt a token grants, if the token exists and has not expired at `now`.
    pub async fn attempt_for_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<AttemptRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {ATTEMPT_COLUMNS}
             FROM tokens t JOIN attempts a ON a.id = t.attempt_id
             WHERE t.token_hash = $1 AND t.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
    }

    /// Ends a candidate's login (sign-out): the token no longer opens anything.
    pub async fn delete_token(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await
            .map(|_| ())
    }
}
