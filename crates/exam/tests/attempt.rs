//! Tests of the attempt state machine, the start window and time.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use vigil_exam::*;

const MIN: i64 = 60_000;

fn two_free_sections() -> Exam {
    Exam::from_toml(
        r#"
id = "free"
title = "Free"
language = "en"
[timing]
duration_s = 600
[[sections]]
id = "a"
title = "A"
[[sections.questions]]
id = "a1"
type = "numeric"
text = "?"
answer = 1
[[sections]]
id = "b"
title = "B"
[[sections.questions]]
id = "b1"
type = "numeric"
text = "?"
answer = 1
[[sections]]
id = "c"
title = "C"
time_limit_s = 60
no_return = true
auto_advance = false
[[sections.questions]]
id = "c1"
type = "numeric"
text = "?"
answer = 1
"#,
    )
    .unwrap()
}

#[test]
fn happy_path_through_every_phase() {
    let exam = demo();
    let mut a = Attempt::new();
    assert_eq!(a.state().phase, Phase::Registered);
    let t = T0 - 600_000;
    a.record_checks(vec![pass("camera")], t).unwrap();
    assert_eq!(a.state().phase, Phase::Checked);
    a.consent("v1", SHA_A, t).unwrap();
    assert_eq!(a.state().phase, Phase::Consented);
    // Identification waits for the start: nothing of it before the hour.
    assert!(matches!(
        a.capture_identity(IdentityWhat::Face, SHA_B, t),
        Err(AttemptError::WrongPhase { .. })
    ));
    a.enter_waiting_room(t).unwrap();
    assert_eq!(a.state().phase, Phase::Waiting);
    let e = a.start(&exam, &window(&exam), false, T0 + 10).unwrap();
    let EventKind::Start(b) = &e.kind else {
        panic!()
    };
    // The latest end: start + identification bound (10 min) + 5 min.
    assert_eq!(
        (b.started_at_ms, b.deadline_ms),
        (T0 + 10, T0 + 10 + 10 * MIN + 5 * MIN)
    );
    assert_eq!(a.state().phase, Phase::Identifying);
    assert_eq!(
        a.remaining_ms(T0 + 10),
        None,
        "no timer before the questions"
    );
    a.capture_identity(IdentityWhat::Face, SHA_B, T0 + 11)
        .unwrap();
    a.capture_identity(IdentityWhat::IdDocument, SHA_C, T0 + 12)
        .unwrap();
    a.head_turn(Side::Left, SHA_A, 41, T0 + 13).unwrap();
    assert_eq!(
        a.open_questions(&exam, T0 + 14).unwrap_err(),
        AttemptError::IdentificationIncomplete {
            missing: "head_turn_right, room_scan".into()
        }
    );
    a.head_turn(Side::Right, SHA_B, -38, T0 + 15).unwrap();
    a.room_scan(SHA_A, 20_000, T0 + 16).unwrap();
    assert!(a.state().identification_missing().is_empty());
    let opened = a.open_questions(&exam, T0 + 17).unwrap();
    let EventKind::QuestionsOpened(q) = &opened.kind else {
        panic!()
    };
    // The timer starts when the questions open.
    assert_eq!(q.deadline_ms, T0 + 17 + 5 * MIN);
    assert_eq!(a.remaining_ms(T0 + 17), Some(5 * MIN));
    assert_eq!(a.state().phase, Phase::InProgress { section: 0 });
    assert_eq!(a.state().current_question.as_deref(), Some("capitale"));
    a.answer(&exam, "capitale", Answer::Single { choice: 1 }, T0 + 20)
        .unwrap();
    a.change_section(&exam, 1, T0 + 30).unwrap();
    assert!(a.state().sections[0].locked);
    a.answer(
        &exam,
        "fleuve",
        Answer::Text {
            text: "  la Loire ".into(),
        },
        T0 + 40,
    )
    .unwrap();
    assert_eq!(
        a.state().answers["fleuve"],
        Answer::Text {
            text: "la Loire".into()
        }
    );
    let submit = a.submit(&exam, T0 + 50).unwrap();
    assert_eq!(
        a.state().phase,
        Phase::Submitted {
            reason: Reason::Manual
        }
    );
    assert_eq!(a.state().submit_seq, Some(submit.seq));
    // Replay gives the same state.
    assert_eq!(&replay(&exam, a.events()).unwrap(), a.state());
}

