//! The content-addressed media store on a local folder: ID photos, face
//! photos, room-scan videos and incident stills, each named by its SHA-256.
//!
//! Layout under the media folder:
//! - `<sha[0..2]>/<sha>`: a complete, verified blob, when the blobs are kept
//!   in this folder (the default; [`crate::blobs`] may keep them in an
//!   S3-compatible bucket instead, under the same names). Content-addressed, so a
//!   blob is written once however many times it is uploaded, and the
//!   two-character fan-out keeps directories small with millions of blobs;
//! - `partial/<attempt_id>/<sha>.part`: an upload in progress, per attempt,
//!   so one candidate can never append to another's partial upload. Its
//!   length is what the server holds: a resumed upload continues there.
//!
//! A blob only moves from `partial/` to its final name after its hash is
//! checked, so the final names are always right. [`Uploads`] keeps two
//! requests from appending to the same partial file at once (per process:
//! partial files are local to one instance anyway).

use std::collections::{HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Largest blob accepted, in bytes (a few minutes of room-scan video at a
/// modest bitrate; stills are far below).
pub const MAX_MEDIA_BYTES: u64 = 64 * 1024 * 1024;

/// What a blob is, from the event that names it; each kind has its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// An identity photo (ID document or face): a JPEG at most 640 px wide
    /// is ~100 kB; 2 MiB leaves room for any camera.
    Photo,
    /// An incident's evidence still (~320 px wide): 1 MiB.
    Still,
    /// The room-scan video: [`MAX_MEDIA_BYTES`].
    RoomScan,
}

impl MediaKind {
    pub fn limit(self) -> u64 {
        match self {
            MediaKind::Photo => 2 * 1024 * 1024,
            MediaKind::Still => 1024 * 1024,
            MediaKind::RoomScan => MAX_MEDIA_BYTES,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Photo => "identity photo",
            MediaKind::Still => "evidence still",
            MediaKind::RoomScan => "room-scan video",
        }
    }

    /// The kind of `sha` in an attempt's log, if an event names it.
    pub fn of(events: &[vigil_exam::Event], sha: &str) -> Option<MediaKind> {
        events
            .iter()
            .flat_map(named_by)
            .find_map(|(named, kind)| kind.filter(|_| named == sha))
    }
}

/// The media an event names, each with its kind when the event is the one
/// that brings the blob (`None`: a reference to a blob another event
/// brings, as `face_match` names the identity photos).
pub fn named_by(e: &vigil_exam::Event) -> Vec<(&str, Option<MediaKind>)> {
    use vigil_exam::EventKind;
    match &e.kind {
        EventKind::IdentityCapture(b) => vec![(b.media_sha256.as_str(), Some(MediaKind::Photo))],
        EventKind::RoomScan(b) => vec![(b.media_sha256.as_str(), Some(MediaKind::RoomScan))],
        // An ear still of the guided head turn: a photo like the others.
        EventKind::HeadTurn(b) => vec![(b.media_sha256.as_str(), Some(MediaKind::Photo))],
        EventKind::IncidentOpen(b) => b
            .evidence_sha256
            .iter()
            .map(|s| (s.as_str(), Some(MediaKind::Still)))
            .collect(),
        EventKind::FaceMatch(b) => {
            vec![(b.id_sha256.as_str(), None), (b.face_sha256.as_str(), None)]
        }
        _ => Vec::new(),
    }
}

/// Whether `s` is a SHA-256 as the API names blobs: 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Final path of a verified blob.
pub fn blob_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[..2]).join(sha)
}

/// Removes the stored blobs whose hash is not in `keep` (after a purge);
/// returns how many files and bytes went. Partial uploads are swept by
/// [`sweep_partials`].
pub fn sweep(dir: &Path, keep: &HashSet<String>) -> std::io::Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    let Ok(shards) = std::fs::read_dir(dir) else {
        return Ok((0, 0));
    };
    for shard in shards {
        let shard = shard?.path();
        let name = shard.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.len() == 2 && shard.is_dir()) {
            continue;
        }
        for blob in std::fs::read_dir(&shard)? {
            let blob = blob?.path();
            let sha = blob.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if is_sha256_hex(sha) && !keep.contains(sha) {
                bytes += blob.metadata().map(|m| m.len()).unwrap_or(0);
                std::fs::remove_file(&blob)?;
                files += 1;
            }
        }
    }
    Ok((files, bytes))
}

