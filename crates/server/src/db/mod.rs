//! Storage: every SQL statement of the server lives under this module.
//!
//! SQLite (one file, WAL) is the embedded default; PostgreSQL serves larger
//! deployments (`Db::open_url("postgres://…")`). Both go through sqlx's
//! `Any` driver, so every query is written once, in the SQL subset the two
//! share (`$1` placeholders, `ON CONFLICT`, i64/String/bytes columns); only
//! the migrations differ per engine (`migrations/sqlite`,
//! `migrations/postgres`: same tables, BIGINT/BYTEA on PostgreSQL).
//! Handlers never see SQL; they call the typed methods of [`Db`].
//!
//! This file holds the handle itself (opening, the two pools, migrations)
//! and what the areas share; the methods are split by what they store, one
//! `impl Db` block per file:
//!
//! | file | tables | what |
//! | --- | --- | --- |
//! | `sessions.rs` | `exams`, `sessions` | exams, sessions, sealed packages, kiosk and copy keys |
//! | `candidates.rs` | `candidates`, `tokens` | registration, candidate logins |
//! | `attempts.rs` | `attempts` | the attempt row and its [`AttemptState`] |
//! | `sync.rs` | `events` | the stored logs, one sync's transaction ([`SyncTx`]) |
//! | `media.rs` | `media` | the blobs each attempt completed |
//! | `review.rs` | `proctors`, `proctor_*`, `flags`, `decisions` | reviewers and what they read |
//! | `purge.rs` | all of a session | retention |
//!
//! Rows are read without panicking: into `#[derive(sqlx::FromRow)]`
//! structs with `query_as`, or with `try_get`, so a column of an unexpected
//! type or value (an unknown attempt state, a key of the wrong length) is a
//! `sqlx::Error` the caller answers with, never a panic in a handler.

mod attempts;
mod candidates;
mod mails;
mod media;
mod purge;
mod review;
mod sessions;
mod sync;

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolOptions;
use sqlx::{Any, AnyPool, Executor};

pub use attempts::{AttemptRow, AttemptState, UnknownAttemptState};
pub use candidates::{
    CandidatePerson, CandidateRow, Move, NewCandidate, Override, PersonRow, RegisteredCandidate,
    RosterWrite,
};
pub use mails::MailRow;
pub use media::Want;
pub use purge::PurgeCounts;
pub use review::{DecisionRow, ExclusionRow, FlagRow, ReferralRow};
pub use sessions::{PackageRow, SessionRow};
pub use sync::{SyncBatch, SyncTx};

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

/// How long a request waits for a PostgreSQL connection before it is
/// answered 503 `unavailable` (with `Retry-After`): while the database
/// restarts, candidates' syncs fail fast and retry instead of hanging. The
/// pool reconnects by itself once the database is back.
pub const PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

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
                .acquire_timeout(PG_ACQUIRE_TIMEOUT)
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
}

/// A count or size read from an `i64` column as the `u64` it stands for:
/// a negative value is a decode error naming the column, not a wrap-around.
fn unsigned(column: &str, n: i64) -> Result<u64, sqlx::Error> {
    u64::try_from(n).map_err(|_| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("expected a count, not {n}").into(),
    })
}

/// A `u64` (a seq, a size) as the `i64` column that stores it.
fn signed(what: &str, n: u64) -> Result<i64, sqlx::Error> {
    i64::try_from(n).map_err(|_| sqlx::Error::Encode(format!("{what} {n} is too large").into()))
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

#[cfg(test)]
mod tests {
    use super::{unsigned, with_database};

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

    #[test]
    fn a_negative_count_is_an_error_naming_its_column() {
        assert_eq!(unsigned("size", 7).unwrap(), 7);
        let err = unsigned("size", -1).unwrap_err().to_string();
        assert!(err.contains("size") && err.contains("-1"), "{err}");
    }
}