#[test]
fn failed_check_keeps_registered_and_blocks_consent() {
    let mut a = Attempt::new();
    let fail = CheckResult {
        detail: "no camera".into(),
        item: "camera".into(),
        status: CheckStatus::Fail,
    };
    a.record_checks(vec![pass("mic"), fail], 1).unwrap();
    assert_eq!(a.state().phase, Phase::Registered);
    let e = a.consent("v1", SHA_A, 2).unwrap_err();
    assert!(matches!(
        e,
        AttemptError::WrongPhase {
            action: "consent",
            phase: Phase::Registered
        }
    ));
    let warn = CheckResult {
        detail: String::new(),
        item: "net".into(),
        status: CheckStatus::Warn,
    };
    a.record_checks(vec![warn], 3).unwrap();
    assert_eq!(a.state().phase, Phase::Checked, "warnings do not block");
}

#[test]
fn out_of_order_steps_are_refused() {
    let exam = demo();
    let mut a = Attempt::new();
    assert!(matches!(
        a.enter_waiting_room(1),
        Err(AttemptError::WrongPhase { .. })
    ));
    assert!(matches!(
        a.room_scan(SHA_A, 1, 1),
        Err(AttemptError::WrongPhase { .. })
    ));
    assert!(matches!(
        a.capture_identity(IdentityWhat::Face, SHA_A, 1),
        Err(AttemptError::WrongPhase { .. })
    ));
    assert!(matches!(
        a.start(&exam, &window(&exam), false, T0),
        Err(AttemptError::WrongPhase {
            action: "start",
            ..
        })
    ));
    assert_eq!(
        a.answer(&exam, "capitale", Answer::Single { choice: 0 }, 1),
        Err(AttemptError::NotStarted)
    );
    assert!(a.events().is_empty(), "refusals append nothing");
}

#[test]
fn invalid_media_hash_is_refused() {
    let mut a = Attempt::new();
    a.record_checks(vec![], 1).unwrap();
    let e = a.consent("v1", "not-a-hash", 2).unwrap_err();
    assert!(matches!(
        e,
        AttemptError::InvalidField {
            field: "text_sha256",
            ..
        }
    ));
    let e = a.consent(&"v".repeat(5000), SHA_A, 2).unwrap_err();
    assert!(matches!(
        e,
        AttemptError::InvalidField {
            field: "version",
            ..
        }
    ));
}

#[test]
fn start_window_is_enforced() {
    let exam = demo();
    let w = window(&exam);
    assert_eq!(w.opens_at_ms, T0);
    assert_eq!(
        w.closes_at_ms,
        T0 + vigil_exam::time::START_SLACK_MS,
        "grace 0 + slack"
    );
    let mut a = waiting();
    assert_eq!(
        a.start(&exam, &w, false, T0 - 1),
        Err(AttemptError::Start(StartError::TooEarly {
            opens_at_ms: T0
        }))
    );
    assert_eq!(
        a.start(&exam, &w, false, w.closes_at_ms + 1),
        Err(AttemptError::Start(StartError::TooLate {
            closed_at_ms: w.closes_at_ms
        }))
    );
    a.start(&exam, &w, false, w.closes_at_ms).unwrap();
    assert_eq!(
        a.start(&exam, &w, false, w.closes_at_ms),
        Err(AttemptError::AlreadyStarted)
    );
}

#[test]
fn check_start_and_schedule() {
    let exam = demo();
    let w = StartWindow::new(
        &exam,
        &Schedule {
            starts_at_ms: 1000,
            grace_ms: Some(500),
        },
    )
    .unwrap();
    assert_eq!(
        w.check_start(999),
        Err(StartError::TooEarly { opens_at_ms: 1000 })
    );
    assert_eq!(w.check_start(1000), Ok(()));
    let last = 1500 + vigil_exam::time::START_SLACK_MS;
    assert_eq!(w.check_start(last), Ok(()));
    assert_eq!(
        w.check_start(last + 1),
        Err(StartError::TooLate { closed_at_ms: last })
    );
    assert_eq!(
        StartWindow::new(
            &exam,
            &Schedule {
                starts_at_ms: 1000,
                grace_ms: Some(-1)
            }
        ),
        Err(ScheduleError::EndsBeforeStart { grace_ms: -1 })
    );
    assert_eq!(
        StartWindow::new(
            &exam,
            &Schedule {
                starts_at_ms: i64::MAX - 5,
                grace_ms: None
            }
        ),
        Err(ScheduleError::OutOfRange)
    );
    let mut graced = exam.clone();
    graced.timing.late_entry_grace_s = 120;
    let w = StartWindow::new(
        &graced,
        &Schedule {
            starts_at_ms: 0,
            grace_ms: None,
        },
    )
    .unwrap();
    assert_eq!(w.closes_at_ms, 120_000 + vigil_exam::time::START_SLACK_MS);
}

