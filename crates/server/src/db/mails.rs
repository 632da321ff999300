//! The mails sent to candidates: one row per candidate and kind, written
//! around each SMTP exchange so that sending a session's mail can stop at
//! any point and resume without sending anyone a message twice
//! ([`crate::mail`]).

use super::Db;

/// Where a candidate's mail stands.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MailRow {
    pub candidate_id: String,
    /// `sending`, `sent` or `failed`.
    pub state: String,
    pub address: String,
    pub detail: String,
    pub at: i64,
}

impl Db {
    /// The mails of a kind in a session, by candidate.
    pub async fn mails(&self, session_id: &str, kind: &str) -> Result<Vec<MailRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT candidate_id, state, address, detail, at FROM mails
             WHERE session_id = $1 AND kind = $2 ORDER BY candidate_id",
        )
        .bind(session_id)
        .bind(kind)
        .fetch_all(&self.pool)
        .await
    }

    /// Before the SMTP exchange, in one transaction: the candidate's new
    /// code hash (the code the mail carries) and the mail marked `sending`.
    pub async fn mail_sending(
        &self,
        session_id: &str,
        candidate_id: &str,
        kind: &str,
        address: &str,
        code_hash: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE candidates SET code_hash = $1 WHERE session_id = $2 AND id = $3")
            .bind(code_hash)
            .bind(session_id)
            .bind(candidate_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO mails (session_id, candidate_id, kind, state, address, detail, at)
             VALUES ($1, $2, $3, 'sending', $4, '', $5)
             ON CONFLICT (session_id, candidate_id, kind) DO UPDATE SET state = 'sending',
               address = excluded.address, detail = '', at = excluded.at",
        )
        .bind(session_id)
        .bind(candidate_id)
        .bind(kind)
        .bind(address)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// After the SMTP exchange: `sent` (with the server's reply) or
    /// `failed` (with why).
    pub async fn mail_done(
        &self,
        session_id: &str,
        candidate_id: &str,
        kind: &str,
        sent: bool,
        detail: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE mails SET state = $1, detail = $2, at = $3
             WHERE session_id = $4 AND candidate_id = $5 AND kind = $6",
        )
        .bind(if sent { "sent" } else { "failed" })
        .bind(detail)
        .bind(now)
        .bind(session_id)
        .bind(candidate_id)
        .bind(kind)
        .execute(&self.writer)
        .await
        .map(|_| ())
    }
}
