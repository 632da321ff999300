//! The exam definition: what an author writes (TOML) and what the package
//! carries (JSON).
//!
//! One set of serde types serves both formats, so a TOML file and its JSON
//! form decode to the same [`Exam`]. Every struct denies unknown fields (a typo
//! is an error, not a silently ignored key), and decoding goes through
//! `serde_path_to_error` so a syntax error also names its field (feature
//! `error-paths`, on by default; the candidate's app, which only decodes
//! packages the server validated, leaves it out to stay small). Decoding
//! always validates (see [`crate::validate`]); an `Exam` obtained from
//! [`Exam::from_toml`] or [`Exam::from_json`] is known to be valid.
//!
//! Durations are authored in whole seconds (`duration_s`, `time_limit_s`) and
//! exposed in milliseconds, the unit of every clock in the engine.
//!
//! Translations: any translatable item (exam, section, passage, question) may
//! carry an `i18n` table keyed by language tag, e.g. `[i18n.en]`, whose fields
//! (`title`, `instructions`, `text`, `choices`, `rules`) replace the original
//! text when shown in that language. Choice order never changes, so answers
//! and scoring do not depend on the display language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::DefinitionError;
use crate::limits::MAX_DEFINITION_BYTES;
use crate::proctoring::ProctoringPolicy;

/// A complete exam definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exam {
    /// Stable id of the exam (`[a-z0-9_-]`, at most [`crate::limits::MAX_ID_LEN`]).
    pub id: String,
    pub title: String,
    /// Language tag of the original text, e.g. `fr`.
    pub language: String,
    #[serde(default)]
    pub instructions: String,
    /// Rules shown to the candidate before the start.
    #[serde(default)]
    pub rules: Rules,
    pub timing: Timing,
    /// Exam-wide scoring; sections may override it.
    #[serde(default)]
    pub scoring: Scoring,
    /// Texts shared by several questions (referenced by `question.passage`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passages: Vec<Passage>,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub proctoring: ProctoringPolicy,
    /// True when the answer keys were removed ([`Exam::redact`]), e.g. for the
    /// copy shipped to the candidate's browser.
    #[serde(default, skip_serializing_if = "is_false")]
    pub redacted: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub i18n: BTreeMap<String, Translation>,
}

/// Rules shown to the candidate: allowed items, forbidden items, conduct.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conduct: Vec<String>,
}

/// Timing rules of the exam. The scheduled start is not here: it belongs to
/// the server's session (see [`crate::time::Schedule`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    /// Total duration in seconds, from the actual start.
    pub duration_s: u64,
    /// How long after the scheduled start a candidate may still start, in
    /// seconds. Default 0: a late candidate cannot sit.
    #[serde(default)]
    pub late_entry_grace_s: u64,
    /// Extra time granted to candidates with an accommodation.
    #[serde(default)]
    pub extra_time: ExtraTime,
    /// How long after the end the data must have reached the server, in
    /// seconds. Default 12 h.
    #[serde(default = "default_sync_deadline_s")]
    pub sync_deadline_s: u64,
    /// How long the identification steps after the start (ID document,
    /// face, head turn, room scan) may take, in seconds. The questions open
    /// when they are done, or at this bound whatever is missing: lingering
    /// never buys time. Default 10 minutes.
    #[serde(default = "default_identification_max_s")]
    pub identification_max_s: u64,
    /// How long before the start, at the latest, a candidate must have
    /// validated the hardware pre-check, in hours. The convocation says it
    /// and the session page tells who met it. Default 72 (TAGE Post Bac).
    #[serde(default = "default_precheck_deadline_h")]
    pub precheck_deadline_h: u64,
}

fn default_precheck_deadline_h() -> u64 {
    72
}

fn default_sync_deadline_s() -> u64 {
    12 * 3600
}

fn default_identification_max_s() -> u64 {
    600
}

/// Extra-time accommodation: `duration × (1 + numerator/denominator)`,
/// applied to the exam and to every timed section. Default 1/3 (tiers-temps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraTime {
    pub numerator: u32,
    pub denominator: u32,
}

impl Default for ExtraTime {
    fn default() -> Self {
        ExtraTime {
            numerator: 1,
            denominator: 3,
        }
    }
}

