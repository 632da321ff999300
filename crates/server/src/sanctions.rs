//! The reviewer's decision on an attempt and the sanction it carries: the
//! rules, apart from where they are stored ([`crate::db`]) and shown
//! ([`crate::review`], [`crate::results`]).
//!
//! The reference procedure (TAGE Post Bac under remote surveillance) ends a
//! review in one of five ways, each with a mandatory reason and kept as a
//! history (who, when; the latest counts):
//!
//! | decision      | meaning                                                   |
//! |---------------|-----------------------------------------------------------|
//! | `valid`       | nothing to report                                         |
//! | `incident`    | procès-verbal drawn up: incident noted, no sanction       |
//! | `invalidated` | the attempt does not count                                |
//! | `excluded`    | invalidated, and the person may not sit the tests until a date, at most [`MAX_EXCLUSION_YEARS`] years after the decision |
//! | `reported`    | invalidated and referred to the Ministry's exams service |
//!
//! An exclusion is enforced where a person is registered: a roster line
//! naming an excluded person for a session that starts before the end is
//! refused ([`crate::roster`]) unless the operator forces it with a
//! reason, which is recorded. It needs a person (the roster's registration
//! number): a candidate without one cannot be excluded, since nothing
//! would recognise them in another session. The end is a date in Paris:
//! excluded until 1 June 2031 means allowed again from that day's first
//! instant, Paris time. Exclusions and referrals both go to the Ministry's
//! list (`vigil-server sanctions export`).

use jiff::civil::Date;
use jiff::ToSpan;

/// Longest exclusion, in years from the decision (the regulation's 5).
pub const MAX_EXCLUSION_YEARS: i16 = 5;
/// Longest reason, in bytes of UTF-8 (the decision form's comment).
pub const MAX_REASON_BYTES: usize = 2_000;

/// What the reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Valid,
    Incident,
    Invalidated,
    Excluded,
    Reported,
}

impl Decision {
    pub const ALL: [Decision; 5] = [
        Decision::Valid,
        Decision::Incident,
        Decision::Invalidated,
        Decision::Excluded,
        Decision::Reported,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Valid => "valid",
            Decision::Incident => "incident",
            Decision::Invalidated => "invalidated",
            Decision::Excluded => "excluded",
            Decision::Reported => "reported",
        }
    }

    pub fn parse(word: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == word)
    }

    /// The procès-verbal's words (French).
    pub fn french(self) -> &'static str {
        match self {
            Decision::Valid => "épreuve valide",
            Decision::Incident => "procès-verbal d'incident, sans sanction",
            Decision::Invalidated => "épreuve invalidée",
            Decision::Excluded => "épreuve invalidée, exclusion des épreuves",
            Decision::Reported => {
                "épreuve invalidée, signalement au service des examens du ministère"
            }
        }
    }

    /// The review page's words (English).
    pub fn english(self) -> &'static str {
        match self {
            Decision::Valid => "Valid: nothing to report",
            Decision::Incident => "Procès-verbal drawn up: incident noted, no sanction",
            Decision::Invalidated => "Invalidated",
            Decision::Excluded => "Invalidated and excluded from the tests until a date",
            Decision::Reported => "Invalidated and reported to the Ministry's exams service",
        }
    }

    /// Whether the attempt still counts.
    pub fn counts(self) -> bool {
        matches!(self, Decision::Valid | Decision::Incident)
    }

    /// Whether it goes to the Ministry's list.
    pub fn referred(self) -> bool {
        matches!(self, Decision::Excluded | Decision::Reported)
    }
}

/// A decision as the form sends it, checked: the reason is required, and
/// the end of an exclusion (a `YYYY-MM-DD` date) is after the decision and
/// at most [`MAX_EXCLUSION_YEARS`] years after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub decision: Decision,
    pub reason: String,
    /// For `excluded`: the first instant (ms) the person may sit again.
    pub excluded_until: Option<i64>,
}

