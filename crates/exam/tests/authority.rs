//! The server's scoring replay: the log's account of time against the
//! server's own records ([`replay_with_authority`]), and logs bound to
//! their attempt by the genesis.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use vigil_exam::*;

fn authority(exam: &Exam, started_at_ms: Option<i64>, extra_time: bool) -> Authority {
    Authority {
        started_at_ms,
        extra_time,
        window: window(exam),
        // These logs' identification takes no time: the server saw the
        // questions open at the start.
        questions_opened_at_ms: started_at_ms,
    }
}

/// The scoring replay of a log from the zero genesis against the server's
/// records: `started` (None: never seen), `extra`.
fn judge(exam: &Exam, a: &Attempt, started: Option<i64>, extra: bool) -> AuthoritativeReplay {
    replay_with_authority(
        GENESIS_HASH,
        exam,
        a.events(),
        &authority(exam, started, extra),
    )
    .unwrap()
}

fn single(choice: u32) -> Answer {
    Answer::Single { choice }
}

/// An honest log: started at the server's time, answered in time.
#[test]
fn an_honest_log_replays_as_it_is() {
    let exam = demo();
    let mut a = started(&exam);
    a.answer(&exam, "capitale", single(1), T0 + 10_000).unwrap();
    a.tick(&exam, T0 + 150_000);
    a.answer(&exam, "hexagone", single(0), T0 + 200_000)
        .unwrap();
    a.tick(&exam, T0 + 300_000);
    let plain = replay(&exam, a.events()).unwrap();
    let r = judge(&exam, &a, Some(T0), false);
    assert!(r.discrepancies.is_empty(), "{:?}", r.discrepancies);
    assert!(r.unscored.is_empty(), "{:?}", r.unscored);
    assert_eq!(r.state, plain);
    assert_eq!(r.started_at_ms, Some(T0));
    assert_eq!(r.deadline_ms, Some(T0 + 300_000));
}

/// A log whose start is a few seconds after the server's (the app's clock
/// measured over a slow round trip) keeps its own start.
#[test]
fn a_start_within_the_tolerance_stands() {
    let exam = demo();
    let mut a = waiting();
    a.start(&exam, &window(&exam), false, T0 + 3_000).unwrap();
    identify(&mut a, T0 + 3_000);
    a.open_questions(&exam, T0 + 3_000).unwrap();
    a.tick(&exam, T0 + 153_000);
    a.answer(
        &exam,
        "fleuve",
        Answer::Text { text: "x".into() },
        T0 + 302_500,
    )
    .unwrap();
    let r = judge(&exam, &a, Some(T0), false);
    assert!(r.discrepancies.is_empty());
    assert!(r.unscored.is_empty());
    assert_eq!(r.started_at_ms, Some(T0 + 3_000));
}

/// The candidate pressed start at T0 (the server's record) but wrote a log
/// that starts 50 s later, to answer past the real deadlines.
#[test]
fn a_log_starting_after_the_server_start_is_scored_on_the_server_timeline() {
    let exam = demo();
    let mut a = waiting();
    let late = T0 + 50_000;
    a.start(&exam, &window(&exam), false, late).unwrap();
    identify(&mut a, late);
    a.open_questions(&exam, late).unwrap();
    // In the log's time, section 1 ends at late + 150 s = T0 + 200 s.
    a.answer(&exam, "capitale", single(1), T0 + 170_000)
        .unwrap();
    a.tick(&exam, late + 150_000);
    // The log's deadline is T0 + 350 s; the server's is T0 + 300 s.
    a.answer(&exam, "hexagone", single(0), T0 + 250_000)
        .unwrap();
    a.answer(
        &exam,
        "fleuve",
        Answer::Text {
            text: "Seine".into(),
        },
        T0 + 320_000,
    )
    .unwrap();
    assert!(
        replay(&exam, a.events()).is_ok(),
        "the log is valid in itself"
    );

    let r = judge(&exam, &a, Some(T0), false);
    assert_eq!(
        r.discrepancies,
        vec![
            Discrepancy::StartTime {
                log_ms: late,
                server_ms: T0
            },
            Discrepancy::QuestionsOpened {
                log_ms: late,
                server_ms: T0
            }
        ]
    );
    assert_eq!(r.started_at_ms, Some(T0));
    assert_eq!(r.deadline_ms, Some(T0 + 300_000));
    let unscored: Vec<&str> = r.unscored_answers().map(|u| u.kind.as_str()).collect();
    assert_eq!(unscored, ["answer", "answer"], "{:?}", r.unscored);
    let ats: Vec<i64> = r.unscored_answers().map(|u| u.at).collect();
    assert_eq!(ats, [T0 + 170_000, T0 + 320_000]);
    // Only the answer given in time on the server's timeline counts.
    assert!(r.state.answers.contains_key("hexagone"));
    assert!(!r.state.answers.contains_key("capitale"));
    assert!(!r.state.answers.contains_key("fleuve"));
    // Submitted at the server's deadline, not the log's.
    assert_eq!(r.state.submitted_at_ms, Some(T0 + 300_000));
    let report = score(&exam, &r.state);
    assert_eq!(report.total.right, 0);
    assert_eq!(report.total.wrong, 1);
}

