//! Storage: every SQL statement of the server lives in this module.
//!
//! SQLite (one file, WAL) is the embedded default. Queries are plain
//! `sqlx::query` with bound parameters, written in the SQL subset SQLite and
//! PostgreSQL share, so the PostgreSQL backend of larger deployments can
//! reuse them. Handlers never see SQL; they call the typed functions here.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle on the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub exam_id: String,
    pub starts_at: i64,
    pub grace_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateRow {
    pub session_id: String,
    pub candidate_id: String,
    pub code_hash: String,
    pub attempt_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    pub id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub state: String,
    pub started_at: Option<i64>,
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    pub async fn open_file(path: &Path) -> anyhow::Result<Db> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Self::migrated(pool).await
    }

    /// Opens a database from a URL (`sqlite://path` or `sqlite::memory:`).
    pub async fn open_url(url: &str) -> anyhow::Result<Db> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path != ":memory:" {
                return Self::open_file(Path::new(path)).await;
            }
        }
        if url.starts_with("sqlite:") {
            return Self::open_memory().await;
        }
        anyhow::bail!("unsupported database URL {url:?}: expected sqlite://PATH or sqlite::memory:")
    }

    /// A private in-memory database (one connection, so it is one database).
    pub async fn open_memory() -> anyhow::Result<Db> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> anyhow::Result<Db> {
        MIGRATOR.run(&pool).await?;
        Ok(Db { pool })
    }

    /// A trivial round trip: the storage check of `/api/health`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Stores an exam definition (already validated by the engine);
    /// importing the same id again replaces it.
    pub async fn upsert_exam(
        &self,
        id: &str,
        title: &str,
        definition_json: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO exams (id, title, definition_json, imported_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title,
                 definition_json = excluded.definition_json, imported_at = excluded.imported_at",
        )
        .bind(id)
        .bind(title)
        .bind(definition_json)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The stored JSON definition of an exam.
    pub async fn exam_json(&self, id: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT definition_json FROM exams WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn create_session(&self, s: &SessionRow, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (id, exam_id, starts_at, grace_ms, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id)
        .bind(&s.exam_id)
        .bind(s.starts_at)
        .bind(s.grace_ms)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    pub async fn session(&self, id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        let row =
            sqlx::query("SELECT id, exam_id, starts_at, grace_ms FROM sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| SessionRow {
            id: r.get("id"),
            exam_id: r.get("exam_id"),
            starts_at: r.get("starts_at"),
            grace_ms: r.get("grace_ms"),
        }))
    }

    /// Registers a candidate and their single attempt, in one transaction.
    pub async fn add_candidate(
        &self,
        session_id: &str,
        candidate_id: &str,
        code_hash: &str,
        attempt_id: &str,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO candidates (session_id, id, code_hash) VALUES ($1, $2, $3)")
            .bind(session_id)
            .bind(candidate_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO attempts (id, session_id, candidate_id, state) VALUES ($1, $2, $3, 'registered')",
        )
        .bind(attempt_id)
        .bind(session_id)
        .bind(candidate_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub async fn candidate(
        &self,
        session_id: &str,
        candidate_id: &str,
    ) -> Result<Option<CandidateRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT c.session_id, c.id, c.code_hash, a.id AS attempt_id
             FROM candidates c JOIN attempts a
               ON a.session_id = c.session_id AND a.candidate_id = c.id
             WHERE c.session_id = $1 AND c.id = $2",
        )
        .bind(session_id)
        .bind(candidate_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| CandidateRow {
            session_id: r.get("session_id"),
            candidate_id: r.get("id"),
            code_hash: r.get("code_hash"),
            attempt_id: r.get("attempt_id"),
        }))
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
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The attempt a token grants, if the token exists and has not expired at `now`.
    pub async fn attempt_for_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<AttemptRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT a.id, a.session_id, a.candidate_id, a.state, a.started_at
             FROM tokens t JOIN attempts a ON a.id = t.attempt_id
             WHERE t.token_hash = $1 AND t.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| AttemptRow {
            id: r.get("id"),
            session_id: r.get("session_id"),
            candidate_id: r.get("candidate_id"),
            state: r.get("state"),
            started_at: r.get("started_at"),
        }))
    }
}