/// Checks a decision taken at `now` (ms); the error says what is wrong.
pub fn check(
    decision: &str,
    reason: &str,
    until: Option<&str>,
    now: i64,
) -> Result<Checked, String> {
    let decision = Decision::parse(decision).ok_or_else(|| {
        format!(
            "decision must be one of {}, not {decision:?}",
            Decision::ALL.map(Decision::as_str).join(", ")
        )
    })?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("a reason is required for every decision".into());
    }
    if reason.len() > MAX_REASON_BYTES
        || reason
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(format!(
            "the reason must be at most {MAX_REASON_BYTES} bytes of text"
        ));
    }
    let until = until.map(str::trim).filter(|u| !u.is_empty());
    let excluded_until = match (decision, until) {
        (Decision::Excluded, None) => {
            return Err("an exclusion needs its end date (YYYY-MM-DD)".into())
        }
        (Decision::Excluded, Some(date)) => Some(exclusion_end(date, now)?),
        (_, Some(_)) => {
            return Err(format!(
                "an end date goes with an exclusion only, not with `{}`",
                decision.as_str()
            ))
        }
        (_, None) => None,
    };
    Ok(Checked {
        decision,
        reason: reason.to_owned(),
        excluded_until,
    })
}

/// The end of an exclusion decided at `now`: the first instant in Paris of
/// `date` (`YYYY-MM-DD`), which must be after today and no later than the
/// same day [`MAX_EXCLUSION_YEARS`] years on.
pub fn exclusion_end(date: &str, now: i64) -> Result<i64, String> {
    let parsed: Date = date
        .parse()
        .map_err(|_| format!("end date {date:?}: expected YYYY-MM-DD"))?;
    let today = crate::time::paris_date(now)
        .ok_or_else(|| "the server's clock is out of range".to_owned())?;
    if parsed <= today {
        return Err(format!("end date {parsed} is not after today ({today})"));
    }
    let latest = today
        .checked_add(MAX_EXCLUSION_YEARS.years())
        .map_err(|_| "the server's clock is out of range".to_owned())?;
    if parsed > latest {
        return Err(format!(
            "end date {parsed}: an exclusion lasts at most {MAX_EXCLUSION_YEARS} years (until \
             {latest})"
        ));
    }
    crate::time::paris_midnight(parsed).ok_or_else(|| format!("end date {parsed} out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2027-01-15T08:00:00Z, 09:00 in Paris.
    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn every_decision_needs_a_reason() {
        for d in Decision::ALL {
            let until = (d == Decision::Excluded).then_some("2029-01-01");
            let err = check(d.as_str(), "  ", until, NOW).unwrap_err();
            assert!(err.contains("reason is required"), "{d:?}: {err}");
            let ok = check(d.as_str(), " copied ", until, NOW).unwrap();
            assert_eq!((ok.decision, ok.reason.as_str()), (d, "copied"));
        }
        let err = check("banned", "x", None, NOW).unwrap_err();
        assert!(
            err.contains("valid, incident, invalidated, excluded, reported"),
            "{err}"
        );
    }

    #[test]
    fn an_exclusion_ends_on_a_date_within_five_years() {
        let today = crate::time::paris_date(NOW).unwrap();
        assert_eq!(today.to_string(), "2027-01-15");
        let ok = check("excluded", "fraud", Some("2032-01-15"), NOW).unwrap();
        // Midnight in Paris (UTC+1 in winter).
        assert_eq!(
            crate::time::rfc3339(ok.excluded_until.unwrap()),
            "2032-01-14T23:00:00.000Z"
        );
        // In summer time, UTC+2.
        let summer = exclusion_end("2028-07-01", NOW).unwrap();
        assert_eq!(crate::time::rfc3339(summer), "2028-06-30T22:00:00.000Z");
        for (until, want) in [
            (None, "needs its end date"),
            (Some("2032-01-16"), "at most 5 years (until 2032-01-15)"),
            (Some("2027-01-15"), "not after today"),
            (Some("2026-12-31"), "not after today"),
            (Some("15/01/2030"), "expected YYYY-MM-DD"),
            (Some("2030-02-30"), "expected YYYY-MM-DD"),
        ] {
            let err = check("excluded", "fraud", until, NOW).unwrap_err();
            assert!(err.contains(want), "{until:?}: {err}");
        }
        let err = check("reported", "fraud", Some("2030-01-01"), NOW).unwrap_err();
        assert!(err.contains("exclusion only"), "{err}");
    }

    #[test]
    fn what_counts_and_what_is_referred() {
        let counted: Vec<_> = Decision::ALL.into_iter().filter(|d| d.counts()).collect();
        assert_eq!(counted, [Decision::Valid, Decision::Incident]);
        let referred: Vec<_> = Decision::ALL.into_iter().filter(|d| d.referred()).collect();
        assert_eq!(referred, [Decision::Excluded, Decision::Reported]);
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
    }
}
