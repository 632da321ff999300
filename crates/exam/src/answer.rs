//! A candidate's answer to one question, and its checks against the question.
//!
//! The answer is data carried in `answer` events, so it has one canonical
//! form: multiple-choice indices strictly increasing, numbers finite, text
//! within [`crate::limits::MAX_ANSWER_TEXT_LEN`]. [`Answer::normalize`] puts a
//! command's answer in that form; [`Answer::check`] refuses anything else,
//! naming the reason. Its JSON keys are written sorted (a hand-written
//! `Serialize`), as the canonical event encoding requires.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::definition::{Question, QuestionType};
use crate::limits::{MAX_ANSWER_TEXT_LEN, MAX_NUMERIC};

/// An answer. JSON: `{"choice":1,"type":"single"}`,
/// `{"choices":[0,2],"type":"multiple"}`, `{"type":"numeric","value":3.5}`,
/// `{"text":"Loire","type":"text"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    Single { choice: u32 },
    Multiple { choices: Vec<u32> },
    Numeric { value: f64 },
    Text { text: String },
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Answer", 2)?;
        match self {
            Answer::Single { choice } => {
                st.serialize_field("choice", choice)?;
                st.serialize_field("type", "single")?;
            }
            Answer::Multiple { choices } => {
                st.serialize_field("choices", choices)?;
                st.serialize_field("type", "multiple")?;
            }
            Answer::Numeric { value } => {
                st.serialize_field("type", "numeric")?;
                st.serialize_field("value", value)?;
            }
            Answer::Text { text } => {
                st.serialize_field("text", text)?;
                st.serialize_field("type", "text")?;
            }
        }
        st.end()
    }
}

impl Answer {
    /// The canonical form: multiple-choice indices sorted (duplicates are left
    /// for [`Answer::check`] to refuse), text trimmed.
    pub fn normalize(self) -> Answer {
        match self {
            Answer::Multiple { mut choices } => {
                choices.sort_unstable();
                Answer::Multiple { choices }
            }
            Answer::Text { text } => Answer::Text {
                text: text.trim().to_string(),
            },
            other => other,
        }
    }

    /// Whether this answer fits `question` and is in canonical form.
    pub fn check(&self, question: &Question) -> Result<(), String> {
        let n = question.choices.len();
        match (self, question.kind) {
            (Answer::Single { choice }, QuestionType::Single) => {
                if *choice as usize >= n {
                    return Err(format!("choice index {choice} out of range ({n} choices)"));
                }
            }
            (Answer::Multiple { choices }, QuestionType::Multiple) => {
                if choices.is_empty() {
                    return Err("no choice selected (clear the answer instead)".into());
                }
                if let Some(c) = choices.iter().find(|c| **c as usize >= n) {
                    return Err(format!("choice index {c} out of range ({n} choices)"));
                }
                if choices.windows(2).any(|w| w[0] >= w[1]) {
                    return Err("choice indices must be strictly increasing".into());
                }
            }
            (Answer::Numeric { value }, QuestionType::Numeric) => {
                if !(value.is_finite() && value.abs() <= MAX_NUMERIC) {
                    return Err(format!(
                        "{value} is not a finite number ≤ {MAX_NUMERIC:e} in size"
                    ));
                }
            }
            (Answer::Text { text }, QuestionType::Text) => {
                if text.trim().is_empty() || text.trim() != text {
                    return Err("text must be non-empty and trimmed".into());
                }
                if text.len() > MAX_ANSWER_TEXT_LEN {
                    return Err(format!(
                        "text too long: {} bytes (max {MAX_ANSWER_TEXT_LEN})",
                        text.len()
                    ));
                }
            }
            (a, k) => return Err(format!("a {} answer to a {k:?} question", a.type_name())),
        }
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        match self {
            Answer::Single { .. } => "single",
            Answer::Multiple { .. } => "multiple",
            Answer::Numeric { .. } => "numeric",
            Answer::Text { .. } => "text",
        }
    }
}

/// Parse a number typed by a candidate: surrounding spaces ignored, `,` or
/// `.` as decimal separator, spaces (also U+00A0/U+202F) as thousands
/// separators, optional sign. `None` for anything else, NaN or infinities.
pub fn parse_number(input: &str) -> Option<f64> {
    let s: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| {
            if c == ',' {
                '.'
            } else if c == '−' {
                '-'
            } else {
                c
            }
        })
        .collect();
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
        && s.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}
