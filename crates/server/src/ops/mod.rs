//! The operator's commands, as library functions: what `vigil-server`
//! does once `main.rs` has parsed its command line.
//!
//! Each command takes the opened [`Db`] and typed arguments, does its work
//! and returns a typed report; the report's `Display` is exactly what the
//! command prints on stdout (the JSON of `attempt show` and `attempt
//! import`, the CSV of `results export` and `candidates import`, the
//! sentences of the others), so `main.rs` only prints it and tests call the
//! same functions without a process. Errors are `anyhow` chains with the
//! same context the command line prints (`error: importing x: …`, exit 1).
//!
//! One file per command group, as on the command line:
//!
//! - [`serve`] — `serve` (and the serving half of `demo`);
//! - [`demo`] — `demo`;
//! - [`exams`] — `exam import`;
//! - [`sessions`] — `session create`, `session require-kiosk`;
//! - [`candidates`] — `candidates import`, `candidates set`;
//! - [`proctors`] — `proctor add`;
//! - [`results`] — `results export`;
//! - [`sanctions`] — `sanctions export` (the Ministry's list);
//! - [`attempts`] — `attempt show`, `attempt import`;
//! - [`purge`] — `purge` (the records, then the files).
//!
//! This file holds what several commands share: where the database is
//! ([`DbLocation`]) and the media store of the commands that store like the
//! server does ([`MediaStore`], [`system_state`]).

pub mod attempts;
pub mod candidates;
pub mod demo;
pub mod exams;
pub mod proctors;
pub mod purge;
pub mod results;
pub mod sanctions;
pub mod serve;
pub mod sessions;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::auth::CodeHashing;
use crate::blobs::BlobStore;
use crate::clock::{Clock, SystemClock};
use crate::db::Db;
use crate::rate::Limiter;
use crate::AppState;

/// Where the database is: a printable name (no password) and the folder
/// the media store defaults to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbLocation {
    /// The SQLite file, or the database URL without its password.
    pub label: String,
    /// The folder of the SQLite file (`.` for a database URL): the media
    /// store defaults to `media/` in it.
    pub dir: PathBuf,
}

impl DbLocation {
    /// The default media folder: `media/` beside the database.
    pub fn media_dir(&self) -> PathBuf {
        self.dir.join("media")
    }
}

/// Opens the database the command line names: `database_url` if given,
/// else the SQLite file `file` (created if missing). Migrated either way.
pub async fn open_db(file: &Path, database_url: Option<&str>) -> anyhow::Result<(Db, DbLocation)> {
    let db = match database_url {
        Some(url) => Db::open_url(url)
            .await
            .with_context(|| format!("opening database {}", redact_url(url)))?,
        None => Db::open_file(file)
            .await
            .with_context(|| format!("opening database {}", file.display()))?,
    };
    // The media store defaults to `media/` beside the SQLite file (the
    // working directory otherwise).
    let at = match database_url {
        Some(url) => DbLocation {
            label: redact_url(url),
            dir: PathBuf::from("."),
        },
        None => DbLocation {
            label: file.display().to_string(),
            dir: file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_owned(),
        },
    };
    Ok((db, at))
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Where the media go, as the command line says (`--media-dir`,
/// `--media-url`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaStore {
    /// The media folder (uploads in progress, and the blobs unless `url`);
    /// `None`: `media/` beside the database.
    pub dir: Option<PathBuf>,
    /// An S3-compatible bucket for the blobs, `s3://BUCKET[/PREFIX]`.
    pub url: Option<String>,
}

/// The state of a command that serves or stores like the server does
/// (`serve`, `attempt import`): the media folder (made if missing, by
/// default `media/` beside the database) and the blob store, checked.
pub async fn system_state(
    db: Db,
    hashing: CodeHashing,
    static_dir: Option<PathBuf>,
    media: MediaStore,
    at: &DbLocation,
) -> anyhow::Result<AppState> {
    let media_dir = media.dir.unwrap_or_else(|| at.media_dir());
    std::fs::create_dir_all(&media_dir)
        .with_context(|| format!("creating the media folder {}", media_dir.display()))?;
    let blobs = blob_store(media.url.as_deref(), &media_dir).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Ok(AppState {
        db,
        limits: Limiter::new(clock.clone()),
        clock,
        static_dir,
        hashing,
        media_dir,
        blobs,
        uploads: Default::default(),
        quotas: Default::default(),
    })
}

/// The blob store: the S3-compatible bucket of `media_url` if given, else
/// the media folder; checked before use, so a wrong bucket, endpoint or key
/// stops the command with the store's own message.
pub async fn blob_store(media_url: Option<&str>, media_dir: &Path) -> anyhow::Result<BlobStore> {
    let blobs = match media_url {
        Some(url) => BlobStore::s3(url, &[]).map_err(anyhow::Error::msg)?,
        None => BlobStore::Folder(media_dir.to_owned()),
    };
    blobs
        .check()
        .await
        .with_context(|| format!("opening the media store {}", blobs.describe()))?;
    tracing::info!(store = %blobs.describe(), "media store");
    Ok(blobs)
}

/// Reads a file the command line names, with its name in the error.
fn read_text(file: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("{what} {}", file.display()))
}

/// Writes a file the command line names (`--out`), with its name in the error.
fn write_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_urls_are_printed_without_their_password() {
        assert_eq!(
            redact_url("postgres://vigil:s3cret@db:5432/vigil"),
            "postgres://vigil:***@db:5432/vigil"
        );
        assert_eq!(
            redact_url("postgres://vigil@db/vigil"),
            "postgres://vigil@db/vigil"
        );
        assert_eq!(redact_url("sqlite:///a@b/x.db"), "sqlite:///a@b/x.db");
    }
}
