//! Tests of the exam format: decoding, validation messages, the two exam files.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use vigil_exam::{DefinitionError, Exam, ExamSummary, MultipleRule, QuestionType, SEALED_TEXT};

const TAGE: &str = include_str!("../../../exams/tage-post-bac-practice.toml");
const DEMO: &str = include_str!("../../../exams/demo-short.toml");

const BASE: &str = r#"
id = "t"
title = "T"
language = "fr"
[timing]
duration_s = 600
[[sections]]
id = "s1"
title = "S1"
[[sections.questions]]
id = "q1"
type = "single"
text = "Q1"
choices = ["a", "b", "c", "d"]
correct = 1
"#;

fn problems(src: &str) -> Vec<String> {
    match Exam::from_toml(src) {
        Ok(_) => vec![],
        Err(e) => {
            let p: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
            if p.is_empty() {
                vec![e.to_string()]
            } else {
                p
            }
        }
    }
}

fn assert_problem(src: &str, needle: &str) {
    let p = problems(src);
    assert!(
        p.iter().any(|m| m.contains(needle)),
        "expected `{needle}` in {p:#?}"
    );
}

#[test]
fn base_is_valid_with_defaults() {
    let exam = Exam::from_toml(BASE).unwrap();
    assert_eq!(exam.timing.late_entry_grace_s, 0);
    assert_eq!(exam.timing.sync_deadline_s, 12 * 3600);
    assert_eq!(exam.scoring.right, 1.0);
    assert_eq!(exam.scoring.wrong, 0.0);
    assert_eq!(exam.scoring.multiple, MultipleRule::AllOrNothing);
    assert!(exam.sections[0].auto_advance);
    assert_eq!(exam.duration_ms(false), 600_000);
    assert_eq!(exam.duration_ms(true), 800_000);
}

#[test]
fn tage_reference_exam_is_valid_and_has_the_format() {
    let exam = Exam::from_toml(TAGE).unwrap();
    assert_eq!(exam.id, "tage-post-bac-practice");
    assert_eq!(exam.language, "fr");
    assert_eq!(exam.timing.duration_s, 80 * 60);
    assert_eq!(exam.timing.late_entry_grace_s, 0);
    assert_eq!(exam.sections.len(), 4);
    assert_eq!(exam.question_count(), 40);
    assert_eq!(exam.scoring.wrong, 0.0);
    for s in &exam.sections {
        assert_eq!(s.time_limit_s, Some(20 * 60));
        assert!(s.no_return && s.auto_advance);
        assert_eq!(s.questions.len(), 10);
        for q in &s.questions {
            assert_eq!(q.kind, QuestionType::Single);
            assert!((4..=5).contains(&q.choices.len()), "{}", q.id);
        }
    }
    // Subtest 1 shares passages between several questions.
    let s1 = &exam.sections[0];
    for p in &exam.passages {
        let n = s1
            .questions
            .iter()
            .filter(|q| q.passage.as_deref() == Some(&p.id))
            .count();
        assert!(n >= 2, "passage {} used {n} times", p.id);
    }
    let summary = exam.summary();
    assert_eq!(summary.duration_ms, 4_800_000);
    assert_eq!((summary.section_count, summary.question_count), (4, 40));
}

#[test]
fn tage_keys_spot_check() {
    // A few hand-verified keys, so a reshuffled choice list cannot go unnoticed.
    let exam = Exam::from_toml(TAGE).unwrap();
    let key = |id: &str| {
        let (_, q) = exam.question(id).unwrap();
        let i = q.correct.as_ref().unwrap().indices()[0] as usize;
        q.choices[i].clone()
    };
    assert_eq!(key("k1"), "36"); // 15 % × 240
    assert_eq!(key("k2"), "−4 %"); // 1.2 × 0.8 = 0.96
    assert_eq!(key("k3"), "x = 12");
    assert_eq!(key("k4"), "4"); // 2^6 × 2^-4
    assert_eq!(key("k5"), "17/12");
    assert_eq!(key("k6"), "10"); // 60 − 50
    assert_eq!(key("k8"), "120 km/h"); // 150 / 1.25
    assert_eq!(key("k10"), "4"); // −2x + 5 = −3
    assert_eq!(key("r1"), "42");
    assert_eq!(key("r3"), "U");
    assert_eq!(key("r6"), "12 ans"); // 3f + 12 = 2(f + 12)
    assert_eq!(key("r8"), "MPVQ");
    assert_eq!(key("r10"), "2 h"); // 1/6 + 1/3 = 1/2
}

