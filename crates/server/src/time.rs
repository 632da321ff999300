//! Every time the server writes (pages, reports, exports, error
//! messages), formatted without ever failing; [`paris`] is the one helper
//! for the times a person reads on the server's pages and the report.
//!
//! Two kinds of times:
//! - for machines and logs (exports, JSON, command-line messages): RFC 3339
//!   in UTC, [`rfc3339`] (with milliseconds) and [`rfc3339_seconds`];
//! - for people (the proctors' pages, the procès-verbal): the wall-clock
//!   time in Paris, [`paris`], `15/01/2027 09:00:10 (heure de Paris)`.
//!   The exams this serves are French and their rules are read in French
//!   time; a page in UTC had every reader do the arithmetic, and get
//!   it wrong across a change of summer time. The zone is `Europe/Paris`
//!   from the IANA database compiled into the binary (jiff's
//!   `tzdb-bundle-always`), so the server shows the same times on a
//!   machine without `/usr/share/zoneinfo` (a slim container) and summer
//!   time (UTC+2 from the last Sunday of March, UTC+1 from the last Sunday
//!   of October) follows the database's rules. The hour repeated when
//!   summer time ends (02:00–03:00 comes twice) also says its offset.
//!
//! Times are stored as milliseconds since the Unix epoch, and many of them
//! come from a candidate's log: `-1`, `i64::MAX` or anything between may be
//! stored (the chain verifies bytes, not plausibility). A formatter that
//! panics on one of them would take a whole session's pages down, so each
//! function here takes any `i64`: a time outside [`SHOWN`] (1970 to the
//! last days of year 9999) is written as `invalid time (N ms)` (`heure invalide`
//! for [`paris`]), which tells the reader what is odd instead of failing.
//! jiff does the calendar and time-zone arithmetic.

use std::ops::RangeInclusive;
use std::sync::LazyLock;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// The times written as dates: 1970-01-01T00:00:00.000Z to
/// 9999-12-30T22:00:00.000Z, the last millisecond jiff takes (the last
/// instant that is still in year 9999 in every time zone).
pub const SHOWN: RangeInclusive<i64> = 0..=253_402_207_200_000;

/// The time zone of [`paris`].
pub const PARIS: &str = "Europe/Paris";

/// `Europe/Paris` from the bundled database, read once. `None` only if the
/// bundle lacked it, which [`tests`] rule out; [`paris`] then writes UTC
/// and says so rather than fail.
static PARIS_TZ: LazyLock<Option<TimeZone>> = LazyLock::new(|| match TimeZone::get(PARIS) {
    Ok(tz) => Some(tz),
    Err(e) => {
        tracing::error!(error = %e, "no {PARIS} time zone: times shown in UTC");
        None
    }
});

fn timestamp(ms: i64) -> Option<Timestamp> {
    if SHOWN.contains(&ms) {
        Timestamp::from_millisecond(ms).ok()
    } else {
        None
    }
}

fn invalid(ms: i64) -> String {
    format!("invalid time ({ms} ms)")
}

fn utc(t: Timestamp) -> DateTime {
    Offset::UTC.to_datetime(t)
}