#[test]
fn deadlines_come_from_the_actual_start_with_extra_time() {
    let exam = tage();
    // The latest end: the identification bound (10 min), then 1 h 20.
    let d = deadlines(&exam, T0 + 5_000, false);
    assert_eq!(d.identification_by_ms, T0 + 5_000 + 10 * MIN);
    assert_eq!(d.ends_at_ms, T0 + 5_000 + 10 * MIN + 80 * MIN);
    assert_eq!(d.sync_by_ms, d.ends_at_ms + 12 * 60 * MIN);
    let d = deadlines(&exam, T0, true);
    assert_eq!(d.ends_at_ms, T0 + 10 * MIN + 80 * MIN + 80 * MIN / 3);
    // Once the questions' opening is known, the end and the 12 h to send
    // count from it; an opening claimed past the bound changes nothing.
    let opened = deadlines_opened(&exam, T0, false, Some(T0 + 95_000));
    assert_eq!(opened.ends_at_ms, T0 + 95_000 + 80 * MIN);
    assert_eq!(opened.sync_by_ms, opened.ends_at_ms + 12 * 60 * MIN);
    assert_eq!(
        deadlines_opened(&exam, T0, false, None),
        deadlines(&exam, T0, false)
    );
    assert_eq!(
        deadlines_opened(&exam, T0, false, Some(T0 + 60 * MIN)),
        deadlines(&exam, T0, false)
    );
    let mut a = waiting();
    a.start(&exam, &window(&exam), true, T0).unwrap();
    identify(&mut a, T0);
    a.open_questions(&exam, T0).unwrap();
    assert_eq!(a.state().deadline_ms, Some(T0 + 80 * MIN + 80 * MIN / 3));
    assert_eq!(
        a.state().sections[0].deadline_ms,
        Some(T0 + 20 * MIN + 20 * MIN / 3)
    );
}

#[test]
fn forged_start_is_refused_on_replay() {
    let exam = demo();
    let mut log = EventLog::from_events(waiting().events().to_vec()).unwrap();
    log.append(
        EventKind::Start(StartBody {
            deadline_ms: T0 + 10 * MIN, // twice the duration
            extra_time: false,
            started_at_ms: T0,
            window_closes_ms: T0 + MIN,
            window_opens_ms: T0,
        }),
        T0,
    );
    let err = replay(&exam, log.events()).unwrap_err();
    assert!(
        matches!(
            err,
            ReplayError::Refused {
                seq: 4,
                error: AttemptError::BadStart(_)
            }
        ),
        "{err}"
    );
}

#[test]
fn answers_are_checked() {
    let exam = demo();
    let mut a = started(&exam);
    let t = T0 + 1000;
    let mal = |r: Result<Event, AttemptError>| matches!(r, Err(AttemptError::Malformed { .. }));
    assert!(mal(a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 4 },
        t
    )));
    assert!(mal(a.answer(
        &exam,
        "capitale",
        Answer::Numeric { value: 1.0 },
        t
    )));
    assert!(mal(a.answer(
        &exam,
        "premiers",
        Answer::Multiple { choices: vec![] },
        t
    )));
    assert!(mal(a.answer(
        &exam,
        "premiers",
        Answer::Multiple {
            choices: vec![1, 1]
        },
        t
    )));
    assert!(mal(a.answer(
        &exam,
        "premiers",
        Answer::Multiple {
            choices: vec![0, 9]
        },
        t
    )));
    assert!(mal(a.answer(
        &exam,
        "produit",
        Answer::Numeric { value: f64::NAN },
        t
    )));
    assert!(mal(a.answer(
        &exam,
        "produit",
        Answer::Numeric {
            value: f64::INFINITY
        },
        t
    )));
    assert_eq!(
        a.answer(&exam, "nope", Answer::Single { choice: 0 }, t),
        Err(AttemptError::UnknownQuestion("nope".into()))
    );
    assert!(matches!(
        a.answer(
            &exam,
            "fleuve",
            Answer::Text {
                text: "Loire".into()
            },
            t
        ),
        Err(AttemptError::NotCurrentSection { section: 1, .. })
    ));
    a.answer(
        &exam,
        "premiers",
        Answer::Multiple {
            choices: vec![2, 0],
        },
        t,
    )
    .unwrap();
    assert_eq!(
        a.state().answers["premiers"],
        Answer::Multiple {
            choices: vec![0, 2]
        }
    );
    a.change_section(&exam, 1, t).unwrap();
    assert!(mal(a.answer(
        &exam,
        "fleuve",
        Answer::Text { text: "   ".into() },
        t
    )));
    assert!(mal(a.answer(
        &exam,
        "fleuve",
        Answer::Text {
            text: "x".repeat(2000)
        },
        t
    )));
    assert_eq!(
        a.events().len(),
        12,
        "only the valid answer and section change appended"
    );
}