#[test]
fn demo_exam_is_valid_and_bilingual() {
    let exam = Exam::from_toml(DEMO).unwrap();
    assert_eq!(exam.timing.duration_s, 300);
    assert_eq!(exam.sections.len(), 2);
    assert_eq!(exam.question_count(), 6);
    let kinds: Vec<_> = exam
        .sections
        .iter()
        .flat_map(|s| &s.questions)
        .map(|q| q.kind)
        .collect();
    for k in [
        QuestionType::Single,
        QuestionType::Multiple,
        QuestionType::Numeric,
        QuestionType::Text,
    ] {
        assert!(kinds.contains(&k), "{k:?}");
    }
    assert!(exam.i18n["en"].title.is_some());
    for q in exam.sections.iter().flat_map(|s| &s.questions) {
        assert!(q.i18n["en"].text.is_some(), "{} lacks English", q.id);
    }
}

#[test]
fn json_round_trip_is_stable() {
    for src in [TAGE, DEMO, BASE] {
        let exam = Exam::from_toml(src).unwrap();
        let json = exam.to_json();
        let back = Exam::from_json(&json).unwrap();
        assert_eq!(back, exam);
        assert_eq!(back.to_json(), json);
    }
}

#[test]
fn redacted_exam_has_no_keys_and_validates() {
    let exam = Exam::from_toml(DEMO).unwrap();
    let r = exam.redact();
    let json = r.to_json();
    assert!(!json.contains("\"correct\"") && !json.contains("\"accepted\""));
    assert!(!json.contains("\"answer\""));
    assert_eq!(Exam::from_json(&json).unwrap(), r);
    // A non-redacted exam must have its keys.
    let mut broken = r.clone();
    broken.redacted = false;
    assert!(broken
        .validate()
        .unwrap_err()
        .to_string()
        .contains("missing answer key"));
}

