//! Exams and sessions: the stored exam definitions, the sessions scheduled
//! from them with their sealed package and its key, and the per-session
//! keys (the kiosk config key a session may require, the copy secret).
//!
//! One area because a session row carries all of it; the exams ride along
//! as the thing a session is created from.

use sqlx::AnyPool;

use super::Db;
use crate::package::Sealed;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub exam_id: String,
    pub starts_at: i64,
    pub grace_ms: i64,
    /// The IANA time zone people read its times in ([`crate::time::Zone`]).
    pub time_zone: String,
}

impl SessionRow {
    /// The session's zone (Paris, or the one `session create --time-zone` set).
    pub fn zone(&self) -> crate::time::Zone {
        crate::time::Zone::stored(&self.time_zone)
    }
}

/// A session's sealed package and its key (`None`: a session created
/// before packages existed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRow {
    pub exam_id: String,
    pub key: [u8; 32],
    pub sealed: Sealed,
}

/// The package columns as stored: all of them empty on a session older
/// than packages.
#[derive(sqlx::FromRow)]
struct PackageColumns {
    exam_id: String,
    package_key: Option<Vec<u8>>,
    package_nonce: Option<Vec<u8>>,
    package_ciphertext: Option<Vec<u8>>,
    package_sha256: Option<String>,
}

impl PackageColumns {
    /// The package, `None` if the session has none; a key or nonce of the
    /// wrong length is a decode error.
    fn into_package(self) -> Result<Option<PackageRow>, sqlx::Error> {
        let (Some(key), Some(nonce), Some(ciphertext), Some(sha256)) = (
            self.package_key,
            self.package_nonce,
            self.package_ciphertext,
            self.package_sha256,
        ) else {
            return Ok(None);
        };
        let (Ok(key), Ok(nonce)) = (key.try_into(), nonce.try_into()) else {
            return Err(sqlx::Error::Decode(
                "package key or nonce of the wrong length".into(),
            ));
        };
        Ok(Some(PackageRow {
            exam_id: self.exam_id,
            key,
            sealed: Sealed {
                nonce,
                ciphertext,
                sha256,
            },
        }))
    }
}

impl Db {
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
        let row: Option<PackageColumns> = sqlx::query_as(
            "SELECT exam_id, package_key, package_nonce, package_ciphertext, package_sha256
             FROM sessions WHERE id = $1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(PackageColumns::into_package).transpose()?.flatten())
    }

    pub async fn session(&self, id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, exam_id, starts_at, grace_ms, time_zone FROM sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Sets a session's time zone (checked by the caller); `false`: no such
    /// session.
    pub async fn set_time_zone(&self, session_id: &str, zone: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE sessions SET time_zone = $1 WHERE id = $2")
            .bind(zone)
            .bind(session_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
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
}
