//! `vigil-server sanctions export [--out FILE]`: the referrals to the
//! Ministry's exams service, as CSV — every attempt whose latest decision
//! is `excluded` or `reported` ([`crate::sanctions`]), with the person.

use std::fmt;
use std::path::{Path, PathBuf};

use super::write_file;
use crate::db::{Db, ReferralRow};
use crate::spreadsheet::spreadsheet_safe;
use crate::time::rfc3339;

/// The referrals, exported.
#[derive(Debug, Clone, PartialEq)]
pub struct SanctionsExported {
    pub csv: String,
    /// Referrals (rows) in it.
    pub referrals: usize,
    /// The file it was written to (`--out`); `None`: printed.
    pub written_to: Option<PathBuf>,
}

impl fmt::Display for SanctionsExported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.written_to {
            Some(path) => writeln!(
                f,
                "{} referrals written to {}",
                self.referrals,
                path.display()
            ),
            None => f.write_str(&self.csv),
        }
    }
}

/// The CSV's columns.
pub const COLUMNS: [&str; 12] = [
    "person",
    "family_name",
    "given_name",
    "email",
    "session",
    "candidate",
    "attempt",
    "decision",
    "excluded_until",
    "decided_by",
    "decided_at",
    "reason",
];

/// The referrals as CSV: times RFC 3339 UTC, text cells neutralised for
/// spreadsheets, a candidate without a person with empty person cells.
pub fn to_csv(rows: &[ReferralRow]) -> String {
    let text = |t: &Option<String>| t.as_deref().map(spreadsheet_safe).unwrap_or_default();
    let records = rows.iter().map(|r| {
        vec![
            text(&r.person_id),
            text(&r.family_name),
            text(&r.given_name),
            text(&r.email),
            spreadsheet_safe(&r.session_id),
            spreadsheet_safe(&r.candidate_id),
            spreadsheet_safe(&r.attempt_id),
            spreadsheet_safe(&r.decision),
            r.excluded_until.map(rfc3339).unwrap_or_default(),
            spreadsheet_safe(&r.proctor),
            rfc3339(r.at),
            spreadsheet_safe(&r.comment),
        ]
    });
    let header = COLUMNS.map(String::from).to_vec();
    crate::spreadsheet::write(std::iter::once(header).chain(records))
}

/// Lists the referrals, and writes them to `out` if given.
pub async fn export(db: &Db, out: Option<&Path>) -> anyhow::Result<SanctionsExported> {
    let rows = db.referrals().await?;
    let csv = to_csv(&rows);
    if let Some(path) = out {
        write_file(path, &csv)?;
    }
    Ok(SanctionsExported {
        csv,
        referrals: rows.len(),
        written_to: out.map(Path::to_owned),
    })
}
