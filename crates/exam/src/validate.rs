//! Validation of an exam definition.
//!
//! Serde already refuses malformed documents (unknown fields, unknown
//! question types, wrong value types). This module checks what types cannot
//! say: unique ids, indices in range, non-empty sections, section times that
//! fit the total, texts within the limits of [`crate::limits`], keys that match
//! the question type, translations that match their original. Every problem is
//! reported with its field path; all problems are collected, not just the
//! first.

use std::collections::{BTreeMap, BTreeSet};

use crate::definition::{Correct, Exam, Question, QuestionType, Rules, Scoring, Translation};
use crate::error::{DefinitionError, FieldError};
use crate::limits::*;

/// Collects problems with their field paths.
pub(crate) struct Problems(pub(crate) Vec<FieldError>);

impl Problems {
    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    fn text(&mut self, field: &str, value: &str, max: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.push(field, "must not be empty");
        }
        if value.len() > max {
            self.push(
                field,
                format!("too long: {} bytes (max {max})", value.len()),
            );
        }
    }

    fn id(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.push(field, "must not be empty");
        } else if value.len() > MAX_ID_LEN {
            self.push(
                field,
                format!("too long: {} bytes (max {MAX_ID_LEN})", value.len()),
            );
        } else if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            self.push(
                field,
                format!("`{value}`: only ASCII letters, digits, `-`, `_`, `.`"),
            );
        }
    }

    fn count(&mut self, field: &str, n: usize, min: usize, max: usize) {
        if n < min || n > max {
            self.push(field, format!("{n} items (expected {min} to {max})"));
        }
    }
}

