//! Storage: every SQL statement of the server lives in this module.
//!
//! SQLite (one file, WAL) is the embedded default; PostgreSQL serves larger
//! deployments (`Db::open_url("postgres://…")`). Both go through sqlx's
//! `Any` driver, so every query below is written once, in the SQL subset the
//! two share (`$1` placeholders, `ON CONFLICT`, i64/String/bytes columns);
//! only the migrations differ per engine (`migrations/sqlite`,
//! `migrations/postgres`: same tables, BIGINT/BYTEA on PostgreSQL).
//! Handlers never see SQL; they call the typed functions here.

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolOptions;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use vigil_exam::Event;

use crate::flags::FlagKind;
use crate::package::Sealed;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine is behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads (and everything on PostgreSQL).
    pool: AnyPool,
    /// Writes and read-then-write transactions. On a SQLite file this is
    /// its own pool of **one** connection: SQLite has one writer at a time,
    /// and writers racing on several connections wait in its busy handler,
    /// which sleeps in growing steps (up to 100 ms) — measured as batch
    /// latencies of 1–2 s under load. One writer connection makes them wait
    /// in the pool's queue instead, in order, and readers never wait for
    /// writers (WAL). On PostgreSQL and in memory, the same pool as reads.
    writer: AnyPool,
    backend: Backend,
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

/// The columns [`attempt_row`] reads, for `SELECT`s on `attempts`.
const ATTEMPT_COLUMNS: &str =
    "a.id, a.session_id, a.candidate_id, a.state, a.started_at, a.extra_time, a.chain_nonce, \
     a.questions_opened_at";

/// Maps a row of [`ATTEMPT_COLUMNS`], without panicking on a bad column.
fn attempt_row(r: &sqlx::any::AnyRow) -> Result<AttemptRow, sqlx::Error> {
    Ok(AttemptRow {
        id: r.try_get("id")?,
        session_id: r.try_get("session_id")?,
        candidate_id: r.try_get("candidate_id")?,
        state: r.try_get("state")?,
        started_at: r.try_get("started_at")?,
        extra_time: r.try_get::<i64, _>("extra_time")? != 0,
        chain_nonce: r.try_get("chain_nonce")?,
        questions_opened_at: r.try_get("questions_opened_at")?,
    })
}

/// A session's sealed package and its key (`None`: a session created
/// before packages existed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRow {
    pub exam_id: String,
    pub key: [u8; 32],
    pub sealed: Sealed,
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

/// A review flag on an attempt (`tampering`, `late`, `offline_start`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRow {
    pub kind: String,
    pub detail: String,
    pub at: i64,
}

/// What a purge removed (or would remove).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    pub sessions: u64,
    pub attempts: u64,
    pub events: u64,
    pub media: u64,
}