impl ExtraTime {
    /// `ms` extended by this rule when `extra` is true (rounded down to the ms).
    pub fn apply(&self, ms: i64, extra: bool) -> i64 {
        if !extra || self.denominator == 0 {
            return ms;
        }
        ms + ms * i64::from(self.numerator) / i64::from(self.denominator)
    }
}

/// Points for a right answer and penalty for a wrong one; blank is always 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Points for a right answer. Default 1.
    #[serde(default = "one")]
    pub right: f64,
    /// Points *subtracted* for a wrong answer (≥ 0). Default 0.
    #[serde(default)]
    pub wrong: f64,
    /// How multiple-choice questions earn partial credit.
    #[serde(default)]
    pub multiple: MultipleRule,
}

fn one() -> f64 {
    1.0
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            right: 1.0,
            wrong: 0.0,
            multiple: MultipleRule::AllOrNothing,
        }
    }
}

/// Partial-credit rule of multiple-choice questions (see `scoring` module).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultipleRule {
    /// Right only when the selected set equals the key; otherwise wrong.
    #[default]
    AllOrNothing,
    /// `right × max(0, hits − false picks) / |key|`; a result of 0 is wrong.
    Partial,
}

/// A text shared by several questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passage {
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub i18n: BTreeMap<String, Translation>,
}

/// A section: a group of questions, optionally with its own time limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub instructions: String,
    /// Own time limit in seconds, counted from the moment the section is
    /// entered. A timed section must be `no_return`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_s: Option<u64>,
    /// Once left, the section is locked, and the candidate may only move on to
    /// the next section.
    #[serde(default)]
    pub no_return: bool,
    /// When the section's time ends, move to the next section (or submit if it
    /// is the last). When false, the section merely locks. Default true.
    #[serde(default = "yes")]
    pub auto_advance: bool,
    /// Overrides the exam's scoring for this section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<Scoring>,
    pub questions: Vec<Question>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub i18n: BTreeMap<String, Translation>,
}

fn yes() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The type of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// One choice among `choices`; key `correct = INDEX`.
    Single,
    /// Any set of `choices`; key `correct = [INDEX, …]`.
    Multiple,
    /// A number; key `answer = VALUE`, `tolerance = ABS` (default 0).
    Numeric,
    /// A short text; key `accepted = ["…", …]`.
    Text,
}

/// The key of a choice question: one index or a set of indices (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Correct {
    One(u32),
    Many(Vec<u32>),
}

impl Correct {
    /// The key as a list of indices.
    pub fn indices(&self) -> Vec<u32> {
        match self {
            Correct::One(i) => vec![*i],
            Correct::Many(v) => v.clone(),
        }
    }
}

/// An image shown with a question (path inside the exam package).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub src: String,
    /// Text alternative, required for accessibility.
    pub alt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A question, addressed by its stable `id` (unique in the exam).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub text: String,
    /// Id of a passage shown with the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<Correct>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// Short text: compare case-sensitively. Default false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_sensitive: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub i18n: BTreeMap<String, Translation>,
}

/// Text of an item in another language; absent fields fall back to the
/// original.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Rules>,
}

/// What the server and the login screen need to know about an exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamSummary {
    pub id: String,
    pub title: String,
    pub language: String,
    pub duration_ms: i64,
    pub section_count: usize,
    pub question_count: usize,
    /// What the candidate reads and accepts before the start (the consent
    /// screen), by language: the exam's own and each translation. The
    /// questions stay sealed in the package; these texts travel at login.
    #[serde(default)]
    pub briefings: BTreeMap<String, Briefing>,
    /// The bound of the identification steps after the start (ms): the
    /// waiting room says it before the click.
    #[serde(default)]
    pub identification_max_ms: i64,
    /// How long before the start the hardware pre-check is due, in hours
    /// (`timing.precheck_deadline_h`): the convocation says it.
    #[serde(default = "default_precheck_deadline_h")]
    pub precheck_deadline_h: u64,
}

/// The exam's own instructions and rules in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Briefing {
    pub instructions: String,
    pub rules: Rules,
}

impl ExamSummary {
    /// The briefing in `lang`, else in the exam's own language.
    pub fn briefing(&self, lang: &str) -> Option<&Briefing> {
        self.briefings
            .get(lang)
            .or_else(|| self.briefings.get(&self.language))
    }
}

