//! Every time the server writes for a person (pages, reports, exports,
//! error messages), formatted without ever failing.
//!
//! Times are stored as milliseconds since the Unix epoch, and many of them
//! come from a candidate's log: `-1`, `i64::MAX` or anything between may be
//! stored (the chain verifies bytes, not plausibility). A formatter that
//! panics on one of them would take a whole session's pages down, so each
//! function here takes any `i64`: a time outside [`SHOWN`] (years 1970 to
//! 9999) is written as `invalid time (N ms)`, which tells the reader what is
//! odd instead of failing. chrono does the calendar arithmetic.

use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};

/// The times written as dates: 1970-01-01T00:00:00.000Z to
/// 9999-12-31T23:59:59.999Z.
pub const SHOWN: RangeInclusive<i64> = 0..=253_402_300_799_999;

fn datetime(ms: i64) -> Option<DateTime<Utc>> {
    if SHOWN.contains(&ms) {
        DateTime::from_timestamp_millis(ms)
    } else {
        None
    }
}

fn invalid(ms: i64) -> String {
    format!("invalid time ({ms} ms)")
}

/// `2026-06-01T09:00:00.000Z` (exports, review pages).
pub fn rfc3339(ms: i64) -> String {
    datetime(ms).map_or_else(
        || invalid(ms),
        |t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    )
}

/// `2026-06-01T09:00:00Z` (messages).
pub fn rfc3339_seconds(ms: i64) -> String {
    datetime(ms).map_or_else(
        || invalid(ms),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// `15/01/2027 08:00:10 UTC`: a time as a French report writes it.
pub fn datetime_fr(ms: i64) -> String {
    datetime(ms).map_or_else(
        || format!("heure invalide ({ms} ms)"),
        |t| t.format("%d/%m/%Y %H:%M:%S UTC").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_range_are_written_as_dates() {
        assert_eq!(rfc3339(1_800_000_000_000), "2027-01-15T08:00:00.000Z");
        assert_eq!(rfc3339_seconds(1_800_000_000_123), "2027-01-15T08:00:00Z");
        assert_eq!(datetime_fr(1_800_000_010_000), "15/01/2027 08:00:10 UTC");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(*SHOWN.end()), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn any_other_time_says_it_is_invalid() {
        for ms in [-1, i64::MIN, i64::MAX, *SHOWN.end() + 1] {
            assert_eq!(rfc3339(ms), format!("invalid time ({ms} ms)"));
            assert_eq!(rfc3339_seconds(ms), format!("invalid time ({ms} ms)"));
            assert!(datetime_fr(ms).starts_with("heure invalide"));
        }
    }
}
