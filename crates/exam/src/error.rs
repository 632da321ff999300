//! Errors of the exam definition: decoding and validation.
//!
//! A refused definition always says *where* (a field path such as
//! `sections[2].questions[4].correct`) and *why*. Validation collects every
//! problem instead of stopping at the first, so an author fixes a file in one
//! pass. Errors of the other layers (start window, attempt, chain, replay) live
//! beside the code that raises them.

use std::fmt;

/// One problem in an exam definition: the field path and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the offending field, e.g. `sections[2].questions[4].correct`.
    pub field: String,
    /// Why it is refused, e.g. `choice index 5 out of range (4 choices)`.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why an exam definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The document is larger than [`crate::limits::MAX_DEFINITION_BYTES`].
    #[error("exam definition too large: {bytes} bytes (max {max})")]
    TooLarge { bytes: usize, max: usize },
    /// The document is not well-formed TOML/JSON or does not fit the format
    /// (unknown field, unknown question type, wrong value type).
    #[error("{format} syntax error at {path}: {message}")]
    Syntax {
        format: &'static str,
        path: String,
        message: String,
    },
    /// The document parsed but breaks a rule of the format.
    #[error("invalid exam definition: {}", join(.problems))]
    Invalid { problems: Vec<FieldError> },
}

fn join(problems: &[FieldError]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl DefinitionError {
    /// The field problems, empty for size or syntax errors.
    pub fn problems(&self) -> &[FieldError] {
        match self {
            DefinitionError::Invalid { problems } => problems,
            _ => &[],
        }
    }
}
