//! Results of a session: one CSV row per candidate, scored by the engine.
//!
//! The server never trusts a score computed by the app: it replays each
//! attempt's stored, chain-verified event log against the FULL exam (the
//! `exams` table keeps the definition with its answer keys; candidates only
//! ever receive the redacted copy) and scores the resulting state with
//! `vigil_exam::score`. Used by `vigil-server results export` and by the
//! proctors' results download.

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use vigil_exam::{Exam, ScoreReport};

use crate::db::Db;

/// One candidate's line of the results.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub candidate: String,
    /// The attempt id (links the review pages).
    pub attempt: String,
    /// The attempt's state as the server tracks it (`registered`,
    /// `in_progress`, `submitted`, …).
    pub state: String,
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
}

/// A session's results: the exam (for the section columns) and the rows.
#[derive(Debug, Clone)]
pub struct SessionResults {
    pub exam: Exam,
    pub rows: Vec<ResultRow>,
}

/// Replays and scores every attempt of `session_id`.
pub async fn session_results(db: &Db, session_id: &str) -> anyhow::Result<SessionResults> {
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
            match vigil_exam::replay(&exam, &events) {
                Ok(state) => {
                    submitted_at = state.submitted_at_ms;
                    incidents = state.incidents.len();
                    if state.started_at_ms.is_some() {
                        score = Some(vigil_exam::score(&exam, &state));
                    }
                }
                Err(e) => {
                    tracing::warn!(attempt = %attempt.id, error = %e, "replay failed");
                    flags.push("replay_failed".into());
                }
            }
        }
        flags.sort();
        flags.dedup();
        rows.push(ResultRow {
            candidate: attempt.candidate_id,
            attempt: attempt.id,
            state: attempt.state,
            started_at: attempt.started_at,
            submitted_at,
            score,
            flags,
            incidents,
        });
    }
    Ok(SessionResults { exam, rows })
}

impl SessionResults {
    /// The CSV: `candidate,state,started_at,submitted_at`, the points of
    /// each section (`points_<section id>`), `points_total`, `max_points`,
    /// the `right,wrong,partial,blank` counts, and `flags` (space
    /// separated). Times are RFC 3339 UTC; an unscored attempt has empty
    /// score cells.
    pub fn to_csv(&self) -> String {
        let mut header = vec![
            "candidate".to_owned(),
            "state".into(),
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
            ]
            .map(String::from),
        );
        let mut out = csv_line(&header);
        for r in &self.rows {
            let mut cells = vec![
                r.candidate.clone(),
                r.state.clone(),
                r.started_at.map(rfc3339).unwrap_or_default(),
                r.submitted_at.map(rfc3339).unwrap_or_default(),
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
            cells.push(r.flags.join(" "));
            out.push_str(&csv_line(&cells));
        }
        out
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC (`2026-06-01T09:00:00.000Z`).
pub fn rfc3339(ms: i64) -> String {
    let t = if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    };
    humantime::format_rfc3339_millis(t).to_string()
}

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

/// One CSV record (RFC 4180: fields with `,` `"` or line breaks quoted).
fn csv_line(cells: &[String]) -> String {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&c.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(c);
        }
    }
    line.push('\n');
    line
}

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
            csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into()]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\n"
        );
    }
}
