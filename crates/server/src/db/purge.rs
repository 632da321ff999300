//! Retention: deleting the sessions scheduled before a cutoff with
//! everything that hangs off them, in one transaction.
//!
//! Its own file because it is the one statement group that crosses every
//! area's tables, in the order the foreign keys require; the media files
//! are swept afterwards by the caller ([`crate::ops::purge`]).

use super::{unsigned, Db};

/// What a purge removed (or would remove).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    pub sessions: u64,
    pub attempts: u64,
    pub events: u64,
    pub media: u64,
}

impl Db {
    /// Deletes the sessions scheduled to start before `cutoff` with
    /// everything of theirs (candidates, attempts, tokens, events, media
    /// records, flags, decisions, proctor assignments, forced registrations),
    /// in one transaction;
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
            *slot = unsigned("COUNT(*)", n)?;
        }
        if dry_run {
            return Ok(counts);
        }
        for table in [
            "decisions",
            "flags",
            "media_reservations",
            "media",
            "events",
            "tokens",
        ] {
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
        // Persons stay (they outlive sessions), and so do exclusions, up
        // to their end: a purge does not lift a sanction.
        for table in [
            "proctor_sessions",
            "registration_overrides",
            "mails",
            "candidates",
        ] {
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
}