#[test]
fn syntax_errors_name_the_field() {
    let src = BASE.replace("type = \"single\"", "type = \"essay\"");
    let e = Exam::from_toml(&src).unwrap_err();
    let DefinitionError::Syntax { path, message, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(path, "sections[0].questions[0].type");
    assert!(message.contains("essay"), "{message}");

    let src = BASE.replace("duration_s = 600", "duration_s = 600\ndurtion = 3");
    let e = Exam::from_toml(&src).unwrap_err();
    assert!(e.to_string().contains("durtion"), "{e}");

    let e = Exam::from_json("{\"id\": 3}").unwrap_err();
    assert!(e.to_string().contains("id"), "{e}");
    assert!(matches!(
        Exam::from_json("not json"),
        Err(DefinitionError::Syntax { .. })
    ));
    assert!(matches!(
        Exam::from_json(&(Exam::from_toml(BASE).unwrap().to_json() + "x")),
        Err(DefinitionError::Syntax { .. })
    ));
}

#[test]
fn too_large_is_refused() {
    let big = " ".repeat(vigil_exam::limits::MAX_DEFINITION_BYTES + 1);
    assert!(matches!(
        Exam::from_toml(&big),
        Err(DefinitionError::TooLarge { .. })
    ));
    assert!(matches!(
        Exam::from_json(&big),
        Err(DefinitionError::TooLarge { .. })
    ));
}

#[test]
fn choice_index_out_of_range() {
    assert_problem(
        &BASE.replace("correct = 1", "correct = 5"),
        "sections[0].questions[0].correct: choice index 5 out of range (4 choices)",
    );
}

#[test]
fn single_key_must_be_one_index() {
    assert_problem(
        &BASE.replace("correct = 1", "correct = [1, 2]"),
        "a single-choice key is one index",
    );
}

#[test]
fn duplicate_ids() {
    let src = format!("{BASE}\n[[sections.questions]]\nid = \"q1\"\ntype = \"numeric\"\ntext = \"x\"\nanswer = 1\n");
    assert_problem(
        &src,
        "sections[0].questions[1].id: duplicate question id `q1`",
    );
    let src = format!("{BASE}\n[[sections]]\nid = \"s1\"\ntitle = \"again\"\n[[sections.questions]]\nid = \"q2\"\ntype = \"numeric\"\ntext = \"x\"\nanswer = 1\n");
    assert_problem(&src, "sections[1].id: duplicate section id `s1`");
}

#[test]
fn empty_section_and_no_sections() {
    let src = format!("{BASE}\n[[sections]]\nid = \"s2\"\ntitle = \"S2\"\nquestions = []\n");
    assert_problem(
        &src,
        "sections[1].questions: a section needs at least one question",
    );
    let src =
        "id = \"t\"\ntitle = \"T\"\nlanguage = \"fr\"\nsections = []\n[timing]\nduration_s = 60\n";
    assert_problem(src, "sections: 0 items");
}

#[test]
fn section_time_must_fit() {
    let src = BASE.replace(
        "title = \"S1\"",
        "title = \"S1\"\ntime_limit_s = 900\nno_return = true",
    );
    assert_problem(
        &src,
        "sections[0].time_limit_s: 900 s does not fit the exam duration (600 s)",
    );
    let two = format!("{BASE}\n[[sections]]\nid = \"s2\"\ntitle = \"S2\"\ntime_limit_s = 400\nno_return = true\n[[sections.questions]]\nid = \"q2\"\ntype = \"numeric\"\ntext = \"x\"\nanswer = 1\n")
        .replace("title = \"S1\"", "title = \"S1\"\ntime_limit_s = 400\nno_return = true");
    assert_problem(&two, "section time limits add up to 800 s");
    let src = BASE.replace("title = \"S1\"", "title = \"S1\"\ntime_limit_s = 100");
    assert_problem(
        &src,
        "sections[0].no_return: a section with its own time limit must be no_return",
    );
}

#[test]
fn text_limits() {
    let long = "x".repeat(vigil_exam::limits::MAX_QUESTION_LEN + 1);
    assert_problem(
        &BASE.replace("text = \"Q1\"", &format!("text = \"{long}\"")),
        "sections[0].questions[0].text: too long",
    );
    assert_problem(
        &BASE.replace("text = \"Q1\"", "text = \"  \""),
        "sections[0].questions[0].text: must not be empty",
    );
    assert_problem(
        &BASE.replace("id = \"q1\"", "id = \"q 1\""),
        "sections[0].questions[0].id: `q 1`",
    );
}

#[test]
fn choice_counts_and_duplicates() {
    assert_problem(
        &BASE.replace("[\"a\", \"b\", \"c\", \"d\"]", "[\"a\"]"),
        "choices: 1 items (expected 2 to 10)",
    );
    assert_problem(
        &BASE.replace("[\"a\", \"b\", \"c\", \"d\"]", "[\"a\", \"b\", \"a\"]"),
        "choices[2]: duplicate choice",
    );
}

#[test]
fn fields_foreign_to_the_type() {
    assert_problem(
        &BASE.replace("correct = 1", "correct = 1\nanswer = 3"),
        "answer: not used by a single question",
    );
    let src = BASE
        .replace("type = \"single\"", "type = \"numeric\"")
        .replace("correct = 1", "answer = 2");
    assert_problem(&src, "choices: not used by a numeric question");
}

#[test]
fn numeric_and_text_keys() {
    let num = BASE
        .replace("type = \"single\"", "type = \"numeric\"")
        .replace(
            "choices = [\"a\", \"b\", \"c\", \"d\"]\ncorrect = 1",
            "tolerance = -1",
        );
    assert_problem(&num, "answer: missing answer key");
    assert_problem(&num, "tolerance: -1");
    let txt = BASE
        .replace("type = \"single\"", "type = \"text\"")
        .replace(
            "choices = [\"a\", \"b\", \"c\", \"d\"]\ncorrect = 1",
            "accepted = []",
        );
    assert_problem(&txt, "accepted: 0 items");
}

#[test]
fn multiple_key_rules() {
    let src = BASE.replace("type = \"single\"", "type = \"multiple\"");
    assert!(
        problems(&src).is_empty(),
        "one index is a valid set: {:?}",
        problems(&src)
    );
    assert_problem(
        &src.replace("correct = 1", "correct = [1, 1]"),
        "choice index 1 repeated",
    );
    assert_problem(
        &src.replace("correct = 1", "correct = []"),
        "must name at least one choice",
    );
}

#[test]
fn passages_must_exist_and_be_used() {
    assert_problem(
        &BASE.replace("text = \"Q1\"", "text = \"Q1\"\npassage = \"nope\""),
        "passage: unknown passage `nope`",
    );
    let src = BASE.replace(
        "[timing]",
        "[[passages]]\nid = \"p\"\ntext = \"P\"\n[timing]",
    );
    assert_problem(&src, "passages[0]: passage `p` is used by no question");
}

#[test]
fn timing_rules() {
    assert_problem(
        &BASE.replace("duration_s = 600", "duration_s = 0"),
        "timing.duration_s: 0 s",
    );
    assert_problem(
        &BASE.replace(
            "duration_s = 600",
            "duration_s = 600\nextra_time = { numerator = 1, denominator = 0 }",
        ),
        "timing.extra_time.denominator",
    );
    assert_problem(
        &BASE.replace("duration_s = 600", "duration_s = 600\nsync_deadline_s = 0"),
        "timing.sync_deadline_s",
    );
    assert_problem(
        &BASE.replace(
            "duration_s = 600",
            "duration_s = 600\nlate_entry_grace_s = 999999",
        ),
        "timing.late_entry_grace_s",
    );
}

#[test]
fn scoring_rules() {
    assert_problem(
        &BASE.replace("[timing]", "[scoring]\nwrong = -1\n[timing]"),
        "scoring.wrong: -1 (a penalty",
    );
    assert_problem(
        &BASE.replace("[timing]", "[scoring]\nright = 0\n[timing]"),
        "scoring.right",
    );
    assert_problem(
        &BASE.replace("title = \"S1\"", "title = \"S1\"\nscoring = { right = -2 }"),
        "sections[0].scoring.right",
    );
}

#[test]
fn translation_rules() {
    let src = BASE.replace(
        "correct = 1",
        "correct = 1\ni18n.en = { choices = [\"a\"] }",
    );
    assert_problem(
        &src,
        "sections[0].questions[0].i18n.en.choices: 1 translated choices for 4 choices",
    );
    let src = BASE.replace("correct = 1", "correct = 1\ni18n.fr = { text = \"x\" }");
    assert_problem(&src, "i18n.fr: `fr` is the exam's own language");
    let src = BASE.replace("correct = 1", "correct = 1\ni18n.en = { title = \"x\" }");
    assert_problem(&src, "i18n.en.title: not translatable here");
}

#[test]
fn language_and_image() {
    assert_problem(
        &BASE.replace("language = \"fr\"", "language = \"f r\""),
        "language:",
    );
    let src = BASE.replace(
        "correct = 1",
        "correct = 1\nimage = { src = \"a.png\", alt = \"\", sha256 = \"zz\" }",
    );
    assert_problem(&src, "image.alt: must not be empty");
    assert_problem(&src, "image.sha256: not a SHA-256");
}

#[test]
fn proctoring_policy_rules() {
    let src = format!("{BASE}\n[proctoring]\nmin_face_score = 2.0\n[proctoring.rules.voice]\nopen_after_ms = 99999999\n");
    assert_problem(&src, "proctoring.min_face_score: 2");
    assert_problem(&src, "proctoring.rules.voice.open_after_ms");
    let src = format!("{BASE}\n[proctoring]\nidentity_interval_s = 2\n");
    assert_problem(
        &src,
        "proctoring.identity_interval_s: 2 (expected 5 to 3600)",
    );
    let src = format!("{BASE}\n[proctoring.rules.sneezing]\nenabled = false\n");
    assert!(matches!(
        Exam::from_toml(&src),
        Err(DefinitionError::Syntax { .. })
    ));
}

#[test]
fn all_problems_are_reported_at_once() {
    let src = BASE
        .replace("correct = 1", "correct = 9")
        .replace("title = \"T\"", "title = \"\"");
    let p = problems(&src);
    assert!(p.len() >= 2, "{p:?}");
}

#[test]
fn the_exam_reads_in_english_with_the_same_ids_keys_and_timing() {
    let fr = Exam::from_toml(DEMO).unwrap();
    let en = fr.localized("en");
    assert_eq!(en.title, "Vigil demo — 5 minutes");
    assert_eq!(en.sections[0].title, "Part 1 — Warm-up");
    assert_eq!(
        en.sections[0].questions[0].text,
        "What is the capital of Italy?"
    );
    assert_eq!(en.rules.allowed, ["A sheet of scrap paper"]);
    assert_ne!(
        en.sections[0].questions[0].text,
        fr.sections[0].questions[0].text
    );
    // Only texts change.
    assert_eq!(en.timing, fr.timing);
    assert_eq!(en.scoring, fr.scoring);
    for (a, b) in fr.sections.iter().zip(&en.sections) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.time_limit_s, b.time_limit_s);
        for (qa, qb) in a.questions.iter().zip(&b.questions) {
            assert_eq!(
                (&qa.id, qa.kind, &qa.correct),
                (&qb.id, qb.kind, &qb.correct)
            );
            assert_eq!(qa.choices.len(), qb.choices.len());
        }
    }
    // The original language, or one without translations, changes nothing.
    assert_eq!(fr.localized("fr"), fr);
    assert_eq!(fr.localized("de"), fr);
}