#[test]
fn locked_section_refuses_answers_and_return() {
    let exam = demo();
    let mut a = started(&exam);
    a.change_section(&exam, 1, T0 + 1000).unwrap();
    assert_eq!(
        a.answer(&exam, "capitale", Answer::Single { choice: 1 }, T0 + 2000),
        Err(AttemptError::SectionLocked {
            question: "capitale".into(),
            section: 0
        })
    );
    assert!(matches!(
        a.flag(&exam, "capitale", true, T0 + 2000),
        Err(AttemptError::SectionLocked { .. })
    ));
    assert_eq!(
        a.change_section(&exam, 0, T0 + 2000),
        Err(AttemptError::LockedSection { section: 0 })
    );
    assert_eq!(
        a.change_section(&exam, 1, T0 + 2000),
        Err(AttemptError::SameSection(1))
    );
    assert_eq!(
        a.change_section(&exam, 7, T0 + 2000),
        Err(AttemptError::UnknownSection(7))
    );
}

#[test]
fn no_return_only_allows_the_next_section() {
    let exam = tage();
    let mut a = started(&exam);
    assert_eq!(
        a.change_section(&exam, 2, T0 + 1),
        Err(AttemptError::NoReturn { from: 0, next: 1 })
    );
    a.change_section(&exam, 1, T0 + 1).unwrap();
    // The new section's own time counts from its entry.
    assert_eq!(a.state().sections[1].deadline_ms, Some(T0 + 1 + 20 * MIN));
}

#[test]
fn free_sections_allow_going_back() {
    let exam = two_free_sections();
    let mut a = started(&exam);
    a.answer(&exam, "a1", Answer::Numeric { value: 1.0 }, T0 + 1)
        .unwrap();
    a.change_section(&exam, 1, T0 + 2).unwrap();
    a.change_section(&exam, 0, T0 + 3).unwrap();
    a.answer(&exam, "a1", Answer::Numeric { value: 2.0 }, T0 + 4)
        .unwrap();
    a.change_section(&exam, 2, T0 + 5).unwrap();
    assert_eq!(a.state().sections[2].deadline_ms, Some(T0 + 5 + MIN));
}

#[test]
fn section_without_auto_advance_refuses_answers_when_its_time_ends() {
    let exam = two_free_sections();
    let mut a = started(&exam);
    a.change_section(&exam, 2, T0).unwrap();
    assert!(
        a.tick(&exam, T0 + 2 * MIN).is_empty(),
        "no event for a non-advancing section"
    );
    assert_eq!(
        a.answer(&exam, "c1", Answer::Numeric { value: 1.0 }, T0 + MIN),
        Err(AttemptError::SectionTimeUp {
            section: 2,
            deadline_ms: T0 + MIN
        })
    );
    a.answer(&exam, "c1", Answer::Numeric { value: 1.0 }, T0 + MIN - 1)
        .unwrap();
    assert!(matches!(
        a.answer(&exam, "c1", Answer::Numeric { value: 2.0 }, T0 + 2 * MIN),
        Err(AttemptError::SectionTimeUp { .. })
    ));
    // Leaving (no_return) is allowed only forward; it is the last section.
    assert!(a.change_section(&exam, 0, T0 + 3 * MIN).is_err());
}

