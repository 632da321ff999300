//! Encrypted copies of attempts: each session's copy key, and the import of
//! a copy a candidate saved when the network never came back.
//!
//! The key pair is drawn on a session's first login ([`public_key`]) and its
//! public half goes to every candidate in `AttemptView::copy_key`. The
//! import ([`import`]) is the organiser's `vigil-server attempt import FILE`:
//! the file names its session and attempt in clear, the session's secret
//! opens it ([`vigil_copy::open`]), and then the log goes through the very
//! checks of a sync ([`crate::api::ingest`]: genesis, chain, conflicts with
//! what is stored, time against the server's records, quotas) and each
//! medium through those of an upload (named by the log, its kind's limit,
//! the attempt's quota). What the server already holds is skipped, so a copy
//! imported twice, or after the network came back after all, adds nothing:
//! exactly once. Anything imported is flagged `manual_import` for the
//! reviewer (and `late` past the sync deadline, as a sync would be); a log
//! that conflicts with the stored one is refused and flagged `tampering`.

use serde::Serialize;
use vigil_copy::{AttemptCopy, CopyHeader, SessionSecret};

use crate::api::{ingest, store_verified, MAX_BATCH_EVENTS};
use crate::flags::FlagKind;
use crate::media::{self, MediaKind};
use crate::time::rfc3339;
use crate::{ApiError, AppState};

/// The public half of the session's copy key (64 hex digits), drawn on
/// first use. `None`: no such session.
pub async fn public_key(state: &AppState, session_id: &str) -> Result<Option<String>, ApiError> {
    // A key pair is drawn only for a session that has none yet.
    let fresh = || SessionSecret::generate(&mut rand::rngs::OsRng).to_bytes();
    let Some(bytes) = state.db.copy_secret_or(session_id, fresh).await? else {
        return Ok(None);
    };
    let secret = SessionSecret::from_bytes(&bytes).map_err(ApiError::internal)?;
    Ok(Some(secret.public().to_hex()))
}

/// What an import did, printed as JSON by the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub session: String,
    pub attempt: String,
    pub candidate: String,
    /// When the candidate's machine made the copy (its own clock).
    pub made_at: String,
    /// Events in the copy, and how many the server did not hold before.
    pub events: u64,
    pub events_new: u64,
    /// Media in the copy, and how many were stored by this import.
    pub media: u64,
    pub media_new: u64,
    /// Media of the copy not stored, each with the reason.
    pub media_refused: Vec<String>,
    /// Whether anything was imported (then the attempt is flagged
    /// `manual_import`); `false`: the server already held it all.
    pub imported: bool,
}

/// Why an import stopped: the copy could not be read, or the server refused
/// what it holds. Nothing already stored is touched either way.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Copy(#[from] vigil_copy::CopyError),
    #[error("{0}")]
    Refused(String),
    #[error("the server refused the copy's log ({}): {}", .0.code, .0.message)]
    Api(ApiError),
}

impl From<ApiError> for ImportError {
    fn from(e: ApiError) -> Self {
        ImportError::Api(e)
    }
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Api(ApiError::internal(e))
    }
}

/// Imports the copy `file` into the attempt it names.
pub async fn import(state: &AppState, file: &[u8]) -> Result<ImportReport, ImportError> {
    let header = vigil_copy::read_header(file)?;
    let Some(secret) = state.db.copy_secret(&header.session).await? else {
        return Err(ImportError::Refused(
            match state.db.session(&header.session).await? {
                None => format!(
                    "the copy names session {:?}, which this server does not hold",
                    header.session
                ),
                Some(_) => format!(
                    "session {:?} has no copy key: no candidate of it was ever given one, so this \
                 copy was not made for this server",
                    header.session
                ),
            },
        ));
    };
    let secret = SessionSecret::from_bytes(&secret).map_err(ApiError::internal)?;
    let (header, copy) = vigil_copy::open(&secret, file)?;
    let attempt = state
        .db
        .attempt(&header.attempt)
        .await?
        .filter(|a| a.session_id == header.session && a.candidate_id == header.candidate)
        .ok_or_else(|| {
            ImportError::Refused(format!(
                "session {:?} has no attempt {:?} of candidate {:?}",
                header.session, header.attempt, header.candidate
            ))
        })?;
    let AttemptCopy { events, media } = copy;
    if events.first().is_some_and(|e| e.seq != 1) {
        return Err(ImportError::Refused(
            "the copy's log does not start at event 1".into(),
        ));
    }

    let held_before = state.db.acked_seq(&attempt.id).await?;
    for (i, batch) in events.chunks(MAX_BATCH_EVENTS).enumerate() {
        let from_seq = (i * MAX_BATCH_EVENTS) as u64 + 1;
        ingest(state, &attempt, from_seq, batch).await?;
    }
    let held_after = state.db.acked_seq(&attempt.id).await?;

    // Media: what the (now stored) log names, within limits and quota.
    let stored_events = state.db.events(&attempt.id).await?;
    let mut media_new = 0u64;
    let mut media_refused = Vec::new();
    for m in &media {
        if state.db.media_size(&attempt.id, &m.sha256).await?.is_some() {
            continue;
        }
        let Some(kind) = MediaKind::of(&stored_events, &m.sha256) else {
            media_refused.push(format!("{}: not named by the attempt's log", m.sha256));
            continue;
        };
        let size = m.bytes.len() as u64;
        if size > kind.limit() {
            media_refused.push(format!(
                "{}: {} of {size} bytes, the limit is {}",
                m.sha256,
                kind.name(),
                kind.limit()
            ));
            continue;
        }
        let used = state.db.attempt_media_bytes(&attempt.id).await?;
        if used + size > state.quotas.media_bytes {
            media_refused.push(format!(
                "{}: {}",
                m.sha256,
                crate::quota::media_exceeded(used + size, state.quotas.media_bytes).message
            ));
            continue;
        }
        let part =
            media::partial_path(&state.media_dir, &attempt.id, &m.sha256).with_extension("import");
        if let Some(dir) = part.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(ApiError::internal)?;
        }
        tokio::fs::write(&part, &m.bytes)
            .await
            .map_err(ApiError::internal)?;
        store_verified(state, &attempt, &m.sha256, &part, size).await?;
        media_new += 1;
    }

    let events_new = held_after.saturating_sub(held_before);
    let imported = events_new > 0 || media_new > 0;
    if imported {
        let now = state.clock.now_ms();
        let detail = detail(&header, events_new, held_after, media_new);
        state
            .db
            .add_flag(&attempt.id, FlagKind::ManualImport, &detail, now)
            .await?;
        tracing::info!(attempt = %attempt.id, %detail, "copy imported");
    }
    Ok(ImportReport {
        session: header.session.clone(),
        attempt: header.attempt.clone(),
        candidate: header.candidate.clone(),
        made_at: rfc3339(header.made_at_ms),
        events: events.len() as u64,
        events_new,
        media: media.len() as u64,
        media_new,
        media_refused,
        imported,
    })
}

fn detail(header: &CopyHeader, events_new: u64, held: u64, media_new: u64) -> String {
    format!(
        "imported by hand from an encrypted copy the candidate's machine made at {} (its \
         clock): {events_new} new event(s), the log now ends at {held}; {media_new} new media",
        rfc3339(header.made_at_ms)
    )
}