#[test]
fn the_summary_carries_the_briefing_in_each_language() {
    let demo = Exam::from_toml(DEMO).unwrap().summary();
    let fr = demo.briefing("fr").unwrap();
    assert_eq!(fr.rules.allowed, ["Une feuille de brouillon"]);
    assert!(fr.instructions.starts_with("Six questions en deux parties"));
    let en = demo.briefing("en").unwrap();
    assert_eq!(en.rules.allowed, ["A sheet of scrap paper"]);
    assert!(en.instructions.starts_with("Six questions in two parts"));
    // A language without a translation reads the original.
    assert_eq!(demo.briefing("de"), Some(fr));
    // Older summaries (no briefings) still decode.
    let old = r#"{"id":"x","title":"X","language":"fr","duration_ms":1,"section_count":1,"question_count":1}"#;
    let old: ExamSummary = serde_json::from_str(old).unwrap();
    assert_eq!(old.briefing("fr"), None);
}

#[test]
fn the_tage_rules_are_the_procedures() {
    let tage = Exam::from_toml(TAGE).unwrap();
    let r = &tage.rules;
    assert_eq!(
        r.allowed.len(),
        3,
        "ID, one A4 sheet, one pen: {:?}",
        r.allowed
    );
    for (list, words) in [
        (&r.allowed, &["pièce d'identité", "feuille A4", "stylo"][..]),
        (
            &r.forbidden,
            &[
                "Calculatrice",
                "Dictionnaire",
                "Montre",
                "Téléphone",
                "oreilles",
                "bouchon",
            ][..],
        ),
        (
            &r.conduct,
            &["pause", "communication", "12 heures", "plus entrer"][..],
        ),
    ] {
        for w in words {
            assert!(list.iter().any(|l| l.contains(w)), "{w} in {list:?}");
        }
    }
    assert!(!r.allowed.iter().any(|l| l.contains("bouteille")));
    let en = tage.localized("en").rules;
    assert_eq!(
        en.allowed,
        [
            "A valid official identity document",
            "One blank A4 sheet",
            "One pen"
        ]
    );
    assert_eq!(en.forbidden.len(), r.forbidden.len());
    assert_eq!(en.conduct.len(), r.conduct.len());
}

