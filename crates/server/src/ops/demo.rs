//! `vigil-server demo`: a fresh demo session, its logins printed and
//! optionally written as JSON (`target/demo.json` for `cargo xtask demo`),
//! then served like `serve`.
//!
//! Two steps, so the logins are on screen even if writing the file fails:
//! [`create`], then [`write_logins`]. The session itself is
//! [`crate::demo::create_demo`], which tests use directly.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{read_text, write_file, DbLocation};
use crate::auth::CodeHashing;
use crate::db::Db;
use crate::demo::{create_demo, DemoInfo};

/// The demo session just created, and the database it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCreated {
    pub info: DemoInfo,
    /// The database, as printed (no password).
    pub database: String,
}

/// What demo to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// The exam, a TOML file.
    pub exam: PathBuf,
    /// Seconds from now until the start window opens.
    pub start_in_s: u32,
    /// How many candidates to create.
    pub candidates: usize,
    /// The app's URL, printed and written with the logins.
    pub url: String,
}

/// Creates a demo session as `options` say, its window opening
/// `options.start_in_s` seconds after `now`.
pub async fn create(
    db: &Db,
    hashing: &CodeHashing,
    options: &DemoOptions,
    at: &DbLocation,
    now: i64,
) -> anyhow::Result<DemoCreated> {
    let text = read_text(&options.exam, "reading exam")?;
    let info = create_demo(
        db,
        hashing,
        &text,
        now,
        i64::from(options.start_in_s) * 1000,
        options.candidates,
        options.url.clone(),
    )
    .await?;
    Ok(DemoCreated {
        info,
        database: at.label.clone(),
    })
}

impl fmt::Display for DemoCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = &self.info;
        writeln!(f)?;
        writeln!(f, "Vigil demo")?;
        writeln!(f, "  URL:       {}", info.url)?;
        writeln!(f, "  database:  {}", self.database)?;
        writeln!(f, "  exam:      {}", info.exam)?;
        writeln!(f, "  session:   {}", info.session)?;
        writeln!(f, "  start code (offline unlock): {}", info.start_code)?;
        writeln!(f, "  candidates (id / code):")?;
        for c in &info.candidates {
            writeln!(f, "    {}  {}", c.id, c.code)?;
        }
        writeln!(f)
    }
}

/// The demo logins written to a file (`--out`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginsWritten(pub PathBuf);

impl fmt::Display for LoginsWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Demo logins written to {}", self.0.display())
    }
}

/// Writes the demo's URL, session and logins to `path` as JSON (making its
/// folder if needed).
pub fn write_logins(info: &DemoInfo, path: &Path) -> anyhow::Result<LoginsWritten> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_file(path, &serde_json::to_string_pretty(info)?)?;
    Ok(LoginsWritten(path.to_owned()))
}
