//! `vigil-server attempt show` and `attempt import`: one attempt, for
//! operators and support.
//!
//! `show` reports, as JSON, what the server holds of an attempt: its state,
//! the events held (count, highest seq, whether every seq from 1 is there
//! exactly once), the hash-chain verification, the review flags, the
//! incidents with whether the server holds each evidence still, and the
//! face match. `import` brings in the encrypted copy a candidate saved when
//! the network never came back ([`crate::copies`]).
//!
//! The JSON is a typed [`AttemptReport`]; its field order is the order the
//! command has always printed, and it is printed through
//! `serde_json::Value`, as it always was, so the output is unchanged.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use vigil_exam::{FaceMatchBody, IncidentKind, Severity};

use crate::copies::ImportReport;
use crate::db::{AttemptState, Db, FlagRow};
use crate::dossier::Dossier;
use crate::AppState;

/// `attempt show`'s report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptReport {
    pub attempt: String,
    pub session: String,
    pub candidate: String,
    pub state: AttemptState,
    pub started_at: Option<i64>,
    /// Events held.
    pub events: usize,
    /// The highest seq held (0: none).
    pub last_seq: u64,
    /// Whether the seqs held are exactly 1, 2, … (none missing, none twice).
    pub each_seq_once: bool,
    /// `intact`, or `broken: …` with the engine's reason.
    pub chain: String,
    pub flags: Vec<FlagRow>,
    pub incidents: Vec<IncidentReport>,
    pub face_match: Option<FaceMatchBody>,
}

/// An incident as the log tells it, with its evidence still and whether
/// the server holds that still.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentReport {
    pub kind: IncidentKind,
    pub severity: Severity,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub evidence_sha256: Option<String>,
    pub evidence_stored: bool,
}

impl fmt::Display for AttemptReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", pretty_json(self)?)
    }
}

/// Pretty JSON through a `serde_json::Value`, as the CLI always printed
/// (the key order is the `Value`'s).
fn pretty_json(value: &impl Serialize) -> Result<String, fmt::Error> {
    serde_json::to_value(value)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .map_err(|_| fmt::Error)
}

/// What the server holds of attempt `id`; an unknown id is an error naming it.
pub async fn show(db: &Db, id: &str) -> anyhow::Result<AttemptReport> {
    let Some(a) = db.attempt(id).await? else {
        anyhow::bail!("no attempt {id}");
    };
    let events = db.events(id).await?;
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let each_seq_once = seqs.iter().copied().eq(1..=seqs.len() as u64);
    let chain = match vigil_exam::verify_from(&a.genesis(), &events) {
        Ok(()) => "intact".to_string(),
        Err(e) => format!("broken: {e}"),
    };
    let flags = db.flags(id).await?;
    let dossier = Dossier::from_events(&events);
    let mut incidents = Vec::with_capacity(dossier.incidents.len());
    for i in &dossier.incidents {
        let evidence_stored = match &i.evidence {
            Some(sha) => db.media_size(id, sha).await?.is_some(),
            None => false,
        };
        incidents.push(IncidentReport {
            kind: i.kind,
            severity: i.severity,
            opened_at: i.opened_at,
            closed_at: i.closed_at,
            evidence_sha256: i.evidence.clone(),
            evidence_stored,
        });
    }
    Ok(AttemptReport {
        attempt: a.id,
        session: a.session_id,
        candidate: a.candidate_id,
        state: a.state,
        started_at: a.started_at,
        events: events.len(),
        last_seq: seqs.last().copied().unwrap_or(0),
        each_seq_once,
        chain,
        flags,
        incidents,
        face_match: dossier.face_match,
    })
}

/// `attempt import`'s report: what the copy brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyImported(pub ImportReport);

impl fmt::Display for CopyImported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_string_pretty(&self.0).map_err(|_| fmt::Error)?;
        writeln!(f, "{json}")
    }
}

/// Imports the copy `file` (read only up to the size a copy may have) into
/// the attempt it names, with the server's state (`state`: its database,
/// media folder and blob store, see [`super::system_state`]).
pub async fn import(state: &AppState, file: &Path) -> anyhow::Result<CopyImported> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    anyhow::ensure!(
        size <= vigil_copy::MAX_COPY_BYTES,
        "{}: {size} bytes, a copy is at most {} bytes",
        file.display(),
        vigil_copy::MAX_COPY_BYTES
    );
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let report = crate::copies::import(state, &bytes)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    Ok(CopyImported(report))
}
