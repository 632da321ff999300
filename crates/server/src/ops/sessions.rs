//! `vigil-server session create` and `session require-kiosk`: scheduling a
//! session of an imported exam (with its candidates and kiosk requirement,
//! if asked) and changing its kiosk requirement.
//!
//! Everything `create` can refuse from its arguments (the kiosk key, the
//! start time) is checked before the session is written.

use std::fmt;

use anyhow::Context;

use crate::auth::CodeHashing;
use crate::db::{Db, SessionRow};
use crate::demo::{self, CandidateLogin, CreatedSession};
use crate::kiosk;

/// What `session create` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The exam id, as imported.
    pub exam: String,
    /// The scheduled start, RFC 3339.
    pub start: String,
    /// Late-entry grace in minutes.
    pub grace_min: u32,
    /// Candidates to create with fresh codes (0: none).
    pub candidates: usize,
    /// The vigil-kiosk config key to require, as typed.
    pub kiosk_key: Option<String>,
    /// The IANA time zone people read its times in (default Europe/Paris).
    pub time_zone: Option<String>,
}

/// A session just created, with what was printed of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCreated {
    pub session: SessionRow,
    /// The start code, in clear only here.
    pub start_code: String,
    /// The kiosk config key required (normalised).
    pub kiosk_key: Option<String>,
    /// The logins of the candidates created.
    pub logins: Vec<CandidateLogin>,
}

impl fmt::Display for SessionCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zone = self.session.zone();
        writeln!(f, "Session {} created", self.session.id)?;
        writeln!(
            f,
            "Starts {} (time zone {})",
            zone.show(self.session.starts_at),
            zone.name()
        )?;
        writeln!(f, "Start code: {}", self.start_code)?;
        writeln!(
            f,
            "  (print it for the proctors; it unlocks the exam offline, see docs/architecture.md)"
        )?;
        if let Some(key) = &self.kiosk_key {
            writeln!(f, "Kiosk required: config key {key}")?;
        }
        if !self.logins.is_empty() {
            writeln!(f, "candidate,code")?;
            for c in &self.logins {
                writeln!(f, "{},{}", c.id, c.code)?;
            }
        }
        Ok(())
    }
}

/// Schedules the session, then requires its kiosk key and creates its
/// candidates. Should one of those last steps fail, the error names the
/// session already created and its start code.
pub async fn create(
    db: &Db,
    hashing: &CodeHashing,
    new: &NewSession,
    now: i64,
) -> anyhow::Result<SessionCreated> {
    // Checked before anything is created.
    let zone = new
        .time_zone
        .as_deref()
        .map(crate::time::Zone::named)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let kiosk_key = new
        .kiosk_key
        .as_deref()
        .map(kiosk::normalize_key)
        .transpose()?;
    let start = &new.start;
    let start = humantime::parse_rfc3339_weak(start)
        .with_context(|| format!("--start {start:?} is not an RFC 3339 time"))?;
    let starts_at = start
        .duration_since(std::time::UNIX_EPOCH)
        .context("--start is before 1970")?
        .as_millis() as i64;
    let CreatedSession {
        mut session,
        start_code,
    } = demo::create_session(
        db,
        &new.exam,
        starts_at,
        i64::from(new.grace_min) * 60_000,
        now,
    )
    .await?;
    let created = || {
        format!(
            "session {} was created (start code {start_code})",
            session.id
        )
    };
    if let Some(zone) = &zone {
        db.set_time_zone(&session.id, zone.name())
            .await
            .with_context(created)?;
        session.time_zone = zone.name().to_owned();
    }
    if let Some(key) = &kiosk_key {
        kiosk::require(db, &session.id, Some(key))
            .await
            .with_context(created)?;
    }
    let logins = if new.candidates > 0 {
        demo::create_candidates(db, hashing, &session.id, new.candidates)
            .await
            .with_context(created)?
    } else {
        Vec::new()
    };
    Ok(SessionCreated {
        session,
        start_code,
        kiosk_key,
        logins,
    })
}

/// A session's kiosk requirement, as just set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskRequirement {
    pub session: String,
    /// The key now required (`None`: any browser).
    pub key: Option<String>,
}

impl fmt::Display for KioskRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let session = &self.session;
        match self.key {
            Some(_) => writeln!(
                f,
                "Session {session}: the candidate API now requires vigil-kiosk with this \
                 config key"
            ),
            None => writeln!(f, "Session {session}: any browser may sit it"),
        }
    }
}

/// Requires `key` for the session's candidate API (`None`: any browser).
pub async fn require_kiosk(
    db: &Db,
    session: &str,
    key: Option<&str>,
) -> anyhow::Result<KioskRequirement> {
    kiosk::require(db, session, key).await?;
    Ok(KioskRequirement {
        session: session.to_owned(),
        key: key.map(kiosk::normalize_key).transpose()?,
    })
}
