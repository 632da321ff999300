//! Operator actions shared by the CLI and tests: importing an exam, creating
//! a session, registering candidates, and the ready-made demo session.
//!
//! They live in the library, not in `main.rs`, so tests exercise exactly
//! what `vigil-server demo` and `vigil-server exam import` do.

use serde::{Deserialize, Serialize};
use vigil_exam::{Exam, ExamSummary};

use crate::auth::{self, CodeHashing};
use crate::db::{Db, SessionRow};
use crate::package;

/// How long a demo session's start window stays open: each candidate may
/// start only once, so a demo needs a window that outlives a few tries.
pub const DEMO_WINDOW_MS: i64 = 2 * 3600 * 1000;
/// Candidates created for a demo session unless told otherwise.
pub const DEMO_CANDIDATES: usize = 8;
/// Most candidates one command creates.
pub const MAX_CANDIDATES_PER_CALL: usize = 100_000;

/// Validates an exam written in TOML with the engine and stores it.
pub async fn import_exam(db: &Db, toml_text: &str, now: i64) -> anyhow::Result<ExamSummary> {
    let exam = Exam::from_toml(toml_text).map_err(|e| anyhow::anyhow!("invalid exam: {e}"))?;
    let summary = exam.summary();
    db.upsert_exam(&summary.id, &summary.title, &exam.to_json(), now)
        .await?;
    Ok(summary)
}

/// A session just created, with its start code (in clear only here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedSession {
    pub session: SessionRow,
    /// The printed fallback that unlocks the package offline (see
    /// [`crate::package`]).
    pub start_code: String,
}

/// Schedules a session of an imported exam: draws its start code, derives
/// the package key from it, seals the exam without its answer keys
/// ([`Exam::redact`]) and stores all of it with the session.
pub async fn create_session(
    db: &Db,
    exam_id: &str,
    starts_at: i64,
    grace_ms: i64,
    now: i64,
) -> anyhow::Result<CreatedSession> {
    create_session_as(db, auth::new_id("s"), exam_id, starts_at, grace_ms, now).await
}

async fn create_session_as(
    db: &Db,
    id: String,
    exam_id: &str,
    starts_at: i64,
    grace_ms: i64,
    now: i64,
) -> anyhow::Result<CreatedSession> {
    anyhow::ensure!(
        grace_ms >= 0,
        "the grace cannot be negative ({grace_ms} ms)"
    );
    let json = db.exam_json(exam_id).await?.ok_or_else(|| {
        anyhow::anyhow!("no exam {exam_id:?}: import it first with `vigil-server exam import FILE`")
    })?;
    let exam = Exam::from_json(&json).map_err(|e| anyhow::anyhow!("stored exam {exam_id}: {e}"))?;
    let session = SessionRow {
        id,
        exam_id: exam_id.to_owned(),
        starts_at,
        grace_ms,
        time_zone: crate::time::PARIS.to_owned(),
    };
    let start_code = package::new_start_code();
    let key = package::derive_key(&session.id, &start_code);
    let sealed = package::seal(&key, exam.redact().to_json().as_bytes());
    db.create_session(&session, &key, &sealed, now).await?;
    Ok(CreatedSession {
        session,
        start_code,
    })
}

/// A candidate's login, as printed for the operator (the code exists in
/// clear only here, at creation).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CandidateLogin {
    pub id: String,
    pub code: String,
}

/// Registers `count` candidates `C001…` in a session, each with a fresh code.
pub async fn create_candidates(
    db: &Db,
    hashing: &CodeHashing,
    session_id: &str,
    count: usize,
) -> anyhow::Result<Vec<CandidateLogin>> {
    anyhow::ensure!(
        (1..=MAX_CANDIDATES_PER_CALL).contains(&count),
        "candidate count must be between 1 and {MAX_CANDIDATES_PER_CALL}, got {count}"
    );
    let width = count.to_string().len().max(3);
    let mut out = Vec::with_capacity(count);
    for n in 1..=count {
        let id = format!("C{n:0width$}");
        let code = auth::new_access_code();
        let hash = hashing.hash(&code);
        db.add_candidate(session_id, &id, &hash, &auth::new_id("att"))
            .await?;
        out.push(CandidateLogin { id, code });
    }
    Ok(out)
}

/// What `vigil-server demo` prints and writes to `target/demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DemoInfo {
    pub url: String,
    pub session: String,
    pub exam: String,
    pub starts_at_ms: i64,
    pub closes_at_ms: i64,
    /// The session's printed start code (offline unlock of the package).
    pub start_code: String,
    pub candidates: Vec<CandidateLogin>,
}

/// Creates a fresh demo session of the given exam: its window opens
/// `start_in_ms` from `now` and stays open [`DEMO_WINDOW_MS`].
pub async fn create_demo(
    db: &Db,
    hashing: &CodeHashing,
    exam_toml: &str,
    now: i64,
    start_in_ms: i64,
    candidates: usize,
    url: String,
) -> anyhow::Result<DemoInfo> {
    anyhow::ensure!(
        start_in_ms >= 0,
        "the demo cannot start in the past ({start_in_ms} ms)"
    );
    let exam = import_exam(db, exam_toml, now).await?;
    let CreatedSession {
        session,
        start_code,
    } = create_session_as(
        db,
        auth::new_id("demo"),
        &exam.id,
        now + start_in_ms,
        DEMO_WINDOW_MS,
        now,
    )
    .await?;
    let candidates = create_candidates(db, hashing, &session.id, candidates).await?;
    Ok(DemoInfo {
        url,
        session: session.id.clone(),
        exam: exam.id,
        starts_at_ms: session.starts_at,
        closes_at_ms: session.starts_at + session.grace_ms,
        start_code,
        candidates,
    })
}