/// A reviewer's decision on an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    pub proctor: String,
    /// `valid` or `incident`.
    pub decision: String,
    pub comment: String,
    pub at: i64,
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    pub async fn open_file(path: &Path) -> anyhow::Result<Db> {
        install_drivers();
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let path = std::path::absolute(path)?;
        let path = path
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("database path {path:?} is not UTF-8"))?;
        // `?` and `#` would end the path in the URL; `%` would be decoded.
        let escaped = path
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        let url = format!("sqlite://{escaped}?mode=rwc");
        let pool = |connections: u32| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(60))
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await
                        .map(|_| ())
                    })
                })
                .connect(&url)
        };
        let writer = pool(1).await?;
        let readers = pool(8).await?;
        Self::migrated(readers, writer, Backend::Sqlite).await
    }

    /// Opens a database from a URL: `postgres://…` (or `postgresql://…`),
    /// `sqlite://PATH` (a file, created if missing) or `sqlite::memory:`.
    pub async fn open_url(url: &str) -> anyhow::Result<Db> {
        install_drivers();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            return Self::migrated(pool.clone(), pool, Backend::Postgres).await;
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path != ":memory:" {
                return Self::open_file(Path::new(path)).await;
            }
        }
        if url.starts_with("sqlite:") {
            return Self::open_memory().await;
        }
        anyhow::bail!(
            "unsupported database URL {url:?}: expected postgres://…, sqlite://PATH or sqlite::memory:"
        )
    }

    /// A private in-memory SQLite database (one connection, so it is one database).
    pub async fn open_memory() -> anyhow::Result<Db> {
        install_drivers();
        let pool = PoolOptions::<Any>::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(|conn, _meta| {
                Box::pin(async move { conn.execute("PRAGMA foreign_keys = ON;").await.map(|_| ()) })
            })
            .connect("sqlite::memory:")
            .await?;
        Self::migrated(pool.clone(), pool, Backend::Sqlite).await
    }

    async fn migrated(pool: AnyPool, writer: AnyPool, backend: Backend) -> anyhow::Result<Db> {
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&writer).await?;
        Ok(Db {
            pool,
            writer,
            backend,
        })
    }

    /// Creates a fresh, empty database named `vigil_<random>` on the
    /// PostgreSQL cluster of `cluster_url` (connecting as that URL's user,
    /// who needs CREATEDB) and opens it migrated. Tests use it to run in
    /// parallel, each on its own database.
    pub async fn open_fresh_postgres(cluster_url: &str) -> anyhow::Result<Db> {
        Self::open_url(&Self::create_fresh_postgres(cluster_url).await?).await
    }

    /// Creates an empty database with a random name on the PostgreSQL
    /// cluster of `cluster_url` and returns its URL (for a server process
    /// the caller starts on it, as the sync bench does).
    pub async fn create_fresh_postgres(cluster_url: &str) -> anyhow::Result<String> {
        use sqlx::Connection;
        install_drivers();
        let name = format!("vigil_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::AnyConnection::connect(cluster_url).await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await?;
        with_database(cluster_url, &name)
    }

    /// The engine behind this handle.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for its connections to end (tests drop
    /// their PostgreSQL database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
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
        .execute(&self.writer)
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

    /// Creates a session with its sealed package and the package key.
    pub async fn create_session(
        &self,
        s: &SessionRow,
        key: &[u8; 32],
        sealed: &Sealed,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (id, exam_id, starts_at, grace_ms, created_at,
                 package_key, package_nonce, package_ciphertext, package_sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&s.id)
        .bind(&s.exam_id)
        .bind(s.starts_at)
        .bind(s.grace_ms)
        .bind(now)
        .bind(&key[..])
        .bind(&sealed.nonce[..])
        .bind(&sealed.ciphertext)
        .bind(&sealed.sha256)
        .execute(&self.writer)
        .await
        .map(|_| ())
    }

    /// The sealed package of a session, with its key.
    pub async fn package(&self, session_id: &str) -> Result<Option<PackageRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT exam_id, package_key, package_nonce, package_ciphertext, package_sha256
             FROM sessions WHERE id = $1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let key: Option<Vec<u8>> = r.get("package_key");
        let nonce: Option<Vec<u8>> = r.get("package_nonce");
        let ciphertext: Option<Vec<u8>> = r.get("package_ciphertext");
        let sha256: Option<String> = r.get("package_sha256");
        let (Some(key), Some(nonce), Some(ciphertext), Some(sha256)) =
            (key, nonce, ciphertext, sha256)
        else {
            return Ok(None);
        };
        let (Ok(key), Ok(nonce)) = (key.try_into(), nonce.try_into()) else {
            return Err(sqlx::Error::Decode(
                "package key or nonce of the wrong length".into(),
            ));
        };
        Ok(Some(PackageRow {
            exam_id: r.get("exam_id"),
            key,
            sealed: Sealed {
                nonce,
                ciphertext,
                sha256,
            },
        }))
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

    /// Sets (or clears) the config key a session requires; `false`: no
    /// such session.
    pub async fn set_kiosk_key(
        &self,
        session_id: &str,
        key: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE sessions SET kiosk_key = $1 WHERE id = $2")
            .bind(key)
            .bind(session_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The config key a session requires (`None`: none, or no such session).
    pub async fn kiosk_key(&self, session_id: &str) -> Result<Option<String>, sqlx::Error> {
        let key: Option<Option<String>> =
            sqlx::query_scalar("SELECT kiosk_key FROM sessions WHERE id = $1")
                .bind(session_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(key.flatten())
    }

    /// The session's copy secret, drawing one with `fresh` if it has none
    /// yet. Two first logins at once agree: only the first write lands, and
    /// both read it back. `None`: no such session.
    pub async fn copy_secret_or(
        &self,
        session_id: &str,
        fresh: impl FnOnce() -> [u8; 32],
    ) -> Result<Option<Vec<u8>>, sqlx::Error> {
        // Read first: after the first login the key is there, and a write
        // would queue behind the sync writer for nothing.
        if let Some(secret) = self.copy_secret_of(&self.pool, session_id).await? {
            return Ok(Some(secret));
        }
        sqlx::query("UPDATE sessions SET copy_secret = $1 WHERE id = $2 AND copy_secret IS NULL")
            .bind(fresh().to_vec())
            .bind(session_id)
            .execute(&self.writer)
            .await?;
        self.copy_secret_of(&self.writer, session_id).await
    }

    /// The session's copy secret (`None`: no such session, or none drawn:
    /// then no candidate was ever given its public half).
    pub async fn copy_secret(&self, session_id: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.copy_secret_of(&self.pool, session_id).await
    }

    async fn copy_secret_of(
        &self,
        pool: &AnyPool,
        session_id: &str,
    ) -> Result<Option<Vec<u8>>, sqlx::Error> {
        let secret: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT copy_secret FROM sessions WHERE id = $1")
                .bind(session_id)
                .fetch_optional(pool)
                .await?;
        Ok(secret.flatten())
    }

    /// Registers a candidate and their single attempt, in one transaction.
    pub async fn add_candidate(
        &self,
        session_id: &str,
        candidate_id: &str,
        code_hash: &str,
        attempt_id: &str,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO candidates (session_id, id, code_hash) VALUES ($1, $2, $3)")
            .bind(session_id)
            .bind(candidate_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO attempts (id, session_id, candidate_id, state, chain_nonce)
             VALUES ($1, $2, $3, 'registered', $4)",
        )
        .bind(attempt_id)
        .bind(session_id)
        .bind(candidate_id)
        .bind(crate::auth::new_nonce())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
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
                 VALUES ($1, $2, $3, 'registered', $4, $5)",
            )
            .bind(&c.attempt_id)
            .bind(session_id)
            .bind(&c.id)
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
        let row = sqlx::query(&format!(
            "SELECT {ATTEMPT_COLUMNS}
             FROM tokens t JOIN attempts a ON a.id = t.attempt_id
             WHERE t.token_hash = $1 AND t.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(attempt_row).transpose()
    }

    /// Records the start of an attempt, once: `false` when it had already
    /// started (the update is atomic, so two racing starts cannot both win).
    pub async fn start_attempt(&self, attempt_id: &str, now: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE attempts SET started_at = $1, state = 'in_progress'
             WHERE id = $2 AND started_at IS NULL",
        )
        .bind(now)
        .bind(attempt_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
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
        let row = sqlx::query(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a WHERE a.id = $1"
        ))
        .bind(attempt_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(attempt_row).transpose()
    }

    /// The attempts of a session, by candidate id.
    pub async fn session_attempts(&self, session_id: &str) -> Result<Vec<AttemptRow>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a
             WHERE a.session_id = $1 ORDER BY a.candidate_id"
        ))
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_row).collect()
    }

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

    /// Deletes the sessions scheduled to start before `cutoff` with
    /// everything of theirs (candidates, attempts, tokens, events, media
    /// records, flags, decisions, proctor assignments), in one transaction;
    /// with `dry_run` counts only. Expired proctor logins go too. Exams and
    /// proctor accounts stay. The media files are swept separately
    /// ([`Db::media_hashes`]), after the records are gone.
    pub async fn purge_sessions_before(
        &self,
        cutoff: i64,
        now: i64,
        dry_run: bool,
    ) -> Result<PurgeCounts, sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        const OLD_ATTEMPTS: &str = "SELECT a.id FROM attempts a JOIN sessions s \
                                    ON s.id = a.session_id WHERE s.starts_at < $1";
        let count =
            |table: &str, filter: &str| format!("SELECT COUNT(*) FROM {table} WHERE {filter}");
        let by_attempt = format!("attempt_id IN ({OLD_ATTEMPTS})");
        let mut counts = PurgeCounts::default();
        for (slot, table, filter) in [
            (
                &mut counts.sessions,
                "sessions",
                "starts_at < $1".to_owned(),
            ),
            (
                &mut counts.attempts,
                "attempts",
                format!("id IN ({OLD_ATTEMPTS})"),
            ),
            (&mut counts.events, "events", by_attempt.clone()),
            (&mut counts.media, "media", by_attempt.clone()),
        ] {
            let n: i64 = sqlx::query_scalar(&count(table, &filter))
                .bind(cutoff)
                .fetch_one(&mut *tx)
                .await?;
            *slot = n as u64;
        }
        if dry_run {
            return Ok(counts);
        }
        for table in ["decisions", "flags", "media", "events", "tokens"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE {by_attempt}"))
                .bind(cutoff)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(&format!(
            "DELETE FROM attempts WHERE id IN ({OLD_ATTEMPTS})"
        ))
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        let old_sessions = "SELECT id FROM sessions WHERE starts_at < $1";
        for table in ["proctor_sessions", "candidates"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE session_id IN ({old_sessions})"
            ))
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM sessions WHERE starts_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM proctor_logins WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(counts)
    }

    /// Every media hash some attempt still refers to.
    pub async fn media_hashes(&self) -> Result<std::collections::HashSet<String>, sqlx::Error> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT DISTINCT sha256 FROM media")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
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

    /// Bytes of the finished media an attempt stored (for the quota).
    pub async fn attempt_media_bytes(&self, attempt_id: &str) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM media WHERE attempt_id = $1",
        )
        .bind(attempt_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Ends a proctor login (logout): its cookie no longer opens anything.
    pub async fn delete_proctor_login(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM proctor_logins WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await
            .map(|_| ())
    }

    /// Ends a candidate's login (sign-out): the token no longer opens anything.
    pub async fn delete_token(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM tokens WHERE token_hash = $1")
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
        Ok(n as u64)
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
        let rows =
            sqlx::query("SELECT kind, detail, at FROM flags WHERE attempt_id = $1 ORDER BY id")
                .bind(attempt_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| FlagRow {
                kind: r.get("kind"),
                detail: r.get("detail"),
                at: r.get("at"),
            })
            .collect())
    }

    /// When each batch of the attempt's events arrived: `(stored_at, first
    /// seq, last seq, count)`, oldest first — the sync history a reviewer
    /// reads (a batch is stored in one transaction, with one time).
    pub async fn sync_history(
        &self,
        attempt_id: &str,
    ) -> Result<Vec<(i64, u64, u64, u64)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT stored_at, MIN(seq) AS first_seq, MAX(seq) AS last_seq, COUNT(*) AS n
             FROM events WHERE attempt_id = $1 GROUP BY stored_at ORDER BY stored_at",
        )
        .bind(attempt_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.get::<i64, _>("stored_at"),
                    r.get::<i64, _>("first_seq") as u64,
                    r.get::<i64, _>("last_seq") as u64,
                    r.get::<i64, _>("n") as u64,
                )
            })
            .collect())
    }

    /// Records a reviewer's decision on an attempt.
    pub async fn insert_decision(
        &self,
        attempt_id: &str,
        proctor: &str,
        decision: &str,
        comment: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO decisions (attempt_id, proctor, decision, comment, at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(attempt_id)
        .bind(proctor)
        .bind(decision)
        .bind(comment)
        .bind(now)
        .execute(&self.writer)
        .await
        .map(|_| ())
    }

    /// The decisions on an attempt, oldest first.
    pub async fn decisions(&self, attempt_id: &str) -> Result<Vec<DecisionRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT proctor, decision, comment, at FROM decisions
             WHERE attempt_id = $1 ORDER BY id",
        )
        .bind(attempt_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DecisionRow {
                proctor: r.get("proctor"),
                decision: r.get("decision"),
                comment: r.get("comment"),
                at: r.get("at"),
            })
            .collect())
    }

    /// The media blobs the attempt completed.
    pub async fn attempt_media(
        &self,
        attempt_id: &str,
    ) -> Result<std::collections::HashSet<String>, sqlx::Error> {
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
        Ok(size.map(|s| s as u64))
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
        .bind(size as i64)
        .bind(now)
        .execute(&self.writer)
        .await
        .map(|_| ())
    }
}

