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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCandidate {
    pub id: String,
    pub code_hash: String,
    pub attempt_id: String,
    /// The extra-time accommodation (tiers-temps).
    pub extra_time: bool,
    /// The person registered ([`PersonRow::id`]), if the roster names one.
    pub person_id: Option<String>,
}

/// A person: who sits the tests, across sessions and years, known by the
/// organiser's registration number.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonRow {
    pub id: String,
    pub family_name: String,
    pub given_name: String,
    pub email: String,
}

/// What a roster import writes, in one transaction: the persons (new, or
/// their names and email updated), the new candidates, the existing
/// candidates linked to a person for the first time, and the exclusions
/// the operator overrode.
#[derive(Debug, Clone, Default)]
pub struct RosterWrite {
    pub persons: Vec<PersonRow>,
    pub candidates: Vec<NewCandidate>,
    /// `(candidate id, person id)` of registered candidates without a person.
    pub links: Vec<(String, String)>,
    pub overrides: Vec<Override>,
}

/// A registration of an excluded person, forced with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub person_id: String,
    pub excluded_until: i64,
    pub reason: String,
}

/// A registration moved to another session ([`Db::move_candidate`]).
#[derive(Debug, Clone)]
pub struct Move {
    pub person_id: String,
    pub from_session: String,
    pub from_candidate: String,
    pub from_attempt: String,
    pub to_session: String,
    pub new: NewCandidate,
    pub precheck_at: Option<i64>,
    pub forced_reason: Option<String>,
}

/// Registers one candidate and its attempt inside `tx`.
async fn insert_candidate(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    session_id: &str,
    c: &NewCandidate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO candidates (session_id, id, code_hash, person_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(session_id)
    .bind(&c.id)
    .bind(&c.code_hash)
    .bind(c.person_id.as_deref())
    .execute(&mut **tx)
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A candidate as a re-import compares it: code hash, person, extra time.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RegisteredCandidate {
    pub id: String,
    pub code_hash: String,
    pub person_id: Option<String>,
    pub extra_time: i64,
}

/// A person's row of a session's candidates (the session page, the
/// convocations): the candidate, and the person if the roster named one.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CandidatePerson {
    pub candidate_id: String,
    pub person_id: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub email: Option<String>,
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
                person_id: None,
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
        let write = RosterWrite {
            candidates: candidates.to_vec(),
            ..RosterWrite::default()
        };
        self.write_roster(session_id, &write, 0).await
    }

    /// Writes a checked roster ([`crate::roster::import`]) in one
    /// transaction: all of it or, on any error, nothing.
    pub async fn write_roster(
        &self,
        session_id: &str,
        write: &RosterWrite,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        for p in &write.persons {
            sqlx::query(
                "INSERT INTO persons (id, family_name, given_name, email, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET family_name = excluded.family_name,
                   given_name = excluded.given_name, email = excluded.email,
                   updated_at = excluded.updated_at",
            )
            .bind(&p.id)
            .bind(&p.family_name)
            .bind(&p.given_name)
            .bind(&p.email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for (candidate, person) in &write.links {
            sqlx::query(
                "UPDATE candidates SET person_id = $1
                 WHERE session_id = $2 AND id = $3 AND person_id IS NULL",
            )
            .bind(person)
            .bind(session_id)
            .bind(candidate)
            .execute(&mut *tx)
            .await?;
        }
        for o in &write.overrides {
            sqlx::query(
                "INSERT INTO registration_overrides
                   (session_id, person_id, excluded_until, reason, at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(session_id)
            .bind(&o.person_id)
            .bind(o.excluded_until)
            .bind(&o.reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for c in &write.candidates {
            insert_candidate(&mut tx, session_id, c).await?;
        }
        tx.commit().await
    }

    /// Moves a person's registration, in one transaction: the old attempt
    /// closed as [`AttemptState::TechnicalFailure`] (its data kept), the
    /// new candidate and attempt registered, the move recorded.
    pub async fn move_candidate(&self, m: &Move, now: i64) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE attempts SET state = $1 WHERE id = $2")
            .bind(AttemptState::TechnicalFailure.as_str())
            .bind(&m.from_attempt)
            .execute(&mut *tx)
            .await?;
        insert_candidate(&mut tx, &m.to_session, &m.new).await?;
        sqlx::query(
            "INSERT INTO moves (person_id, from_session, from_candidate, from_attempt,
               to_session, to_candidate, precheck_at, forced_reason, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&m.person_id)
        .bind(&m.from_session)
        .bind(&m.from_candidate)
        .bind(&m.from_attempt)
        .bind(&m.to_session)
        .bind(&m.new.id)
        .bind(m.precheck_at)
        .bind(m.forced_reason.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// The moves out of a session: `(person, to session, to candidate,
    /// forced reason)`, in order.
    pub async fn moves_from(
        &self,
        session_id: &str,
    ) -> Result<Vec<(String, String, String, Option<String>)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT person_id, to_session, to_candidate, forced_reason FROM moves
             WHERE from_session = $1 ORDER BY id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
    }

    /// The candidates registered in a session, as a re-import compares them.
    pub async fn registered_candidates(
        &self,
        session_id: &str,
    ) -> Result<Vec<RegisteredCandidate>, sqlx::Error> {
        sqlx::query_as(
            "SELECT c.id, c.code_hash, c.person_id, a.extra_time
             FROM candidates c JOIN attempts a
               ON a.session_id = c.session_id AND a.candidate_id = c.id
             WHERE c.session_id = $1 ORDER BY c.id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
    }

    /// A session's candidates with their persons, by candidate id.
    pub async fn candidate_persons(
        &self,
        session_id: &str,
    ) -> Result<Vec<CandidatePerson>, sqlx::Error> {
        sqlx::query_as(
            "SELECT c.id AS candidate_id, c.person_id, p.family_name, p.given_name, p.email
             FROM candidates c LEFT JOIN persons p ON p.id = c.person_id
             WHERE c.session_id = $1 ORDER BY c.id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn person(&self, id: &str) -> Result<Option<PersonRow>, sqlx::Error> {
        sqlx::query_as("SELECT id, family_name, given_name, email FROM persons WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The registrations of excluded persons forced into a session:
    /// `(person, excluded until, reason, at)`.
    pub async fn overrides(
        &self,
        session_id: &str,
    ) -> Result<Vec<(String, i64, String, i64)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT person_id, excluded_until, reason, at FROM registration_overrides
             WHERE session_id = $1 ORDER BY id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
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
