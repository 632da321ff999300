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
//! checks that again, and that every item of the check is there
//! ([`passed`]).
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

/// Whether a run passed: every item of the system check present
/// ([`vigil_exam::CHECK_ITEMS`]) and none failed (warnings allowed, as in
/// the app). A run that leaves an item out — only a modified app can —
/// did not pass.
pub fn passed(results: &[CheckResult]) -> bool {
    vigil_exam::CHECK_ITEMS
        .iter()
        .all(|item| results.iter().any(|r| r.item == *item))
        && results.iter().all(|r| r.status != CheckStatus::Fail)
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

    fn run(statuses: &[CheckStatus]) -> Vec<CheckResult> {
        vigil_exam::CHECK_ITEMS
            .iter()
            .zip(statuses.iter().chain(std::iter::repeat(&CheckStatus::Pass)))
            .map(|(item, status)| CheckResult {
                item: (*item).into(),
                status: *status,
                detail: String::new(),
            })
            .collect()
    }

    #[test]
    fn a_run_passes_with_every_item_and_no_failure() {
        assert!(passed(&run(&[CheckStatus::Pass, CheckStatus::Warn])));
        assert!(!passed(&run(&[CheckStatus::Pass, CheckStatus::Fail])));
        assert!(!passed(&[]));
        // Only the camera, passed: a run with items left out (#31).
        assert!(!passed(&[check(CheckStatus::Pass)]));
        let mut missing_storage = run(&[]);
        missing_storage.pop();
        assert!(!passed(&missing_storage));
        // An unknown extra item does not hurt; its failure does.
        let mut extra = run(&[]);
        extra.push(CheckResult {
            item: "gpu".into(),
            status: CheckStatus::Warn,
            detail: String::new(),
        });
        assert!(passed(&extra));
    }
}