/// Where a question lives: section index and position in the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuestionRef {
    pub section: usize,
    pub position: usize,
}

impl Exam {
    /// Decode an authored TOML definition and validate it.
    pub fn from_toml(src: &str) -> Result<Exam, DefinitionError> {
        check_size(src)?;
        #[cfg(feature = "error-paths")]
        let exam: Exam =
            serde_path_to_error::deserialize(toml::Deserializer::new(src)).map_err(|e| {
                DefinitionError::Syntax {
                    format: "TOML",
                    path: e.path().to_string(),
                    message: e.inner().message().to_string(),
                }
            })?;
        #[cfg(not(feature = "error-paths"))]
        let exam: Exam = toml::from_str(src).map_err(|e| DefinitionError::Syntax {
            format: "TOML",
            path: ".".into(),
            message: e.message().to_string(),
        })?;
        exam.validate()?;
        Ok(exam)
    }

    /// Decode a JSON definition (as carried in the package) and validate it.
    pub fn from_json(src: &str) -> Result<Exam, DefinitionError> {
        check_size(src)?;
        let mut de = serde_json::Deserializer::from_str(src);
        #[cfg(feature = "error-paths")]
        let exam: Exam =
            serde_path_to_error::deserialize(&mut de).map_err(|e| DefinitionError::Syntax {
                format: "JSON",
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        #[cfg(not(feature = "error-paths"))]
        let exam: Exam =
            serde::Deserialize::deserialize(&mut de).map_err(|e| DefinitionError::Syntax {
                format: "JSON",
                path: ".".into(),
                message: e.to_string(),
            })?;
        de.end().map_err(|e| DefinitionError::Syntax {
            format: "JSON",
            path: ".".into(),
            message: e.to_string(),
        })?;
        exam.validate()?;
        Ok(exam)
    }

    /// Compact JSON, stable: fields in declaration order, maps sorted, no
    /// whitespace; `from_json(to_json())` gives back an equal exam.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an Exam always serializes")
    }

    /// Check every rule of the format (see [`crate::validate`]).
    pub fn validate(&self) -> Result<(), DefinitionError> {
        crate::validate::validate(self)
    }

    /// The exam as read in `lang` (a language tag such as `en`): every text
    /// with a translation in its `i18n.<lang>` table replaced by it, the
    /// others left in the original language. Ids, order, keys and timing
    /// are untouched, so answers and scores do not depend on the language
    /// the candidate reads. The original language (or a language with no
    /// translation at all) gives the exam unchanged.
    pub fn localized(&self, lang: &str) -> Exam {
        fn apply(t: Option<&Translation>, title: &mut String, instructions: &mut String) {
            if let Some(t) = t {
                if let Some(x) = &t.title {
                    title.clone_from(x);
                }
                if let Some(x) = &t.instructions {
                    instructions.clone_from(x);
                }
            }
        }
        let mut exam = self.clone();
        if lang == self.language {
            return exam;
        }
        apply(self.i18n.get(lang), &mut exam.title, &mut exam.instructions);
        if let Some(rules) = self.i18n.get(lang).and_then(|t| t.rules.clone()) {
            exam.rules = rules;
        }
        for p in &mut exam.passages {
            if let Some(t) = p.i18n.get(lang).cloned() {
                if let Some(x) = t.title {
                    p.title = x;
                }
                if let Some(x) = t.text {
                    p.text = x;
                }
            }
        }
        for s in &mut exam.sections {
            let t = s.i18n.get(lang).cloned();
            apply(t.as_ref(), &mut s.title, &mut s.instructions);
            for q in &mut s.questions {
                if let Some(t) = q.i18n.get(lang).cloned() {
                    if let Some(x) = t.text {
                        q.text = x;
                    }
                    // Validation guarantees as many translated choices.
                    if let Some(x) = t.choices.filter(|c| c.len() == q.choices.len()) {
                        q.choices = x;
                    }
                }
            }
        }
        exam
    }

    /// The summary shown at login and stored by the server.
    pub fn summary(&self) -> ExamSummary {
        let briefings = std::iter::once(&self.language)
            .chain(self.i18n.keys())
            .map(|lang| {
                let local = self.localized(lang);
                let briefing = Briefing {
                    instructions: local.instructions,
                    rules: local.rules,
                };
                (lang.clone(), briefing)
            })
            .collect();
        ExamSummary {
            id: self.id.clone(),
            title: self.title.clone(),
            language: self.language.clone(),
            duration_ms: self.duration_ms(false),
            section_count: self.sections.len(),
            question_count: self.question_count(),
            briefings,
            identification_max_ms: self.identification_max_ms(),
            precheck_deadline_h: self.timing.precheck_deadline_h,
        }
    }

    /// Number of questions in all sections.
    pub fn question_count(&self) -> usize {
        self.sections.iter().map(|s| s.questions.len()).sum()
    }

    /// Total duration in ms, with the extra-time rule applied when `extra`.
    pub fn duration_ms(&self, extra: bool) -> i64 {
        let ms = secs_to_ms(self.timing.duration_s);
        self.timing.extra_time.apply(ms, extra)
    }

    /// The bound of the identification steps after the start, in ms.
    pub fn identification_max_ms(&self) -> i64 {
        secs_to_ms(self.timing.identification_max_s)
    }

    /// Own time limit of section `index` in ms (extra time applied), if any.
    pub fn section_limit_ms(&self, index: usize, extra: bool) -> Option<i64> {
        let s = self.sections.get(index)?.time_limit_s?;
        Some(self.timing.extra_time.apply(secs_to_ms(s), extra))
    }

    /// Find a question by id.
    pub fn question(&self, id: &str) -> Option<(QuestionRef, &Question)> {
        self.sections.iter().enumerate().find_map(|(si, s)| {
            s.questions
                .iter()
                .enumerate()
                .find(|(_, q)| q.id == id)
                .map(|(qi, q)| {
                    (
                        QuestionRef {
                            section: si,
                            position: qi,
                        },
                        q,
                    )
                })
        })
    }

    /// Effective scoring of a section (its own, else the exam's).
    pub fn scoring_of(&self, section: usize) -> Scoring {
        self.sections
            .get(section)
            .and_then(|s| s.scoring)
            .unwrap_or(self.scoring)
    }

    /// A copy without answer keys, for shipping to the candidate's browser.
    /// It validates (with `redacted = true`) and replays like the original,
    /// but cannot be scored.
    pub fn redact(&self) -> Exam {
        let mut exam = self.clone();
        exam.redacted = true;
        for q in exam
            .sections
            .iter_mut()
            .flat_map(|s| s.questions.iter_mut())
        {
            q.correct = None;
            q.answer = None;
            q.tolerance = None;
            q.accepted.clear();
        }
        exam
    }

    /// The exam without its questions' content, for the time between the
    /// start and the server's opening of the questions (#31): the redacted
    /// exam with every question's text, choices, image and translations,
    /// and every passage's text, replaced by [`SEALED_TEXT`]. Its ids,
    /// types, sections, times and rules are the exam's, so the engine runs
    /// the start and the identification on it exactly as on the exam; the
    /// content comes with the questions key, which the server releases
    /// only when it records the opening.
    pub fn skeleton(&self) -> Exam {
        let mut exam = self.redact();
        for p in &mut exam.passages {
            p.text = SEALED_TEXT.to_owned();
            p.i18n.clear();
        }
        for q in exam
            .sections
            .iter_mut()
            .flat_map(|s| s.questions.iter_mut())
        {
            q.text = SEALED_TEXT.to_owned();
            q.image = None;
            q.i18n.clear();
            // Numbered: the decoder refuses two equal choices.
            for (i, c) in q.choices.iter_mut().enumerate() {
                *c = format!("{SEALED_TEXT} {}", i + 1);
            }
        }
        exam
    }
}

/// What a [`Exam::skeleton`] shows in place of every text it withholds.
pub const SEALED_TEXT: &str = "…";

/// Seconds to milliseconds, saturating (validated inputs never saturate).
pub(crate) fn secs_to_ms(s: u64) -> i64 {
    i64::try_from(s)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

fn check_size(src: &str) -> Result<(), DefinitionError> {
    if src.len() > MAX_DEFINITION_BYTES {
        return Err(DefinitionError::TooLarge {
            bytes: src.len(),
            max: MAX_DEFINITION_BYTES,
        });
    }
    Ok(())
}