/// The attempts that have partial uploads under the media folder (their
/// folder names under `partial/`).
pub fn partial_attempts(dir: &Path) -> std::io::Result<Vec<String>> {
    match std::fs::read_dir(dir.join("partial")) {
        Ok(entries) => Ok(entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Removes the partial uploads of the attempts for which `drop` says so
/// (gone from the database, or past their sync deadline: no upload can
/// complete any more, and they may hold personal data); returns how many
/// files and bytes went.
pub fn sweep_partials(
    dir: &Path,
    mut drop: impl FnMut(&str) -> bool,
) -> std::io::Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    for attempt in partial_attempts(dir)? {
        if !drop(&attempt) {
            continue;
        }
        let folder = dir.join("partial").join(&attempt);
        for part in std::fs::read_dir(&folder)?.flatten() {
            bytes += part.metadata().map(|m| m.len()).unwrap_or(0);
            files += 1;
        }
        std::fs::remove_dir_all(&folder)?;
    }
    Ok((files, bytes))
}

/// Path of an attempt's partial upload of a blob.
pub fn partial_path(dir: &Path, attempt_id: &str, sha: &str) -> PathBuf {
    dir.join("partial")
        .join(attempt_id)
        .join(format!("{sha}.part"))
}

/// SHA-256 (hex) of a file's content, read in chunks.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The uploads in progress in this process: by attempt, the blobs it is
/// sending.
#[derive(Debug, Clone, Default)]
pub struct Uploads {
    busy: Arc<Mutex<HashMap<String, HashSet<String>>>>,
}

/// Held while a request appends to a partial file; released on drop.
#[derive(Debug)]
pub struct UploadGuard {
    uploads: Uploads,
    attempt: String,
    sha: String,
}

/// Why an upload could not be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Another request is uploading this blob.
    ThisBlob,
    /// The attempt already has [`crate::quota::MAX_UPLOADS_PER_ATTEMPT`]
    /// uploads in progress.
    TooMany,
}

impl Uploads {
    /// Claims the partial upload of `sha` by `attempt_id`: refused when
    /// another request holds it, or when the attempt already has `most`
    /// uploads in progress.
    pub fn claim(&self, attempt_id: &str, sha: &str, most: usize) -> Result<UploadGuard, Busy> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        let of_attempt = busy.entry(attempt_id.to_owned()).or_default();
        if of_attempt.contains(sha) {
            return Err(Busy::ThisBlob);
        }
        if of_attempt.len() >= most {
            return Err(Busy::TooMany);
        }
        of_attempt.insert(sha.to_owned());
        Ok(UploadGuard {
            uploads: self.clone(),
            attempt: attempt_id.to_owned(),
            sha: sha.to_owned(),
        })
    }
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        let mut busy = self.uploads.busy.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(of_attempt) = busy.get_mut(&self.attempt) {
            of_attempt.remove(&self.sha);
            if of_attempt.is_empty() {
                busy.remove(&self.attempt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_64_lowercase_hex() {
        assert!(is_sha256_hex(&"a".repeat(64)));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex(&"a".repeat(63)));
        assert!(!is_sha256_hex(&"g".repeat(64)));
        assert!(!is_sha256_hex(&format!("../{}", "a".repeat(61))));
    }

    #[test]
    fn an_upload_is_claimed_once_at_a_time_and_an_attempt_has_few() {
        let u = Uploads::default();
        let g = u.claim("a", "x", 2).unwrap();
        assert_eq!(u.claim("a", "x", 2).unwrap_err(), Busy::ThisBlob);
        assert!(u.claim("b", "x", 2).is_ok());
        let y = u.claim("a", "y", 2).unwrap();
        assert_eq!(u.claim("a", "z", 2).unwrap_err(), Busy::TooMany);
        drop(g);
        assert!(u.claim("a", "x", 2).is_ok());
        drop(y);
        let held = u.busy.lock().unwrap().len();
        assert_eq!(held, 0, "released claims leave nothing behind");
    }
}
