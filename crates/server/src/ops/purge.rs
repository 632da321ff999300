//! `vigil-server purge --older-than DAYS [--dry-run]`: retention.
//!
//! Two steps, each with its own report, in this order: [`records`] deletes
//! the sessions scheduled more than DAYS ago with everything of theirs, in
//! one transaction ([`crate::db::Db::purge_sessions_before`]); then
//! [`sweep_files`] removes the partial uploads that can no longer complete
//! and the media blobs no record refers to any more. Separate so that what
//! the first did is printed even if the second fails (a store that cannot
//! be read): the records are gone either way, and a later purge sweeps.

use std::fmt;
use std::path::PathBuf;

use anyhow::Context;

use super::{blob_store, DbLocation, MediaStore};
use crate::db::{Db, PurgeCounts};
use crate::results::sweep_stale_partials;
use crate::time::rfc3339;

/// One day, the least `--older-than`: data may still be syncing for 12 h
/// after an exam.
pub const DAY_MS: i64 = 86_400_000;

/// What the records step deleted (or, in a dry run, would delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    pub counts: PurgeCounts,
    /// Sessions scheduled before this time (ms) went.
    pub cutoff: i64,
    pub dry_run: bool,
}

impl fmt::Display for PurgeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        let verb = if self.dry_run {
            "Would delete"
        } else {
            "Deleted"
        };
        writeln!(
            f,
            "{verb} {} session(s), {} attempt(s), {} event(s), {} media record(s) \
             scheduled before {}.",
            c.sessions,
            c.attempts,
            c.events,
            c.media,
            rfc3339(self.cutoff)
        )
    }
}

/// Deletes (or with `dry_run` counts) the sessions scheduled more than
/// `older_than_days` before `now`, with everything of theirs.
pub async fn records(
    db: &Db,
    older_than_days: u32,
    dry_run: bool,
    now: i64,
) -> anyhow::Result<PurgeReport> {
    anyhow::ensure!(
        older_than_days >= 1,
        "--older-than must be at least 1 day: data may still be syncing for 12 h after an exam"
    );
    let cutoff = now - i64::from(older_than_days) * DAY_MS;
    let counts = db.purge_sessions_before(cutoff, now, dry_run).await?;
    Ok(PurgeReport {
        counts,
        cutoff,
        dry_run,
    })
}

/// What the file sweep removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// The folder of the partial uploads swept.
    pub partial_dir: PathBuf,
    pub partial_files: u64,
    pub partial_bytes: u64,
    /// The blob store swept, as described to the operator.
    pub store: String,
    pub media_files: u64,
    pub media_bytes: u64,
}

impl fmt::Display for SweepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Removed {} partial upload file(s), {} bytes, from {}.",
            self.partial_files,
            self.partial_bytes,
            self.partial_dir.display()
        )?;
        writeln!(
            f,
            "Removed {} media file(s), {} bytes, from {}.",
            self.media_files, self.media_bytes, self.store
        )
    }
}

/// Removes the stale partial uploads of the media folder and the blobs no
/// media record names (after [`records`]).
pub async fn sweep_files(
    db: &Db,
    media: &MediaStore,
    at: &DbLocation,
    now: i64,
) -> anyhow::Result<SweepReport> {
    let dir = media.dir.clone().unwrap_or_else(|| at.media_dir());
    let (partial_files, partial_bytes) = sweep_stale_partials(db, &dir, now)
        .await
        .with_context(|| format!("sweeping the partial uploads in {}", dir.display()))?;
    let blobs = blob_store(media.url.as_deref(), &dir).await?;
    let keep = db.media_hashes().await?;
    let (media_files, media_bytes) = blobs
        .sweep(&keep)
        .await
        .with_context(|| format!("sweeping the media store {}", blobs.describe()))?;
    Ok(SweepReport {
        partial_dir: dir.join("partial"),
        partial_files,
        partial_bytes,
        store: blobs.describe(),
        media_files,
        media_bytes,
    })
}