#[test]
fn tick_advances_sections_at_the_boundary_not_at_now() {
    let exam = tage();
    let mut a = started(&exam);
    assert!(a.tick(&exam, T0 + 20 * MIN - 1).is_empty());
    assert_eq!(a.next_boundary_ms(), Some(T0 + 20 * MIN));
    // The laptop slept: tick arrives 25 minutes late.
    let events = a.tick(&exam, T0 + 45 * MIN);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].at, T0 + 20 * MIN);
    assert_eq!(
        events[0].kind,
        EventKind::SectionChange(SectionChangeBody {
            from: 0,
            reason: Reason::Timeout,
            to: 1
        })
    );
    assert_eq!(events[1].at, T0 + 40 * MIN);
    assert_eq!(a.state().phase, Phase::InProgress { section: 2 });
    assert_eq!(a.state().sections[2].entered_at_ms, Some(T0 + 40 * MIN));
    assert!(a.tick(&exam, T0 + 45 * MIN).is_empty(), "idempotent");
    // To the end: the last section times out into a timeout submit.
    let events = a.tick(&exam, T0 + 10 * 60 * MIN);
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1].kind,
        EventKind::Submit(SubmitBody {
            reason: Reason::Timeout
        })
    );
    assert_eq!(events[1].at, T0 + 80 * MIN);
    assert_eq!(
        a.state().phase,
        Phase::Submitted {
            reason: Reason::Timeout
        }
    );
    assert_eq!(a.state().submitted_at_ms, Some(T0 + 80 * MIN));
    assert_eq!(&replay(&exam, a.events()).unwrap(), a.state());
}

#[test]
fn global_deadline_submits_with_timeout() {
    let exam = demo();
    let mut a = started(&exam);
    a.change_section(&exam, 1, T0 + MIN).unwrap();
    let events = a.tick(&exam, T0 + 5 * MIN);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].at, T0 + 5 * MIN);
    assert_eq!(
        a.state().phase,
        Phase::Submitted {
            reason: Reason::Timeout
        }
    );
    assert_eq!(
        a.answer(
            &exam,
            "fleuve",
            Answer::Text {
                text: "Loire".into()
            },
            T0 + 6 * MIN
        ),
        Err(AttemptError::AfterEnd)
    );
    assert_eq!(a.submit(&exam, T0 + 6 * MIN), Err(AttemptError::AfterEnd));
}

#[test]
fn commands_after_a_boundary_need_a_tick() {
    let exam = demo();
    let mut a = started(&exam);
    let boundary = T0 + 150_000; // section 1: 2 min 30
    assert_eq!(
        a.answer(&exam, "capitale", Answer::Single { choice: 1 }, boundary),
        Err(AttemptError::TickDue {
            boundary_ms: boundary
        })
    );
    assert_eq!(
        a.record_focus(false, boundary + 5),
        Err(AttemptError::TickDue {
            boundary_ms: boundary
        })
    );
    a.answer(
        &exam,
        "capitale",
        Answer::Single { choice: 1 },
        boundary - 1,
    )
    .unwrap();
    a.tick(&exam, boundary + 5);
    a.record_focus(false, boundary + 5).unwrap();
}

#[test]
fn time_never_goes_backwards() {
    let exam = demo();
    let mut a = started(&exam);
    a.answer(&exam, "capitale", Answer::Single { choice: 1 }, T0 + 1000)
        .unwrap();
    assert_eq!(
        a.answer(&exam, "capitale", Answer::Single { choice: 0 }, T0 + 999),
        Err(AttemptError::TimeWentBackwards {
            last_at: T0 + 1000,
            at: T0 + 999
        })
    );
}