/// `url` (`postgres://user@host:port/db?params`) with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let Some(scheme_end) = base.find("://") else {
        anyhow::bail!("not a database URL: {url:?}");
    };
    let authority_end = base[scheme_end + 3..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + 3 + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// Registers the SQLite and PostgreSQL drivers of `sqlx::any` (idempotent).
fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

fn decode_event(json: &str) -> Result<Event, sqlx::Error> {
    serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

async fn insert_flag<'e, E>(
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

    /// `(seq, hash)` of the stored events with `from <= seq <= to`, in order.
    pub async fn hashes(&mut self, from: u64, to: u64) -> Result<Vec<(u64, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT seq, hash FROM events WHERE attempt_id = $1 AND seq >= $2 AND seq <= $3
             ORDER BY seq",
        )
        .bind(&self.attempt_id)
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get::<i64, _>("seq") as u64, r.get("hash")))
            .collect())
    }

    /// Bytes of the attempt's stored events (for the quota).
    pub async fn event_bytes(&mut self) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar("SELECT event_bytes FROM attempts WHERE id = $1")
            .bind(&self.attempt_id)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
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
            .bind(e.seq as i64)
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
            "UPDATE attempts SET started_at = $1, state = 'in_progress'
             WHERE id = $2 AND started_at IS NULL",
        )
        .bind(started_at)
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

    /// Sets the attempt's state column.
    pub async fn set_state(&mut self, state: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE attempts SET state = $1 WHERE id = $2")
            .bind(state)
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

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn with_database_replaces_only_the_database() {
        let cases = [
            ("postgres://u@h:5/postgres", "postgres://u@h:5/t"),
            ("postgres://u@h:5", "postgres://u@h:5/t"),
            (
                "postgres://u:p@h/db?sslmode=disable",
                "postgres://u:p@h/t?sslmode=disable",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(with_database(url, "t").unwrap(), want, "{url}");
        }
        assert!(with_database("nonsense", "t").is_err());
    }
}
