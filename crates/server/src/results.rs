//! Results of a session: one CSV row per candidate, scored by the engine.
//!
//! The server never trusts a score computed by the app: it replays each
//! attempt's stored, chain-verified event log against the FULL exam (the
//! `exams` table keeps the definition with its answer keys; candidates only
//! ever receive the redacted copy) on the server's own timeline
//! ([`vigil_exam::replay_with_authority`]: its start, the extra time it
//! granted, the session's window), and scores the resulting state with
//! `vigil_exam::score`. Answers the log places after the server's
//! deadlines are not scored (flag `after_deadline`); a log whose start
//! disagrees with the server's records is flagged `time_mismatch`. Used by `vigil-server results export` and by the
//! proctors' results download.

use anyhow::{anyhow, Context};
use vigil_exam::{Exam, ScoreReport};

use crate::db::{AttemptState, Db, DecisionRow, PersonRow};
use crate::flags::FlagKind;

/// One candidate's line of the results.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub candidate: String,
    /// The attempt id (links the review pages).
    pub attempt: String,
    /// The attempt's state as the server tracks it (`registered`,
    /// `in_progress`, `submitted`).
    pub state: AttemptState,
    /// Where the attempt stands for a reviewer ([`Progress`]).
    pub progress: Progress,
    /// Start by the server clock (or the offline start seen at sync).
    pub started_at: Option<i64>,
    /// Submission time from the log.
    pub submitted_at: Option<i64>,
    /// `None`: the attempt never started (no answers to score) or its log
    /// could not be replayed (then `flags` says `replay_failed`).
    pub score: Option<ScoreReport>,
    /// Review flag kinds of the attempt, sorted, without duplicates.
    pub flags: Vec<String>,
    /// Proctoring incidents in the replayed log (open or closed).
    pub incidents: usize,
    /// The extra-time accommodation (tiers-temps) in the server's records.
    pub extra_time: bool,
    /// The person registered, if the roster named one.
    pub person: Option<PersonRow>,
    /// The reviewer's latest decision, if any.
    pub decision: Option<DecisionRow>,
}

/// Where an attempt stands for a reviewer, from what the server holds:
/// whether it started, whether the log holds the submission, whether every
/// media the log names has arrived, and whether the sync deadline (end of
/// the exam + 12 h) has passed. Late data and tampering are review flags,
/// shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Never started.
    NotStarted,
    /// Started; the submission has not arrived, the deadline not passed.
    InProgress,
    /// The submission arrived; some media it names have not (yet).
    Submitted,
    /// The submission and every media the log names are here.
    Synced,
    /// The sync deadline passed without the submission or with media
    /// missing: the reviewer decides with what arrived.
    Incomplete,
}

impl Progress {
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::NotStarted => "not started",
            Progress::InProgress => "in progress",
            Progress::Submitted => "submitted",
            Progress::Synced => "synced",
            Progress::Incomplete => "incomplete",
        }
    }

    /// `started`: the server saw a start (or an offline start at sync);
    /// `submitted`: the log holds the submission; `media_missing`: blobs the
    /// log names that the server does not hold; `past_deadline`: now is
    /// after the attempt's sync deadline.
    pub fn of(started: bool, submitted: bool, media_missing: usize, past_deadline: bool) -> Self {
        match (started, submitted, media_missing == 0, past_deadline) {
            (false, false, _, _) => Progress::NotStarted,
            (_, true, true, _) => Progress::Synced,
            (_, _, _, true) => Progress::Incomplete,
            (_, true, false, false) => Progress::Submitted,
            (true, false, _, false) => Progress::InProgress,
        }
    }
}

/// A session's results: the exam (for the section columns) and the rows.
#[derive(Debug, Clone)]
pub struct SessionResults {
    pub exam: Exam,
    pub rows: Vec<ResultRow>,
    /// The session's time zone: the CSV's times carry its offset.
    pub zone: crate::time::Zone,
    /// The session's scheduled start.
    pub starts_at: i64,
}