#[test]
fn forged_timeout_events_are_refused() {
    let exam = demo();
    let a = started(&exam);
    let mut log = EventLog::from_events(a.events().to_vec()).unwrap();
    log.append(
        EventKind::Submit(SubmitBody {
            reason: Reason::Timeout,
        }),
        T0 + MIN,
    );
    let err = replay(&exam, log.events()).unwrap_err();
    assert!(
        matches!(
            err,
            ReplayError::Refused {
                error: AttemptError::BadTimeout(_),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn remaining_time_is_derived() {
    let exam = demo();
    let mut a = waiting();
    assert_eq!(a.remaining_ms(T0), None);
    a.start(&exam, &window(&exam), false, T0).unwrap();
    identify(&mut a, T0);
    a.open_questions(&exam, T0).unwrap();
    assert_eq!(a.remaining_ms(T0), Some(5 * MIN));
    assert_eq!(a.remaining_ms(T0 + MIN), Some(4 * MIN));
    assert_eq!(a.remaining_ms(T0 + 99 * MIN), Some(0));
    assert_eq!(
        a.remaining_ms(T0 - MIN),
        Some(6 * MIN),
        "derived from the start, not stored"
    );
    assert_eq!(a.section_remaining_ms(T0 + 30_000), Some(120_000));
    a.change_section(&exam, 1, T0 + MIN).unwrap();
    assert_eq!(
        a.section_remaining_ms(T0 + MIN),
        Some(4 * MIN),
        "untimed: the exam's deadline"
    );
    a.submit(&exam, T0 + 2 * MIN).unwrap();
    assert_eq!(a.remaining_ms(T0 + 2 * MIN), Some(0));
    assert_eq!(a.section_remaining_ms(T0 + 2 * MIN), None);
}

#[test]
fn flags_navigation_and_clear() {
    let exam = demo();
    let mut a = started(&exam);
    a.flag(&exam, "produit", true, T0 + 1).unwrap();
    assert!(a.state().flags.contains("produit"));
    a.flag(&exam, "produit", false, T0 + 2).unwrap();
    assert!(a.state().flags.is_empty());
    a.navigate(&exam, "premiers", T0 + 3).unwrap();
    assert_eq!(a.state().current_question.as_deref(), Some("premiers"));
    assert!(matches!(
        a.navigate(&exam, "fleuve", T0 + 3),
        Err(AttemptError::NotCurrentSection { .. })
    ));
    a.answer(&exam, "produit", Answer::Numeric { value: 1.0 }, T0 + 4)
        .unwrap();
    a.clear_answer(&exam, "produit", T0 + 5).unwrap();
    assert!(a.state().answers.is_empty());
}

#[test]
fn incidents_open_and_close_once() {
    let mut a = waiting();
    let inc = Incident {
        kind: IncidentKind::Voice,
        severity: Severity::Medium,
        opened_at: T0 - 100,
        closed_at: None,
        evidence: Some(SHA_A.into()),
    };
    a.record_incident(&IncidentChange::Opened(inc.clone()), T0 - 50)
        .unwrap();
    assert_eq!(
        a.record_incident(&IncidentChange::Opened(inc.clone()), T0 - 40),
        Err(AttemptError::IncidentAlreadyOpen(IncidentKind::Voice))
    );
    let closed = Incident {
        closed_at: Some(T0 - 30),
        ..inc.clone()
    };
    a.record_incident(&IncidentChange::Closed(closed.clone()), T0 - 20)
        .unwrap();
    assert_eq!(a.state().incidents, vec![closed.clone()]);
    assert_eq!(
        a.record_incident(&IncidentChange::Closed(closed), T0 - 10),
        Err(AttemptError::IncidentNotOpen(IncidentKind::Voice))
    );
    let future = Incident {
        opened_at: T0 + 1000,
        ..inc
    };
    assert!(matches!(
        a.record_incident(&IncidentChange::Opened(future), T0),
        Err(AttemptError::BadIncidentTime(_))
    ));
}

/// What the server acknowledged is not a fact of the attempt (the app keeps
/// its sync cursor beside the log): a log naming a `sync_ack`, as an older
/// engine wrote, is refused by name.
#[test]
fn a_sync_ack_is_not_an_event_of_the_log() {
    let json = r#"[{"seq":1,"at":1,"kind":"sync_ack","body":{"acked_seq":0},"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","hash":"0000000000000000000000000000000000000000000000000000000000000000"}]"#;
    let err = decode_events(json).unwrap_err().to_string();
    assert!(err.contains("sync_ack"), "{err}");
}

#[test]
fn observations_and_clock_facts_are_recorded() {
    let mut a = waiting();
    a.record_fullscreen(true, T0).unwrap();
    a.record_focus(false, T0).unwrap();
    a.record_clock_sync(T0, -250, 40, T0).unwrap();
    assert!(a.state().fullscreen && !a.state().focused);
    assert_eq!(a.state().clock_offset_ms, Some(-250));
}

#[test]
fn resume_continues_the_same_attempt() {
    let exam = demo();
    let mut a = started(&exam);
    a.answer(&exam, "capitale", Answer::Single { choice: 1 }, T0 + 1)
        .unwrap();
    let mut b = Attempt::resume(Some(&exam), a.events().to_vec()).unwrap();
    assert_eq!(b, a);
    b.answer(&exam, "produit", Answer::Numeric { value: 144.0 }, T0 + 2)
        .unwrap();
    verify(b.events()).unwrap();
    // Before the start, no exam is needed.
    let w = waiting();
    assert_eq!(Attempt::resume(None, w.events().to_vec()).unwrap(), w);
    assert!(matches!(
        Attempt::resume(None, a.events().to_vec()),
        Err(ReplayError::Refused {
            error: AttemptError::ExamRequired,
            ..
        })
    ));
}

#[test]
fn parse_number_accepts_french_and_english_decimals() {
    assert_eq!(parse_number(" 2,5 "), Some(2.5));
    assert_eq!(parse_number("2.5"), Some(2.5));
    assert_eq!(parse_number("−2"), Some(-2.0));
    assert_eq!(parse_number("1 000"), Some(1000.0));
    assert_eq!(parse_number("abc"), None);
    assert_eq!(parse_number("inf"), None);
    assert_eq!(parse_number("NaN"), None);
    assert_eq!(parse_number(""), None);
    assert_eq!(parse_number("1e400"), None);
}

#[test]
fn blocked_actions_are_counted_and_bounded() {
    let mut a = vigil_exam::Attempt::new();
    a.record_blocked("paste", 10).unwrap();
    a.record_blocked("shortcut:ctrl+p", 11).unwrap();
    assert_eq!(a.state().blocked_actions, 2);
    assert!(a.record_blocked("", 12).is_err());
    assert!(a.record_blocked(&"x".repeat(65), 12).is_err());
    // A refused command appends nothing.
    assert_eq!(a.events().len(), 2);
    let replayed = vigil_exam::Attempt::resume(None, a.events().to_vec()).unwrap();
    assert_eq!(replayed.state().blocked_actions, 2);
}

#[test]
fn screens_and_kiosk_reports_are_kept_and_bounded() {
    use vigil_exam::{CheckResult, CheckStatus, KioskReportBody};
    let mut a = vigil_exam::Attempt::new();
    assert!(!a.state().extended_screen);
    a.record_screens(true, 10).unwrap();
    assert!(a.state().extended_screen);
    a.record_screens(false, 11).unwrap();
    assert!(!a.state().extended_screen);

    let report = |n: usize| KioskReportBody {
        config_key: "ab".repeat(32),
        launcher: "vigil-kiosk 0.1.0".into(),
        results: (0..n)
            .map(|i| CheckResult {
                item: format!("check{i}"),
                status: CheckStatus::Warn,
                detail: "machine virtuelle".into(),
            })
            .collect(),
    };
    a.record_kiosk_report(report(3), 12).unwrap();
    assert_eq!(a.state().kiosk_report.as_ref().unwrap().results.len(), 3);
    let too_many = a.record_kiosk_report(report(65), 13).unwrap_err();
    assert!(
        too_many.to_string().contains("kiosk_report.results"),
        "{too_many}"
    );
    let mut long = report(1);
    long.results[0].detail = "x".repeat(10_000);
    assert!(a.record_kiosk_report(long, 13).is_err());
    // Refused reports append nothing; replay gives the same state.
    assert_eq!(a.events().len(), 3);
    let replayed = vigil_exam::Attempt::resume(None, a.events().to_vec()).unwrap();
    assert_eq!(replayed.state(), a.state());
}

#[test]
fn a_face_match_names_the_kept_photos_and_a_bounded_similarity() {
    use vigil_exam::FaceMatchBody;
    let mut a = checked_in(&demo());
    identify(&mut a, T0);
    let (id, face) = (
        a.state().id_document_sha256.clone().unwrap(),
        a.state().face_sha256.clone().unwrap(),
    );
    let body = |sim: Option<i32>| FaceMatchBody {
        face_sha256: face.clone(),
        faces_on_face: 1,
        faces_on_id: 1,
        id_sha256: id.clone(),
        similarity_milli: sim,
    };
    a.record_face_match(body(Some(790)), T0).unwrap();
    assert_eq!(
        a.state().face_match.as_ref().unwrap().similarity_milli,
        Some(790)
    );
    // Out of range, or naming another photo: refused, nothing appended.
    let n = a.events().len();
    let e = a.record_face_match(body(Some(1001)), T0 + 1).unwrap_err();
    assert!(e.to_string().contains("similarity_milli"), "{e}");
    let mut other = body(None);
    other.id_sha256 = "0".repeat(64);
    let e = a.record_face_match(other, T0 + 2).unwrap_err();
    assert!(e.to_string().contains("face_match"), "{e}");
    assert_eq!(a.events().len(), n);
    // Not measured (no single face on the ID): kept as such.
    a.record_face_match(
        FaceMatchBody {
            faces_on_id: 0,
            ..body(None)
        },
        T0 + 3,
    )
    .unwrap();
    let replayed = vigil_exam::Attempt::resume(Some(&demo()), a.events().to_vec()).unwrap();
    assert_eq!(replayed.state().face_match, a.state().face_match);
}

/// The app's store undoes a step IndexedDB refused by rewinding to the
/// state it last stored: the log and the state are exactly as before, and
/// the next step continues the chain from there.
#[test]
fn rewinding_to_a_stored_state_undoes_later_steps() {
    let exam = demo();
    let mut a = Attempt::new();
    let t = T0 - 600_000;
    a.record_checks(vec![pass("camera")], t).unwrap();
    a.consent("v1", SHA_A, t).unwrap();
    a.enter_waiting_room(t).unwrap();
    a.start(&exam, &window(&exam), false, T0).unwrap();
    let stored = a.clone();
    let earlier = a.state().clone();
    a.capture_identity(IdentityWhat::Face, SHA_B, T0 + 1)
        .unwrap();
    a.capture_identity(IdentityWhat::IdDocument, SHA_C, T0 + 2)
        .unwrap();
    a.rewind_to(earlier.clone()).unwrap();
    assert_eq!(a, stored);
    // The chain goes on from the rewound end, as if the steps never were.
    let e = a
        .capture_identity(IdentityWhat::Face, SHA_B, T0 + 3)
        .unwrap();
    assert_eq!(e.seq, stored.state().last_seq + 1);
    assert_eq!(Some(&e.prev_hash), stored.events().last().map(|l| &l.hash));
    assert_eq!(&replay_from_start(&exam, a.events()), a.state());
    assert_eq!(a.events_after(stored.state().last_seq), &[e][..]);

    // A state ahead of the log is refused and changes nothing.
    let mut short = stored.clone();
    short.rewind_to(earlier.clone()).unwrap();
    let mut ahead = a.state().clone();
    ahead.last_seq += 5;
    let before = a.clone();
    assert_eq!(
        a.rewind_to(ahead).unwrap_err(),
        AttemptError::RewindAhead {
            to_seq: before.state().last_seq + 5,
            last_seq: before.state().last_seq,
        }
    );
    assert_eq!(a, before);
}

fn replay_from_start(exam: &Exam, events: &[Event]) -> AttemptState {
    replay(exam, events).unwrap()
}

#[test]
fn an_online_start_carries_the_servers_start_and_the_waiting_room_comes_first() {
    // #31: the server started the attempt at `server`; its answer reached
    // the app 30 ms later, with the candidate not yet in the waiting room.
    let exam = two_free_sections();
    let window = StartWindow {
        opens_at_ms: 0,
        closes_at_ms: 10 * MIN,
    };
    let server = 5 * MIN;
    let mut a = Attempt::new();
    a.record_checks(vec![], server - 60_000).unwrap();
    a.consent("v1", &"a".repeat(64), server - 50_000).unwrap();
    let events = a
        .wait_and_start(&exam, &window, false, Some(server), server + 30)
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0].kind, EventKind::Waiting(_)));
    assert!(
        events[0].at <= server,
        "in the waiting room before the start"
    );
    assert_eq!(
        events[1].at, server,
        "the start event is the server's start"
    );
    let EventKind::Start(b) = &events[1].kind else {
        panic!("{:?}", events[1].kind)
    };
    assert_eq!(b.started_at_ms, server);
    assert_eq!(b.deadline_ms, deadlines(&exam, server, false).ends_at_ms);

    // Offline (no server start): now, the waiting room first as well.
    let mut b = Attempt::new();
    b.record_checks(vec![], server - 60_000).unwrap();
    b.consent("v1", &"a".repeat(64), server - 50_000).unwrap();
    let events = b
        .wait_and_start(&exam, &window, false, None, server)
        .unwrap();
    assert_eq!((events[0].at, events[1].at), (server, server));

    // A log already past the server's start (a device clock ahead): never
    // back in time; the sync flags the difference.
    let mut c = Attempt::new();
    c.record_checks(vec![], server - 60_000).unwrap();
    c.consent("v1", &"a".repeat(64), server + 2_000).unwrap();
    let events = c
        .wait_and_start(&exam, &window, false, Some(server), server + 30)
        .unwrap();
    assert_eq!(events[0].at, server + 2_000);
    assert_eq!(events[1].at, server + 2_000);
}
