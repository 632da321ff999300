//! Tests of scoring: outcomes, penalties, partial credit, totals.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use vigil_exam::*;

fn q<'a>(r: &'a ScoreReport, id: &str) -> &'a QuestionScore {
    r.questions.iter().find(|q| q.question == id).unwrap()
}

#[test]
fn demo_scoring_with_penalty_and_partial_credit() {
    let exam = demo(); // right 1, wrong 0.25, multiple partial
    let mut a = started(&exam);
    let t = T0 + 1000;
    a.answer(&exam, "capitale", Answer::Single { choice: 0 }, t)
        .unwrap(); // wrong
    a.answer(&exam, "premiers", Answer::Multiple { choices: vec![0] }, t)
        .unwrap(); // 1/2
    a.answer(&exam, "produit", Answer::Numeric { value: 144.0 }, t)
        .unwrap(); // right
    a.change_section(&exam, 1, t).unwrap();
    a.answer(
        &exam,
        "fleuve",
        Answer::Text {
            text: "LA   loire".into(),
        },
        t,
    )
    .unwrap(); // right
    a.answer(
        &exam,
        "pi",
        Answer::Numeric {
            value: std::f64::consts::PI,
        },
        t,
    )
    .unwrap(); // wrong (tolerance 0.001)
               // hexagone blank
    let state = replay(&exam, a.events()).unwrap();
    let r = score(&exam, &state);
    assert_eq!(q(&r, "capitale").outcome, Outcome::Wrong);
    assert_eq!(q(&r, "capitale").points, -0.25);
    assert_eq!(q(&r, "premiers").outcome, Outcome::Partial);
    assert_eq!(q(&r, "premiers").points, 0.5);
    assert_eq!(q(&r, "produit").outcome, Outcome::Right);
    assert_eq!(q(&r, "fleuve").outcome, Outcome::Right);
    assert_eq!(q(&r, "pi").outcome, Outcome::Wrong);
    assert_eq!(q(&r, "hexagone").outcome, Outcome::Blank);
    assert_eq!(q(&r, "hexagone").points, 0.0);
    assert_eq!(r.sections[0].tally.points, 1.25);
    assert_eq!(r.sections[1].tally.points, 0.75);
    let t = &r.total;
    assert_eq!((t.right, t.wrong, t.partial, t.blank), (2, 2, 1, 1));
    assert_eq!(t.points, 2.0);
    assert_eq!(t.max_points, 6.0);
}

#[test]
fn partial_rule_details() {
    let mut exam = demo();
    let multiple = |exam: &Exam, choices: Vec<u32>| {
        let mut a = started(exam);
        a.answer(exam, "premiers", Answer::Multiple { choices }, T0 + 1)
            .unwrap();
        let r = score(exam, a.state());
        let s = q(&r, "premiers");
        (s.outcome, s.points)
    };
    assert_eq!(multiple(&exam, vec![0, 2]), (Outcome::Right, 1.0));
    assert_eq!(
        multiple(&exam, vec![0, 1]),
        (Outcome::Wrong, -0.25),
        "1 hit − 1 false = 0"
    );
    assert_eq!(multiple(&exam, vec![0, 1, 2]), (Outcome::Partial, 0.5));
    assert_eq!(multiple(&exam, vec![1, 3]), (Outcome::Wrong, -0.25));
    exam.scoring.multiple = MultipleRule::AllOrNothing;
    assert_eq!(multiple(&exam, vec![0]), (Outcome::Wrong, -0.25));
    assert_eq!(multiple(&exam, vec![0, 2]), (Outcome::Right, 1.0));
}

#[test]
fn section_scoring_overrides_the_exam() {
    let mut exam = demo();
    exam.sections[1].scoring = Some(Scoring {
        right: 3.0,
        wrong: 1.0,
        ..Scoring::default()
    });
    let mut a = started(&exam);
    a.change_section(&exam, 1, T0 + 1).unwrap();
    a.answer(&exam, "hexagone", Answer::Single { choice: 1 }, T0 + 2)
        .unwrap();
    a.answer(&exam, "pi", Answer::Numeric { value: 3.0 }, T0 + 2)
        .unwrap();
    let r = score(&exam, a.state());
    assert_eq!(q(&r, "hexagone").points, 3.0);
    assert_eq!(q(&r, "pi").points, -1.0);
    assert_eq!(r.sections[1].tally.max_points, 9.0);
}

#[test]
fn text_answers_case_sensitivity() {
    assert_eq!(scoring::normalize_text("  La\t Loire ", false), "la loire");
    assert_eq!(scoring::normalize_text("La Loire", true), "La Loire");
    let mut exam = demo();
    let fleuve = exam.sections[1]
        .questions
        .iter_mut()
        .find(|q| q.id == "fleuve")
        .unwrap();
    fleuve.case_sensitive = true;
    let mut a = started(&exam);
    a.change_section(&exam, 1, T0 + 1).unwrap();
    a.answer(
        &exam,
        "fleuve",
        Answer::Text {
            text: "loire".into(),
        },
        T0 + 2,
    )
    .unwrap();
    assert_eq!(
        q(&score(&exam, a.state()), "fleuve").outcome,
        Outcome::Wrong
    );
}

#[test]
fn tage_has_no_negative_marking_and_a_perfect_run_scores_40() {
    let exam = tage();
    let mut a = started(&exam);
    let mut t = T0;
    for (si, s) in exam.sections.iter().enumerate() {
        if si > 0 {
            t += 1;
            a.change_section(&exam, si, t).unwrap();
        }
        for qu in &s.questions {
            t += 1;
            let key = qu.correct.as_ref().unwrap().indices()[0];
            a.answer(&exam, &qu.id, Answer::Single { choice: key }, t)
                .unwrap();
        }
    }
    let r = score(&exam, a.state());
    assert_eq!((r.total.points, r.total.right), (40.0, 40));
    // All wrong: still 0, never negative.
    let mut b = started(&exam);
    let (_, first) = exam.question("c1").unwrap();
    let wrong = (first.correct.as_ref().unwrap().indices()[0] + 1) % 4;
    b.answer(&exam, "c1", Answer::Single { choice: wrong }, T0 + 1)
        .unwrap();
    let r = score(&exam, b.state());
    assert_eq!((r.total.points, r.total.wrong, r.total.blank), (0.0, 1, 39));
}

#[test]
fn redacted_exam_is_ungraded() {
    let exam = demo();
    let mut a = started(&exam);
    a.answer(&exam, "capitale", Answer::Single { choice: 1 }, T0 + 1)
        .unwrap();
    let r = score(&exam.redact(), a.state());
    assert_eq!(q(&r, "capitale").outcome, Outcome::Ungraded);
    assert_eq!(r.total.ungraded, 1);
    // The redacted copy replays the same log as the full exam.
    assert_eq!(&replay(&exam.redact(), a.events()).unwrap(), a.state());
}