/// `2026-06-01T09:00:00`
fn iso(d: DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// `01/06/2026 09:00:00`
fn french(d: DateTime) -> String {
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
        d.day(),
        d.month(),
        d.year(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// `UTC+2`, `UTC-3:30`.
fn offset_text(o: Offset) -> String {
    let s = o.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let (h, m) = (s.abs() / 3600, s.abs() / 60 % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// The first instant of `date` in Paris (midnight, or the first hour the
/// day has), in ms: how a date a person types ("excluded until 1 June
/// 2031") becomes a time. `None` if the zone is missing or the date is out
/// of range.
pub fn paris_midnight(date: jiff::civil::Date) -> Option<i64> {
    let tz = PARIS_TZ.as_ref()?;
    let midnight = date.to_datetime(jiff::civil::Time::midnight());
    let t = tz.to_ambiguous_timestamp(midnight).compatible().ok()?;
    Some(t.as_millisecond())
}

/// The calendar date in Paris at `ms`, `None` outside [`SHOWN`].
pub fn paris_date(ms: i64) -> Option<jiff::civil::Date> {
    let t = timestamp(ms)?;
    let tz = PARIS_TZ.as_ref()?;
    Some(tz.to_datetime(t).date())
}

/// `01/06/2031`: a date as a person reads it (an exclusion's end).
pub fn paris_day(ms: i64) -> String {
    match paris_date(ms) {
        Some(d) => format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year()),
        None => format!("date invalide ({ms} ms)"),
    }
}

/// `2026-06-01T09:00:00.000Z` (exports, JSON, command-line messages).
pub fn rfc3339(ms: i64) -> String {
    timestamp(ms).map_or_else(
        || invalid(ms),
        |t| {
            let d = utc(t);
            format!("{}.{:03}Z", iso(d), d.millisecond())
        },
    )
}

/// `2026-06-01T09:00:00Z` (API error messages).
pub fn rfc3339_seconds(ms: i64) -> String {
    timestamp(ms).map_or_else(|| invalid(ms), |t| format!("{}Z", iso(utc(t))))
}

/// `15/01/2027 09:00:10 (heure de Paris)`: a time as a person reads it on
/// the review pages and the procès-verbal, in Paris whatever the season.
/// In the hour that comes twice when summer time ends, the offset tells
/// which: `25/10/2026 02:30:00 (heure de Paris, UTC+2)`, then `UTC+1`.
/// A session in another zone shows its own ([`Zone::show`]).
pub fn paris(ms: i64) -> String {
    Zone::paris().show(ms)
}

/// A session's time zone (an IANA name, `Europe/Paris` by default): every
/// time a person reads about the session — its pages, the procès-verbal,
/// the convocation, the results CSV — is in it. Data and the API stay in
/// UTC milliseconds.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: Option<TimeZone>,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Zone {
    pub fn paris() -> Zone {
        Zone {
            name: PARIS.to_owned(),
            tz: PARIS_TZ.clone(),
        }
    }

    /// A zone of the bundled IANA database, or an error naming it.
    pub fn named(name: &str) -> Result<Zone, String> {
        match TimeZone::get(name) {
            Ok(tz) => Ok(Zone {
                name: name.to_owned(),
                tz: Some(tz),
            }),
            Err(_) => Err(format!(
                "unknown time zone {name:?}: expected an IANA name such as Europe/Paris or \
                 America/Martinique"
            )),
        }
    }

    /// The zone a session stored: one the server no longer knows (a
    /// database written by another build) shows in UTC and says so, rather
    /// than failing a page.
    pub fn stored(name: &str) -> Zone {
        Zone::named(name).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a session's time zone is unknown: times shown in UTC");
            Zone {
                name: name.to_owned(),
                tz: None,
            }
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `Paris`, `Martinique`: the place, from the zone's last part.
    pub fn place(&self) -> String {
        let place = self.name.rsplit('/').next().unwrap_or(&self.name);
        place.replace('_', " ")
    }

    /// `heure de Paris`, `heure de Martinique`.
    pub fn label(&self) -> String {
        format!("heure de {}", self.place())
    }

    /// The wall-clock date and time in the zone, `None` outside [`SHOWN`]
    /// or without the zone.
    pub fn datetime(&self, ms: i64) -> Option<DateTime> {
        Some(self.tz.as_ref()?.to_datetime(timestamp(ms)?))
    }

    /// `15/01/2027 09:00:10 (heure de Paris)`; in the hour that comes twice
    /// when summer time ends, the offset too.
    pub fn show(&self, ms: i64) -> String {
        let Some(t) = timestamp(ms) else {
            return format!("heure invalide ({ms} ms)");
        };
        let Some(tz) = self.tz.as_ref() else {
            return format!("{} (UTC)", french(utc(t)));
        };
        let local = tz.to_datetime(t);
        if tz.to_ambiguous_timestamp(local).is_ambiguous() {
            format!(
                "{} ({}, {})",
                french(local),
                self.label(),
                offset_text(tz.to_offset(t))
            )
        } else {
            format!("{} ({})", french(local), self.label())
        }
    }

    /// `2027-01-15T09:00:00.000+01:00`: RFC 3339 with the zone's offset at
    /// that instant (the results CSV): a spreadsheet or a script reads the
    /// instant exactly, a person reads the local time.
    pub fn rfc3339(&self, ms: i64) -> String {
        let (Some(t), Some(tz)) = (timestamp(ms), self.tz.as_ref()) else {
            return rfc3339(ms);
        };
        let d = tz.to_datetime(t);
        let secs = tz.to_offset(t).seconds();
        let sign = if secs < 0 { '-' } else { '+' };
        format!(
            "{}.{:03}{sign}{:02}:{:02}",
            iso(d),
            d.millisecond(),
            secs.abs() / 3600,
            secs.abs() / 60 % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Milliseconds of an RFC 3339 instant, for readable tests.
    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn times_in_range_are_written_as_dates() {
        assert_eq!(rfc3339(1_800_000_000_000), "2027-01-15T08:00:00.000Z");
        assert_eq!(rfc3339(1_800_000_000_123), "2027-01-15T08:00:00.123Z");
        assert_eq!(rfc3339_seconds(1_800_000_000_123), "2027-01-15T08:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(*SHOWN.end()), "9999-12-30T22:00:00.000Z");
        assert!(Timestamp::from_millisecond(*SHOWN.end()).is_ok());
        assert!(Timestamp::from_millisecond(*SHOWN.end() + 1).is_err());
        assert_eq!(paris(*SHOWN.end()), "30/12/9999 23:00:00 (heure de Paris)");
        assert_eq!(paris(0), "01/01/1970 01:00:00 (heure de Paris)");
    }

    #[test]
    fn paris_is_utc_plus_one_in_winter_and_plus_two_in_summer() {
        // Winter: 15 January 2027, 08:00:10 UTC is 09:00:10 in Paris.
        assert_eq!(
            paris(1_800_000_010_000),
            "15/01/2027 09:00:10 (heure de Paris)"
        );
        // Summer: 1 July 2026, 16:42:04 UTC is 18:42:04 in Paris.
        assert_eq!(
            paris(at("2026-07-01T16:42:04Z")),
            "01/07/2026 18:42:04 (heure de Paris)"
        );
        // Winter again by December: 17:42:04 UTC is 18:42:04.
        assert_eq!(
            paris(at("2026-12-01T17:42:04Z")),
            "01/12/2026 18:42:04 (heure de Paris)"
        );
        // The night summer time starts (29 March 2026): 02:00 does not
        // exist, 01:59:59 is followed by 03:00:00.
        assert_eq!(
            paris(at("2026-03-29T00:59:59Z")),
            "29/03/2026 01:59:59 (heure de Paris)"
        );
        assert_eq!(
            paris(at("2026-03-29T01:00:00Z")),
            "29/03/2026 03:00:00 (heure de Paris)"
        );
        // The night it ends (25 October 2026): 02:30 comes twice, and says
        // which.
        assert_eq!(
            paris(at("2026-10-25T00:30:00Z")),
            "25/10/2026 02:30:00 (heure de Paris, UTC+2)"
        );
        assert_eq!(
            paris(at("2026-10-25T01:30:00Z")),
            "25/10/2026 02:30:00 (heure de Paris, UTC+1)"
        );
        assert_eq!(
            paris(at("2026-10-25T02:00:00Z")),
            "25/10/2026 03:00:00 (heure de Paris)"
        );
    }

    #[test]
    fn the_zone_comes_from_the_bundled_database() {
        assert!(PARIS_TZ.is_some());
        assert_eq!(
            offset_text(Offset::from_seconds(-12_600).unwrap()),
            "UTC-3:30"
        );
    }

    #[test]
    fn any_other_time_says_it_is_invalid() {
        for ms in [-1, i64::MIN, i64::MAX, *SHOWN.end() + 1] {
            assert_eq!(rfc3339(ms), format!("invalid time ({ms} ms)"));
            assert_eq!(rfc3339_seconds(ms), format!("invalid time ({ms} ms)"));
            assert_eq!(paris(ms), format!("heure invalide ({ms} ms)"));
        }
    }
}
