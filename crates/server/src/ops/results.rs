//! `vigil-server results export SESSION [--out FILE]`: the session's
//! results CSV ([`crate::results`]), printed or written to a file.

use std::fmt;
use std::path::{Path, PathBuf};

use super::write_file;
use crate::db::Db;

/// A session's results, exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsExported {
    pub session: String,
    /// The CSV, one row per candidate after the header.
    pub csv: String,
    /// Candidates (rows) in it.
    pub candidates: usize,
    /// The file it was written to (`--out`); `None`: printed.
    pub written_to: Option<PathBuf>,
}

impl fmt::Display for ResultsExported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.written_to {
            Some(path) => writeln!(
                f,
                "Results of {} candidates of session {} written to {}",
                self.candidates,
                self.session,
                path.display()
            ),
            None => f.write_str(&self.csv),
        }
    }
}

/// Scores the session at `now` and writes the CSV to `out` if given.
pub async fn export(
    db: &Db,
    session: &str,
    out: Option<&Path>,
    now: i64,
) -> anyhow::Result<ResultsExported> {
    let results = crate::results::session_results(db, session, now).await?;
    let csv = results.to_csv();
    if let Some(path) = out {
        write_file(path, &csv)?;
    }
    Ok(ResultsExported {
        session: session.to_owned(),
        csv,
        candidates: results.rows.len(),
        written_to: out.map(Path::to_owned),
    })
}