/// Replays and scores every attempt of `session_id`; `now` (server clock)
/// tells whether each attempt's sync deadline has passed.
pub async fn session_results(
    db: &Db,
    session_id: &str,
    now: i64,
) -> anyhow::Result<SessionResults> {
    let (exam, window, zone) = exam_and_window(db, session_id).await?;
    let persons: std::collections::HashMap<String, PersonRow> = db
        .candidate_persons(session_id)
        .await?
        .into_iter()
        .filter_map(|c| {
            Some((
                c.candidate_id,
                PersonRow {
                    id: c.person_id?,
                    family_name: c.family_name.unwrap_or_default(),
                    given_name: c.given_name.unwrap_or_default(),
                    email: c.email.unwrap_or_default(),
                },
            ))
        })
        .collect();
    let mut rows = Vec::new();
    for attempt in db.session_attempts(session_id).await? {
        let events = db.events(&attempt.id).await?;
        let mut flags: Vec<String> = db
            .flags(&attempt.id)
            .await?
            .into_iter()
            .map(|f| f.kind)
            .collect();
        let mut submitted_at = None;
        let mut score = None;
        let mut incidents = 0;
        if !events.is_empty() {
            let authority = vigil_exam::Authority {
                started_at_ms: attempt.started_at,
                extra_time: attempt.extra_time,
                window,
                questions_opened_at_ms: attempt.questions_opened_at,
            };
            match vigil_exam::replay_with_authority(&attempt.genesis(), &exam, &events, &authority)
            {
                Ok(r) => {
                    submitted_at = r.state.submitted_at_ms;
                    incidents = r.state.incidents.len();
                    if !r.discrepancies.is_empty() {
                        flags.push(FlagKind::TimeMismatch.to_string());
                    }
                    if r.unscored_answers().next().is_some() {
                        flags.push(FlagKind::AfterDeadline.to_string());
                    }
                    if r.unscored_identification().next().is_some() {
                        flags.push(FlagKind::OutOfOrder.to_string());
                    }
                    if r.started_at_ms.is_some() {
                        score = Some(vigil_exam::score(&exam, &r.state));
                    }
                }
                Err(e) => {
                    tracing::warn!(attempt = %attempt.id, error = %e, "replay failed");
                    flags.push(FlagKind::ReplayFailed.to_string());
                }
            }
        }
        flags.sort();
        flags.dedup();
        let progress = progress_of(db, &exam, &window, &attempt, &events, now).await?;
        let decision = db.decisions(&attempt.id).await?.pop();
        rows.push(ResultRow {
            person: persons.get(&attempt.candidate_id).cloned(),
            decision,
            candidate: attempt.candidate_id,
            attempt: attempt.id,
            state: attempt.state,
            progress,
            started_at: attempt.started_at,
            submitted_at,
            score,
            flags,
            incidents,
            extra_time: attempt.extra_time,
        });
    }
    Ok(SessionResults {
        starts_at: window.opens_at_ms,
        exam,
        rows,
        zone,
    })
}

/// A session and its full exam (with the answer keys), or an error
/// naming what is missing.
pub async fn session_exam(
    db: &Db,
    session_id: &str,
) -> anyhow::Result<(crate::db::SessionRow, Exam)> {
    let session = db
        .session(session_id)
        .await?
        .ok_or_else(|| anyhow!("no session {session_id:?}"))?;
    let json = db.exam_json(&session.exam_id).await?.ok_or_else(|| {
        anyhow!(
            "session {session_id} refers to missing exam {}",
            session.exam_id
        )
    })?;
    let exam = Exam::from_json(&json).context("reading the stored exam")?;
    Ok((session, exam))
}

/// A session's full exam (with its answer keys) and its start window.
async fn exam_and_window(
    db: &Db,
    session_id: &str,
) -> anyhow::Result<(Exam, vigil_exam::StartWindow, crate::time::Zone)> {
    let (session, exam) = session_exam(db, session_id).await?;
    let window = vigil_exam::StartWindow::new(
        &exam,
        &vigil_exam::Schedule {
            starts_at_ms: session.starts_at,
            grace_ms: Some(session.grace_ms),
        },
    )
    .context("the session's start window")?;
    Ok((exam, window, session.zone()))
}