/// A language tag such as `fr`, `en`, `pt-BR`.
pub(crate) fn is_language_tag(tag: &str) -> bool {
    (2..=16).contains(&tag.len())
        && tag
            .split('-')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A lowercase or uppercase hex SHA-256 (64 hex digits).
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Check every rule; `Err` lists all problems.
pub fn validate(exam: &Exam) -> Result<(), DefinitionError> {
    let mut p = Problems(Vec::new());
    p.id("id", &exam.id);
    p.text("title", &exam.title, MAX_TITLE_LEN, true);
    if !is_language_tag(&exam.language) {
        p.push(
            "language",
            format!("`{}` is not a language tag", exam.language),
        );
    }
    p.text(
        "instructions",
        &exam.instructions,
        MAX_INSTRUCTIONS_LEN,
        false,
    );
    rules(&mut p, "rules", &exam.rules);
    timing(&mut p, exam);
    scoring(&mut p, "scoring", &exam.scoring);
    translations(&mut p, "i18n", exam, &exam.i18n, Item::Exam, 0);

    p.count("passages", exam.passages.len(), 0, MAX_PASSAGES);
    let mut passage_ids = BTreeSet::new();
    for (i, passage) in exam.passages.iter().enumerate() {
        let f = format!("passages[{i}]");
        p.id(&format!("{f}.id"), &passage.id);
        if !passage_ids.insert(passage.id.as_str()) {
            p.push(
                format!("{f}.id"),
                format!("duplicate passage id `{}`", passage.id),
            );
        }
        p.text(&format!("{f}.title"), &passage.title, MAX_TITLE_LEN, false);
        p.text(&format!("{f}.text"), &passage.text, MAX_PASSAGE_LEN, true);
        translations(
            &mut p,
            &format!("{f}.i18n"),
            exam,
            &passage.i18n,
            Item::Passage,
            0,
        );
    }

    p.count("sections", exam.sections.len(), 1, MAX_SECTIONS);
    let total = exam.question_count();
    if total > MAX_QUESTIONS {
        p.push(
            "sections",
            format!("{total} questions in all (max {MAX_QUESTIONS})"),
        );
    }
    let mut section_ids = BTreeSet::new();
    let mut question_ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut used_passages = BTreeSet::new();
    let mut timed_sum: u64 = 0;
    for (si, section) in exam.sections.iter().enumerate() {
        let f = format!("sections[{si}]");
        p.id(&format!("{f}.id"), &section.id);
        if !section_ids.insert(section.id.as_str()) {
            p.push(
                format!("{f}.id"),
                format!("duplicate section id `{}`", section.id),
            );
        }
        p.text(&format!("{f}.title"), &section.title, MAX_TITLE_LEN, true);
        p.text(
            &format!("{f}.instructions"),
            &section.instructions,
            MAX_INSTRUCTIONS_LEN,
            false,
        );
        if let Some(limit) = section.time_limit_s {
            timed_sum = timed_sum.saturating_add(limit);
            if limit == 0 {
                p.push(format!("{f}.time_limit_s"), "must be at least 1 second");
            } else if limit > exam.timing.duration_s {
                p.push(
                    format!("{f}.time_limit_s"),
                    format!(
                        "{limit} s does not fit the exam duration ({} s)",
                        exam.timing.duration_s
                    ),
                );
            }
            if !section.no_return {
                p.push(
                    format!("{f}.no_return"),
                    "a section with its own time limit must be no_return (its time runs once, from entry)",
                );
            }
        }
        if let Some(s) = &section.scoring {
            scoring(&mut p, &format!("{f}.scoring"), s);
        }
        translations(
            &mut p,
            &format!("{f}.i18n"),
            exam,
            &section.i18n,
            Item::Section,
            0,
        );
        if section.questions.is_empty() {
            p.push(
                format!("{f}.questions"),
                "a section needs at least one question",
            );
        }
        for (qi, q) in section.questions.iter().enumerate() {
            let qf = format!("{f}.questions[{qi}]");
            p.id(&format!("{qf}.id"), &q.id);
            if let Some(first) = question_ids.insert(q.id.as_str(), qf.clone()) {
                p.push(
                    format!("{qf}.id"),
                    format!("duplicate question id `{}` (first at {first})", q.id),
                );
            }
            if let Some(pid) = &q.passage {
                if passage_ids.contains(pid.as_str()) {
                    used_passages.insert(pid.as_str());
                } else {
                    p.push(format!("{qf}.passage"), format!("unknown passage `{pid}`"));
                }
            }
            question(&mut p, &qf, exam, q);
        }
    }
    if timed_sum > exam.timing.duration_s {
        p.push(
            "sections",
            format!(
                "section time limits add up to {timed_sum} s, more than the exam duration ({} s)",
                exam.timing.duration_s
            ),
        );
    }
    for (i, passage) in exam.passages.iter().enumerate() {
        if !used_passages.contains(passage.id.as_str()) {
            p.push(
                format!("passages[{i}]"),
                format!("passage `{}` is used by no question", passage.id),
            );
        }
    }
    exam.proctoring.check(&mut p, "proctoring");

    if p.0.is_empty() {
        Ok(())
    } else {
        Err(DefinitionError::Invalid { problems: p.0 })
    }
}

fn rules(p: &mut Problems, f: &str, rules: &Rules) {
    for (name, list) in [
        ("allowed", &rules.allowed),
        ("forbidden", &rules.forbidden),
        ("conduct", &rules.conduct),
    ] {
        p.count(&format!("{f}.{name}"), list.len(), 0, MAX_RULE_ITEMS);
        for (i, item) in list.iter().enumerate() {
            p.text(&format!("{f}.{name}[{i}]"), item, MAX_RULE_LEN, true);
        }
    }
}

fn timing(p: &mut Problems, exam: &Exam) {
    let t = &exam.timing;
    if t.duration_s == 0 || t.duration_s > MAX_DURATION_S {
        p.push(
            "timing.duration_s",
            format!("{} s (expected 1 to {MAX_DURATION_S})", t.duration_s),
        );
    }
    if t.late_entry_grace_s > MAX_GRACE_S {
        p.push(
            "timing.late_entry_grace_s",
            format!("{} s (max {MAX_GRACE_S})", t.late_entry_grace_s),
        );
    }
    if t.sync_deadline_s == 0 || t.sync_deadline_s > MAX_SYNC_DEADLINE_S {
        p.push(
            "timing.sync_deadline_s",
            format!(
                "{} s (expected 1 to {MAX_SYNC_DEADLINE_S})",
                t.sync_deadline_s
            ),
        );
    }
    if !(MIN_IDENTIFICATION_S..=MAX_IDENTIFICATION_S).contains(&t.identification_max_s) {
        p.push(
            "timing.identification_max_s",
            format!(
                "{} s (expected {MIN_IDENTIFICATION_S} to {MAX_IDENTIFICATION_S})",
                t.identification_max_s
            ),
        );
    }
    if t.precheck_deadline_h > MAX_PRECHECK_DEADLINE_H {
        p.push(
            "timing.precheck_deadline_h",
            format!(
                "{} h (expected 0 to {MAX_PRECHECK_DEADLINE_H})",
                t.precheck_deadline_h
            ),
        );
    }
    let e = t.extra_time;
    if e.denominator == 0 {
        p.push("timing.extra_time.denominator", "must not be 0");
    } else if u64::from(e.numerator) > 2 * u64::from(e.denominator) {
        p.push(
            "timing.extra_time",
            format!("{}/{} is more than +200%", e.numerator, e.denominator),
        );
    }
}

fn scoring(p: &mut Problems, f: &str, s: &Scoring) {
    if !(s.right.is_finite() && s.right > 0.0 && s.right <= MAX_POINTS) {
        p.push(
            format!("{f}.right"),
            format!("{} (expected > 0 and ≤ {MAX_POINTS})", s.right),
        );
    }
    if !(s.wrong.is_finite() && s.wrong >= 0.0 && s.wrong <= MAX_POINTS) {
        p.push(
            format!("{f}.wrong"),
            format!("{} (a penalty: expected ≥ 0 and ≤ {MAX_POINTS})", s.wrong),
        );
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Item {
    Exam,
    Section,
    Passage,
    Question,
}

fn translations(
    p: &mut Problems,
    f: &str,
    exam: &Exam,
    map: &BTreeMap<String, Translation>,
    item: Item,
    choices: usize,
) {
    p.count(f, map.len(), 0, MAX_TRANSLATIONS);
    for (lang, t) in map {
        let tf = format!("{f}.{lang}");
        if !is_language_tag(lang) {
            p.push(&tf, format!("`{lang}` is not a language tag"));
        } else if *lang == exam.language {
            p.push(&tf, format!("`{lang}` is the exam's own language"));
        }
        let allowed: &[&str] = match item {
            Item::Exam => &["title", "instructions", "rules"],
            Item::Section => &["title", "instructions"],
            Item::Passage => &["title", "text"],
            Item::Question => &["text", "choices"],
        };
        let present = [
            ("title", t.title.is_some()),
            ("instructions", t.instructions.is_some()),
            ("text", t.text.is_some()),
            ("choices", t.choices.is_some()),
            ("rules", t.rules.is_some()),
        ];
        for (name, is) in present {
            if is && !allowed.contains(&name) {
                p.push(format!("{tf}.{name}"), "not translatable here");
            }
        }
        if let Some(s) = &t.title {
            p.text(&format!("{tf}.title"), s, MAX_TITLE_LEN, true);
        }
        if let Some(s) = &t.instructions {
            p.text(&format!("{tf}.instructions"), s, MAX_INSTRUCTIONS_LEN, true);
        }
        if let Some(s) = &t.text {
            let max = if item == Item::Passage {
                MAX_PASSAGE_LEN
            } else {
                MAX_QUESTION_LEN
            };
            p.text(&format!("{tf}.text"), s, max, true);
        }
        if let Some(r) = &t.rules {
            rules(p, &format!("{tf}.rules"), r);
        }
        if let (Some(c), Item::Question) = (&t.choices, item) {
            if c.len() != choices {
                p.push(
                    format!("{tf}.choices"),
                    format!("{} translated choices for {choices} choices", c.len()),
                );
            }
            for (i, s) in c.iter().enumerate() {
                p.text(&format!("{tf}.choices[{i}]"), s, MAX_CHOICE_LEN, true);
            }
        }
    }
}

fn question(p: &mut Problems, f: &str, exam: &Exam, q: &Question) {
    p.text(&format!("{f}.text"), &q.text, MAX_QUESTION_LEN, true);
    if let Some(img) = &q.image {
        p.text(&format!("{f}.image.src"), &img.src, MAX_TITLE_LEN, true);
        p.text(&format!("{f}.image.alt"), &img.alt, MAX_CHOICE_LEN, true);
        if let Some(h) = &img.sha256 {
            if !is_sha256_hex(h) {
                p.push(
                    format!("{f}.image.sha256"),
                    "not a SHA-256 in hex (64 hex digits)",
                );
            }
        }
    }
    translations(
        p,
        &format!("{f}.i18n"),
        exam,
        &q.i18n,
        Item::Question,
        q.choices.len(),
    );
    let is_choice = matches!(q.kind, QuestionType::Single | QuestionType::Multiple);
    let kind = match q.kind {
        QuestionType::Single => "single",
        QuestionType::Multiple => "multiple",
        QuestionType::Numeric => "numeric",
        QuestionType::Text => "text",
    };
    // Fields that do not belong to the type.
    let foreign = [
        ("choices", !is_choice && !q.choices.is_empty()),
        ("correct", !is_choice && q.correct.is_some()),
        (
            "answer",
            q.kind != QuestionType::Numeric && q.answer.is_some(),
        ),
        (
            "tolerance",
            q.kind != QuestionType::Numeric && q.tolerance.is_some(),
        ),
        (
            "accepted",
            q.kind != QuestionType::Text && !q.accepted.is_empty(),
        ),
        (
            "case_sensitive",
            q.kind != QuestionType::Text && q.case_sensitive,
        ),
    ];
    for (name, bad) in foreign {
        if bad {
            p.push(
                format!("{f}.{name}"),
                format!("not used by a {kind} question"),
            );
        }
    }
    if is_choice {
        let n = q.choices.len();
        p.count(&format!("{f}.choices"), n, MIN_CHOICES, MAX_CHOICES);
        let mut seen = BTreeSet::new();
        for (i, c) in q.choices.iter().enumerate() {
            p.text(&format!("{f}.choices[{i}]"), c, MAX_CHOICE_LEN, true);
            if !seen.insert(c.trim()) {
                p.push(
                    format!("{f}.choices[{i}]"),
                    format!("duplicate choice `{c}`"),
                );
            }
        }
        match (&q.correct, exam.redacted) {
            (Some(_), true) => p.push(format!("{f}.correct"), "a redacted exam carries no key"),
            (None, false) => p.push(format!("{f}.correct"), "missing answer key"),
            (None, true) => {}
            (Some(c), false) => {
                let idx = c.indices();
                if q.kind == QuestionType::Single && !matches!(c, Correct::One(_)) {
                    p.push(format!("{f}.correct"), "a single-choice key is one index");
                }
                if idx.is_empty() {
                    p.push(format!("{f}.correct"), "must name at least one choice");
                }
                let mut uniq = BTreeSet::new();
                for i in idx {
                    if i as usize >= n {
                        p.push(
                            format!("{f}.correct"),
                            format!("choice index {i} out of range ({n} choices)"),
                        );
                    }
                    if !uniq.insert(i) {
                        p.push(format!("{f}.correct"), format!("choice index {i} repeated"));
                    }
                }
            }
        }
    }
    if q.kind == QuestionType::Numeric {
        match (q.answer, exam.redacted) {
            (Some(_), true) => p.push(format!("{f}.answer"), "a redacted exam carries no key"),
            (None, false) => p.push(format!("{f}.answer"), "missing answer key"),
            (None, true) => {}
            (Some(a), false) => {
                if !(a.is_finite() && a.abs() <= MAX_NUMERIC) {
                    p.push(
                        format!("{f}.answer"),
                        format!("{a} (expected a finite number ≤ {MAX_NUMERIC:e} in size)"),
                    );
                }
            }
        }
        if let Some(t) = q.tolerance {
            if !(t.is_finite() && (0.0..=MAX_NUMERIC).contains(&t)) {
                p.push(
                    format!("{f}.tolerance"),
                    format!("{t} (expected a finite number ≥ 0)"),
                );
            }
        }
    }
    if q.kind == QuestionType::Text {
        if exam.redacted {
            if !q.accepted.is_empty() {
                p.push(format!("{f}.accepted"), "a redacted exam carries no key");
            }
        } else {
            p.count(&format!("{f}.accepted"), q.accepted.len(), 1, MAX_ACCEPTED);
        }
        for (i, a) in q.accepted.iter().enumerate() {
            p.text(&format!("{f}.accepted[{i}]"), a, MAX_ANSWER_TEXT_LEN, true);
        }
    }
}