#[test]
fn a_skeleton_keeps_the_structure_and_withholds_every_text() {
    let exam = Exam::from_toml(include_str!("../../../exams/demo-short.toml")).unwrap();
    let skeleton = exam.skeleton();
    // A valid exam of its own, through the same decoder the app uses.
    let again = Exam::from_json(&skeleton.to_json()).unwrap();
    assert_eq!(again, skeleton);
    assert!(skeleton.redacted);
    assert_eq!(skeleton.timing, exam.timing);
    assert_eq!(skeleton.sections.len(), exam.sections.len());
    for (s, full) in skeleton.sections.iter().zip(&exam.sections) {
        assert_eq!(s.id, full.id);
        for (q, fq) in s.questions.iter().zip(&full.questions) {
            assert_eq!((&q.id, q.kind), (&fq.id, fq.kind));
            assert_eq!(q.text, SEALED_TEXT);
            assert_eq!(q.choices.len(), fq.choices.len());
            assert!(q.choices.iter().all(|c| c.starts_with(SEALED_TEXT)));
            assert!(q.correct.is_none() && q.i18n.is_empty());
        }
    }
    // Nothing of any question's text is left in it.
    let json = skeleton.to_json();
    for q in exam.sections.iter().flat_map(|s| &s.questions) {
        assert!(!json.contains(&q.text), "{} leaks", q.id);
    }
}