/// Where one attempt stands ([`Progress`]), from its stored log and media;
/// `window` is its session's start window (the deadline of an attempt that
/// never started counts from the window's close).
async fn progress_of(
    db: &Db,
    exam: &Exam,
    window: &vigil_exam::StartWindow,
    attempt: &crate::db::AttemptRow,
    events: &[vigil_exam::Event],
    now: i64,
) -> anyhow::Result<Progress> {
    let stored = db.attempt_media(&attempt.id).await?;
    let missing = named_media(events)
        .iter()
        .filter(|sha| !stored.contains(*sha))
        .count();
    let submitted = events
        .iter()
        .any(|e| matches!(e.kind, vigil_exam::EventKind::Submit(_)));
    let started = attempt.started_at.unwrap_or(window.closes_at_ms);
    let sync_by = vigil_exam::deadlines_opened(
        exam,
        started,
        attempt.extra_time,
        attempt.questions_opened_at,
    )
    .sync_by_ms;
    Ok(Progress::of(
        attempt.started_at.is_some() || attempt.state != AttemptState::Registered,
        submitted,
        missing,
        now > sync_by,
    ))
}

/// Where one attempt stands for a reviewer (the attempt page's header).
pub async fn attempt_progress(
    db: &Db,
    attempt: &crate::db::AttemptRow,
    events: &[vigil_exam::Event],
    now: i64,
) -> anyhow::Result<Progress> {
    let (exam, window, _) = exam_and_window(db, &attempt.session_id).await?;
    progress_of(db, &exam, &window, attempt, events, now).await
}

/// When an attempt's data must have arrived (the engine's `sync_by`, from
/// the server's start, or from the window's close when it never started).
pub async fn sync_deadline(db: &Db, attempt: &crate::db::AttemptRow) -> anyhow::Result<i64> {
    let (exam, window, _) = exam_and_window(db, &attempt.session_id).await?;
    let started = attempt.started_at.unwrap_or(window.closes_at_ms);
    Ok(vigil_exam::deadlines_opened(
        &exam,
        started,
        attempt.extra_time,
        attempt.questions_opened_at,
    )
    .sync_by_ms)
}

/// Removes the partial uploads that can no longer complete: those of
/// attempts gone from the database (purged) or past their sync deadline at
/// `now`. `purge` runs it, and `serve` every [`PARTIAL_SWEEP_EVERY_MS`].
/// Returns the files and bytes removed.
pub async fn sweep_stale_partials(
    db: &Db,
    media_dir: &std::path::Path,
    now: i64,
) -> anyhow::Result<(u64, u64)> {
    let mut stale = std::collections::HashSet::new();
    for id in crate::media::partial_attempts(media_dir)? {
        let expired = match db.attempt(&id).await? {
            None => true,
            Some(a) => now > sync_deadline(db, &a).await?,
        };
        if expired {
            stale.insert(id);
        }
    }
    let dir = media_dir.to_owned();
    let swept = tokio::task::spawn_blocking(move || {
        crate::media::sweep_partials(&dir, |id| stale.contains(id))
    })
    .await??;
    Ok(swept)
}

/// How often `serve` sweeps stale partial uploads.
pub const PARTIAL_SWEEP_EVERY_MS: u64 = 10 * 60 * 1000;

/// Every media blob the log names (photos, room scan, evidence stills).
fn named_media(events: &[vigil_exam::Event]) -> std::collections::BTreeSet<String> {
    events
        .iter()
        .flat_map(crate::media::named_by)
        .filter(|(_, kind)| kind.is_some())
        .map(|(sha, _)| sha.to_owned())
        .collect()
}

