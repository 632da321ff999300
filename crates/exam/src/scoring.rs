//! Scoring of a replayed attempt: per question, per section, total.
//!
//! Rules (points from the section's scoring, else the exam's):
//! - blank (no answer): 0 points, counted `blank`;
//! - single choice: the key → `right` points; anything else → wrong, minus
//!   `wrong` (the penalty);
//! - numeric: right when `|value − answer| ≤ tolerance` (default 0);
//! - short text: right when the answer equals one of `accepted` after
//!   trimming, collapsing inner whitespace to one space and, unless
//!   `case_sensitive`, lowercasing (Unicode lowercase); accents matter;
//! - multiple choice, `all_or_nothing` (default): right only for exactly the
//!   key's set, otherwise wrong with the penalty; `partial`: with `h` key
//!   choices selected, `f` non-key choices selected and `k` key choices,
//!   credit = `right × max(0, h − f) / k`; the full set is right, a credit of
//!   0 is wrong (with the penalty), anything between is `partial` (no penalty).
//!
//! Totals are plain sums and are not clamped: with penalties, a section or
//! the total can be negative. A redacted exam (no keys) scores every answered
//! question as `ungraded`, 0 points.

use serde::{Deserialize, Serialize};

use crate::answer::Answer;
use crate::definition::{Exam, MultipleRule, Question, QuestionType, Scoring};
use crate::state::AttemptState;

/// How one question was scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Right,
    Wrong,
    Partial,
    Blank,
    /// The exam carries no key (redacted copy).
    Ungraded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionScore {
    pub question: String,
    pub section: usize,
    pub outcome: Outcome,
    pub points: f64,
    pub max_points: f64,
}

/// Counts and points of a group of questions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub points: f64,
    pub max_points: f64,
    pub right: usize,
    pub wrong: usize,
    pub partial: usize,
    pub blank: usize,
    pub ungraded: usize,
}

impl Tally {
    fn add(&mut self, q: &QuestionScore) {
        self.points += q.points;
        self.max_points += q.max_points;
        match q.outcome {
            Outcome::Right => self.right += 1,
            Outcome::Wrong => self.wrong += 1,
            Outcome::Partial => self.partial += 1,
            Outcome::Blank => self.blank += 1,
            Outcome::Ungraded => self.ungraded += 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionScore {
    pub section: String,
    pub title: String,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    pub exam: String,
    pub questions: Vec<QuestionScore>,
    pub sections: Vec<SectionScore>,
    pub total: Tally,
}

/// Score `state` (usually from [`crate::replay()`]) against `exam`'s keys.
pub fn score(exam: &Exam, state: &AttemptState) -> ScoreReport {
    let mut report = ScoreReport {
        exam: exam.id.clone(),
        questions: Vec::new(),
        sections: Vec::new(),
        total: Tally::default(),
    };
    for (si, section) in exam.sections.iter().enumerate() {
        let rule = exam.scoring_of(si);
        let mut tally = Tally::default();
        for q in &section.questions {
            let (outcome, points) = grade(exam.redacted, q, &rule, state.answers.get(&q.id));
            let qs = QuestionScore {
                question: q.id.clone(),
                section: si,
                outcome,
                points,
                max_points: rule.right,
            };
            tally.add(&qs);
            report.total.add(&qs);
            report.questions.push(qs);
        }
        report.sections.push(SectionScore {
            section: section.id.clone(),
            title: section.title.clone(),
            tally,
        });
    }
    report
}

/// Normal form of a short-text answer for comparison.
pub fn normalize_text(s: &str, case_sensitive: bool) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if case_sensitive {
        joined
    } else {
        joined.to_lowercase()
    }
}

fn grade(redacted: bool, q: &Question, rule: &Scoring, answer: Option<&Answer>) -> (Outcome, f64) {
    let Some(answer) = answer else {
        return (Outcome::Blank, 0.0);
    };
    if redacted {
        return (Outcome::Ungraded, 0.0);
    }
    let right = (Outcome::Right, rule.right);
    let wrong = (Outcome::Wrong, -rule.wrong);
    let ok = |b: bool| if b { right } else { wrong };
    match (q.kind, answer) {
        (QuestionType::Single, Answer::Single { choice }) => {
            ok(q.correct.as_ref().is_some_and(|c| c.indices() == [*choice]))
        }
        (QuestionType::Multiple, Answer::Multiple { choices }) => {
            let mut key = q.correct.as_ref().map(|c| c.indices()).unwrap_or_default();
            key.sort_unstable();
            if *choices == key {
                return right;
            }
            if rule.multiple == MultipleRule::AllOrNothing || key.is_empty() {
                return wrong;
            }
            let hits = choices.iter().filter(|c| key.contains(c)).count() as f64;
            let false_picks = choices.len() as f64 - hits;
            let credit = ((hits - false_picks) / key.len() as f64).max(0.0);
            if credit > 0.0 {
                (Outcome::Partial, rule.right * credit)
            } else {
                wrong
            }
        }
        (QuestionType::Numeric, Answer::Numeric { value }) => {
            let tol = q.tolerance.unwrap_or(0.0);
            ok(q.answer.is_some_and(|a| (value - a).abs() <= tol))
        }
        (QuestionType::Text, Answer::Text { text }) => {
            let t = normalize_text(text, q.case_sensitive);
            ok(q.accepted
                .iter()
                .any(|a| normalize_text(a, q.case_sensitive) == t))
        }
        // A mismatched answer cannot be replayed; count it wrong if it appears.
        _ => wrong,
    }
}
