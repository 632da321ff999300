//! Shared fixtures of the integration tests.
#![allow(dead_code)]

use vigil_exam::*;

pub(crate) const DEMO: &str = include_str!("../../../../exams/demo-short.toml");
pub(crate) const TAGE: &str = include_str!("../../../../exams/tage-post-bac-practice.toml");

/// Scheduled start of the fixtures (2026-06-01T08:00:00Z).
pub(crate) const T0: i64 = 1_780_300_800_000;
pub(crate) const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub(crate) const SHA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
pub(crate) const SHA_C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

pub(crate) fn demo() -> Exam {
    Exam::from_toml(DEMO).unwrap()
}

pub(crate) fn tage() -> Exam {
    Exam::from_toml(TAGE).unwrap()
}

pub(crate) fn window(exam: &Exam) -> StartWindow {
    StartWindow::new(
        exam,
        &Schedule {
            starts_at_ms: T0,
            grace_ms: None,
        },
    )
    .unwrap()
}

pub(crate) fn pass(item: &str) -> CheckResult {
    CheckResult {
        detail: String::new(),
        item: item.into(),
        status: CheckStatus::Pass,
    }
}

/// An attempt in the waiting room, its last event before `T0`.
pub(crate) fn waiting() -> Attempt {
    let mut a = Attempt::new();
    let t = T0 - 600_000;
    a.record_checks(vec![pass("camera"), pass("microphone")], t)
        .unwrap();
    a.consent("v1", SHA_A, t + 1).unwrap();
    a.enter_waiting_room(t + 5).unwrap();
    a
}

/// Every identification step after the start, at `t`: ID document, face,
/// the head turned left and right, the room scan.
pub(crate) fn identify(a: &mut Attempt, t: i64) {
    a.capture_identity(IdentityWhat::IdDocument, SHA_B, t)
        .unwrap();
    a.capture_identity(IdentityWhat::Face, SHA_C, t).unwrap();
    a.head_turn(Side::Left, SHA_A, 40, t).unwrap();
    a.head_turn(Side::Right, SHA_B, -40, t).unwrap();
    a.room_scan(SHA_A, 30_000, t).unwrap();
}

/// An attempt checked in at `T0`, in its identification steps.
pub(crate) fn checked_in(exam: &Exam) -> Attempt {
    let mut a = waiting();
    a.start(exam, &window(exam), false, T0).unwrap();
    a
}

/// An attempt started at `T0` whose identification took no time: the
/// questions open at `T0` too (no extra time).
pub(crate) fn started(exam: &Exam) -> Attempt {
    let mut a = checked_in(exam);
    identify(&mut a, T0);
    a.open_questions(exam, T0).unwrap();
    a
}
