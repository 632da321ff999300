//! `vigil-server exam import FILE`: an exam written in TOML, validated by
//! the engine and stored (again: replaced).

use std::fmt;
use std::path::Path;

use anyhow::Context;
use vigil_exam::ExamSummary;

use super::read_text;
use crate::db::Db;

/// The exam just imported.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamImported(pub ExamSummary);

impl fmt::Display for ExamImported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        writeln!(
            f,
            "Imported exam {} \"{}\": {} sections, {} questions, {} min",
            s.id,
            s.title,
            s.section_count,
            s.question_count,
            s.duration_ms / 60_000
        )
    }
}

/// Reads, validates and stores the exam of `file`.
pub async fn import(db: &Db, file: &Path, now: i64) -> anyhow::Result<ExamImported> {
    let text = read_text(file, "reading")?;
    let summary = crate::demo::import_exam(db, &text, now)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    Ok(ExamImported(summary))
}