/// Extra time written in the log of a candidate the server granted none.
#[test]
fn claimed_extra_time_is_not_granted() {
    let exam = demo();
    let mut a = waiting();
    a.start(&exam, &window(&exam), true, T0).unwrap();
    identify(&mut a, T0);
    a.open_questions(&exam, T0).unwrap();
    let extra_end = a.state().deadline_ms.unwrap();
    assert!(extra_end > T0 + 300_000);
    // Section 1 with extra time lasts 200 s; answer section 2 after 300 s.
    a.tick(&exam, T0 + 200_000);
    a.answer(&exam, "pi", Answer::Numeric { value: 3.0 }, T0 + 330_000)
        .unwrap();
    let r = judge(&exam, &a, Some(T0), false);
    assert_eq!(
        r.discrepancies,
        vec![Discrepancy::ExtraTime {
            log: true,
            server: false
        }]
    );
    assert_eq!(r.deadline_ms, Some(T0 + 300_000));
    assert_eq!(r.unscored_answers().count(), 1);
    assert!(r.state.answers.is_empty());
    assert!(matches!(r.state.phase, Phase::Submitted { .. }));

    // The same log for a candidate the server did grant extra time: no
    // discrepancy, the answer counts.
    let granted = judge(&exam, &a, Some(T0), true);
    assert!(granted.discrepancies.is_empty());
    assert!(granted.state.answers.contains_key("pi"));
}

/// An offline start (the server saw none) counts at the log's time, inside
/// the session's window; a window rewritten in the log to start later is
/// a discrepancy.
#[test]
fn an_offline_start_must_lie_in_the_session_window() {
    let exam = demo();
    let in_window = started(&exam);
    let r = judge(&exam, &in_window, None, false);
    assert!(r.discrepancies.is_empty());
    assert_eq!(r.started_at_ms, Some(T0));

    let mut forged = waiting();
    let wide = StartWindow {
        opens_at_ms: T0,
        closes_at_ms: T0 + 3_600_000,
    };
    forged.start(&exam, &wide, false, T0 + 1_800_000).unwrap();
    let r = judge(&exam, &forged, None, false);
    assert!(r.discrepancies.contains(&Discrepancy::OutsideWindow {
        log_ms: T0 + 1_800_000
    }));
    assert!(r
        .discrepancies
        .iter()
        .any(|d| matches!(d, Discrepancy::Window { .. })));
    // Still replayed, for the reviewer to judge.
    assert_eq!(r.started_at_ms, Some(T0 + 1_800_000));
}

/// A log is bound to the attempt it was written for.
#[test]
fn a_log_verifies_only_from_its_attempts_genesis() {
    let exam = demo();
    let g1 = attempt_genesis("att-1", "nonce-1");
    let g2 = attempt_genesis("att-2", "nonce-1");
    assert_ne!(g1, g2);
    assert_ne!(g1, attempt_genesis("att-1", "nonce-2"));
    assert_eq!(g1.len(), 64);

    let mut a = Attempt::with_genesis(&g1);
    a.record_checks(vec![pass("camera")], T0).unwrap();
    assert_eq!(a.events()[0].prev_hash, g1);
    assert!(verify_from(&g1, a.events()).is_ok());
    assert!(verify_from(&g2, a.events()).is_err());
    assert!(verify(a.events()).is_err(), "not from the zero genesis");
    assert!(replay_with_authority(&g2, &exam, a.events(), &authority(&exam, None, false)).is_err());
    let resumed = Attempt::resume_with_genesis(&g1, None, a.events().to_vec()).unwrap();
    assert_eq!(resumed, a);
    assert!(Attempt::resume_with_genesis(&g2, None, a.events().to_vec()).is_err());
    // A malformed genesis falls back to zeros, which the server refuses.
    assert_eq!(
        Attempt::with_genesis("not hex").log().genesis(),
        GENESIS_HASH
    );
}