impl SessionResults {
    /// The CSV: `candidate,state,progress,started_at,submitted_at`, the points of
    /// each section (`points_<section id>`), `points_total`, `max_points`,
    /// the `right,wrong,partial,blank` counts, `flags` (space
    /// separated) and `extra_time` (`yes`/`no`, the tiers-temps). Times are
    /// RFC 3339 with milliseconds in the session's time zone, its offset
    /// written (`2027-01-15T09:00:00.000+01:00`): a person reads the local
    /// time, a spreadsheet or a script the exact instant. Then the person
    /// (`person,family_name,given_name`, empty without one) and the latest
    /// decision: `decision` (empty: none yet), `counts` (`yes` for valid or
    /// incident, `no` for a sanction), `excluded_until`, `decided_by`,
    /// `decided_at`, `decision_reason`. An unscored attempt has
    /// empty score cells. Written by the `csv` crate
    /// ([`crate::spreadsheet::write`]), text cells neutralised
    /// ([`spreadsheet_safe`]).
    pub fn to_csv(&self) -> String {
        let mut header = vec![
            "candidate".to_owned(),
            "state".into(),
            "progress".into(),
            "started_at".into(),
            "submitted_at".into(),
        ];
        header.extend(
            self.exam
                .sections
                .iter()
                .map(|s| format!("points_{}", s.id)),
        );
        header.extend(
            [
                "points_total",
                "max_points",
                "right",
                "wrong",
                "partial",
                "blank",
                "flags",
                "extra_time",
                "person",
                "family_name",
                "given_name",
                "decision",
                "counts",
                "excluded_until",
                "decided_by",
                "decided_at",
                "decision_reason",
            ]
            .map(String::from),
        );
        let mut records = vec![header];
        let local = |t: i64| self.zone.rfc3339(t);
        for r in &self.rows {
            let mut cells = vec![
                spreadsheet_safe(&r.candidate),
                r.state.as_str().to_owned(),
                r.progress.as_str().to_owned(),
                r.started_at.map(&local).unwrap_or_default(),
                r.submitted_at.map(&local).unwrap_or_default(),
            ];
            match &r.score {
                Some(s) => {
                    cells.extend(s.sections.iter().map(|x| number(x.tally.points)));
                    let t = &s.total;
                    cells.push(number(t.points));
                    cells.push(number(t.max_points));
                    cells.extend([t.right, t.wrong, t.partial, t.blank].map(|n| n.to_string()));
                }
                None => cells.extend((0..self.exam.sections.len() + 6).map(|_| String::new())),
            }
            cells.push(spreadsheet_safe(&r.flags.join(" ")));
            cells.push(if r.extra_time { "yes" } else { "no" }.to_owned());
            match &r.person {
                Some(p) => cells
                    .extend([&p.id, &p.family_name, &p.given_name].map(|t| spreadsheet_safe(t))),
                None => cells.extend([String::new(), String::new(), String::new()]),
            }
            match &r.decision {
                Some(d) => {
                    cells.push(spreadsheet_safe(&d.decision));
                    cells.push(match d.kind() {
                        Some(k) if k.counts() => "yes".into(),
                        Some(_) => "no".into(),
                        None => String::new(),
                    });
                    cells.push(d.excluded_until.map(&local).unwrap_or_default());
                    cells.push(spreadsheet_safe(&d.proctor));
                    cells.push(local(d.at));
                    cells.push(spreadsheet_safe(&d.comment));
                }
                None => cells.extend((0..6).map(|_| String::new())),
            }
            records.push(cells);
        }
        crate::spreadsheet::write(records)
    }
}

pub use crate::time::rfc3339;

/// Points without float noise: at most 4 decimals, trailing zeros removed.
fn number(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

pub use crate::spreadsheet::spreadsheet_safe;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_times_and_quoting() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.75), "0.75");
        assert_eq!(number(-0.25), "-0.25");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-0.0), "0");
        assert_eq!(rfc3339(1_800_000_000_000), "2027-01-15T08:00:00.000Z");
        assert_eq!(
            crate::spreadsheet::write([["a", "b,c", "say \"hi\""]]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\n"
        );
    }
}
