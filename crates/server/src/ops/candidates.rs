//! `vigil-server candidates import`, `mail`, `move` and `set`: registering a
//! roster in a session, mailing the convocations, printing a move (the
//! command calls [`crate::roster::move_person`] itself: nothing to add to
//! it), and changing one candidate's extra time before their start. The
//! rules are [`crate::roster`]'s and [`crate::mail`]'s.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{read_text, write_file};
use crate::auth::CodeHashing;
use crate::db::Db;
use crate::demo::CandidateLogin;
use crate::roster;

/// A roster registered: the logins, printed as CSV or written to a file.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterImported {
    pub session: String,
    /// The new candidates' logins.
    pub logins: Vec<CandidateLogin>,
    /// Registered candidates whose persons a re-import updated.
    pub updated: Vec<String>,
    /// Excluded persons registered by `--force`: `(person, until)`.
    pub forced: Vec<(String, i64)>,
    /// The file the logins were written to (`--out`); `None`: printed.
    pub written_to: Option<PathBuf>,
}

impl fmt::Display for RosterImported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.written_to {
            Some(path) => writeln!(
                f,
                "{} candidates registered in session {}; logins written to {}",
                self.logins.len(),
                self.session,
                path.display()
            )?,
            None => f.write_str(&roster::to_csv(&self.logins))?,
        }
        // After the CSV, on lines a spreadsheet reads as comments: the
        // logins above stay a valid file when there is nothing else.
        if !self.updated.is_empty() {
            writeln!(
                f,
                "# {} already registered: names and emails updated ({})",
                self.updated.len(),
                self.updated.join(", ")
            )?;
        }
        for (person, until) in &self.forced {
            writeln!(
                f,
                "# person {person} registered although excluded until {} (--force, recorded)",
                crate::time::paris_day(*until)
            )?;
        }
        Ok(())
    }
}

/// Registers the roster `file` (CSV) in `session`, all or nothing; the
/// logins go to `out` if given. `force`: the reason to register excluded
/// persons anyway (recorded).
pub async fn import(
    db: &Db,
    hashing: &CodeHashing,
    session: &str,
    file: &Path,
    out: Option<&Path>,
    force: Option<String>,
    now: i64,
) -> anyhow::Result<RosterImported> {
    let text = read_text(file, "reading")?;
    let done = roster::import(db, hashing, session, &text, &roster::Options { now, force })
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    if let Some(path) = out {
        write_file(path, &roster::to_csv(&done.registered))?;
    }
    Ok(RosterImported {
        session: session.to_owned(),
        logins: done.registered,
        updated: done.updated,
        forced: done.forced,
        written_to: out.map(Path::to_owned),
    })
}

/// A candidate's extra time, as just set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraTimeSet {
    pub session: String,
    pub candidate: String,
    pub extra_time: bool,
}

impl fmt::Display for ExtraTimeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = if self.extra_time {
            "granted"
        } else {
            "withdrawn"
        };
        writeln!(
            f,
            "Extra time {word} for candidate {} of session {}.",
            self.candidate, self.session
        )
    }
}

/// Grants or withdraws a candidate's extra time (before their start only).
pub async fn set_extra_time(
    db: &Db,
    session: &str,
    candidate: &str,
    extra_time: bool,
) -> anyhow::Result<ExtraTimeSet> {
    roster::set_extra_time(db, session, candidate, extra_time).await?;
    Ok(ExtraTimeSet {
        session: session.to_owned(),
        candidate: candidate.to_owned(),
        extra_time,
    })
}

/// A session's convocations, mailed ([`crate::mail`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailed {
    pub session: String,
    pub report: crate::mail::MailReport,
}

impl fmt::Display for Mailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        writeln!(
            f,
            "Session {}: {} convocations sent, {} sent before, {} failed.",
            self.session,
            r.sent.len(),
            r.already_sent.len(),
            r.failed.len()
        )?;
        for (candidate, why) in &r.failed {
            writeln!(f, "failed: {candidate}: {why} (run again to retry)")?;
        }
        for candidate in &r.unknown {
            writeln!(
                f,
                "unknown: {candidate}: an earlier run stopped while sending; check the SMTP \
                 server's log, then `--resend {candidate}` if it did not go"
            )?;
        }
        if !r.no_address.is_empty() {
            writeln!(f, "no email on the roster: {}", r.no_address.join(", "))?;
        }
        if !r.started.is_empty() {
            writeln!(f, "already started, not mailed: {}", r.started.join(", "))?;
        }
        Ok(())
    }
}

/// Mails the session's convocations with the settings of the environment.
pub async fn mail(
    db: &Db,
    hashing: &CodeHashing,
    session: &str,
    options: &crate::mail::MailOptions,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<Mailed> {
    let settings = crate::mail::MailSettings::from_env()?;
    let report =
        crate::mail::send_convocations(db, hashing, &settings, session, options, clock).await?;
    Ok(Mailed {
        session: session.to_owned(),
        report,
    })
}

impl fmt::Display for roster::Moved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&roster::to_csv(std::slice::from_ref(&self.login)))?;
        let why = match self.precheck_at {
            Some(at) => format!("pre-check validated {}", crate::time::paris(at)),
            None => "forced".to_owned(),
        };
        writeln!(
            f,
            "# person {} moved to session {} ({why}); attempt {} closed as technical_failure, \
             its data kept",
            self.person, self.to_session, self.from_attempt
        )
    }
}
