//! The hardware pre-check that counts: who validated the system check
//! before the day, when, and whether in time.
//!
//! A candidate who runs the system check while signed in records a
//! `checks` event (each check's verdict and measured value: browser,
//! camera, microphone, network, memory, screens, storage), which the sync
//! brings to the server like any event, whether or not the exam has
//! started. That stored event is the pre-check record: nothing new to
//! trust, and it is in the hash chain. The app records it only when no
//! check failed (the candidate cannot continue otherwise), and the server
//! checks that again.
//!
//! **Time.** What counts is when the server stored it, not the time the
//! event carries: a log's times come from the candidate's machine, and a
//! check run offline on Sunday and synced on Wednesday was not known to
//! the organiser on Sunday. In time means stored at least
//! `timing.precheck_deadline_h` hours before the session's start.

use std::collections::HashMap;

use vigil_exam::{CheckResult, CheckStatus, EventKind, Exam};

use crate::db::Db;

/// A candidate's pre-check as the session page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precheck {
    /// When the server stored the first check run with no failure (the
    /// validation), or `None`.
    pub validated_at: Option<i64>,
    /// Whether that was at least the deadline before the start.
    pub in_time: bool,
    /// The latest run's results, whatever its outcome.
    pub latest: Vec<CheckResult>,
    /// When the server stored the latest run.
    pub latest_at: i64,
}

impl Precheck {
    /// `validated`, `late` or `failed`: the session page's `data-precheck`.
    pub fn word(&self) -> &'static str {
        match (self.validated_at, self.in_time) {
            (Some(_), true) => "validated",
            (Some(_), false) => "late",
            (None, _) => "failed",
        }
    }
}

/// The latest instant a pre-check counts as in time for a session that
/// starts at `starts_at`.
pub fn deadline(exam: &Exam, starts_at: i64) -> i64 {
    let hours = i64::try_from(exam.timing.precheck_deadline_h).unwrap_or(i64::MAX / 3_600_000);
    starts_at.saturating_sub(hours.saturating_mul(3_600_000))
}

/// Whether a run passed: no check failed (warnings allowed, as in the app).
pub fn passed(results: &[CheckResult]) -> bool {
    !results.is_empty() && results.iter().all(|r| r.status != CheckStatus::Fail)
}

/// Every candidate's pre-check in a session, by candidate id (candidates
/// who never ran the check while signed in are absent).
pub async fn session_prechecks(
    db: &Db,
    exam: &Exam,
    session_id: &str,
    starts_at: i64,
) -> anyhow::Result<HashMap<String, Precheck>> {
    let due = deadline(exam, starts_at);
    let mut out: HashMap<String, Precheck> = HashMap::new();
    for (candidate, stored_at, event) in db.session_checks(session_id).await? {
        let EventKind::Checks(body) = event.kind else {
            continue;
        };
        let ok = passed(&body.results);
        let entry = out.entry(candidate).or_insert_with(|| Precheck {
            validated_at: None,
            in_time: false,
            latest: Vec::new(),
            latest_at: stored_at,
        });
        if ok && entry.validated_at.is_none() {
            entry.validated_at = Some(stored_at);
            entry.in_time = stored_at <= due;
        }
        entry.latest = body.results;
        entry.latest_at = stored_at;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: CheckStatus) -> CheckResult {
        CheckResult {
            item: "camera".into(),
            status,
            detail: String::new(),
        }
    }

    #[test]
    fn a_run_passes_without_a_failure() {
        assert!(passed(&[
            check(CheckStatus::Pass),
            check(CheckStatus::Warn)
        ]));
        assert!(!passed(&[
            check(CheckStatus::Pass),
            check(CheckStatus::Fail)
        ]));
        assert!(!passed(&[]));
    }
}
