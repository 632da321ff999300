//! The proctoring loop's state: the engine's [`Proctor`] fed with what the
//! app observes during the exam, turning it into incident events by the
//! exam's policy (`[proctoring]`: thresholds, severities, rules on or off).
//!
//! Pure (no web-sys): the app feeds it the lockdown's signals as they are
//! recorded and a tick every second, and stores the incident changes it
//! returns. After a reload the same state is rebuilt from the log
//! ([`Watch::resume`]): the recorded focus / fullscreen / screens events are
//! replayed with a tick before each (as the live loop ticks between them),
//! then what the log says is open is reconciled with what the rules say,
//! so an incident is neither lost nor opened twice when the page was
//! closed in between. Camera frames and voice join the same loop with the
//! on-device face checks.

use vigil_exam::{
    Attempt, EventKind, Exam, Incident, IncidentChange, Observation, Proctor, Signal,
};

/// The proctor of one attempt in progress.
pub struct Watch {
    proctor: Proctor,
}

/// The observation a recorded event stands for, if it is one.
fn observation_of(kind: &EventKind) -> Option<Signal> {
    match kind {
        EventKind::Focus(b) => Some(Signal::Focus { focused: b.focused }),
        EventKind::Fullscreen(b) => Some(Signal::Fullscreen { active: b.active }),
        EventKind::Screens(b) => Some(Signal::Screens {
            extended: b.extended,
        }),
        _ => None,
    }
}

impl Watch {
    /// The watch of `attempt` at `now_ms`, rebuilt from its log, with the
    /// changes to record so that the log agrees with the rules now.
    pub fn resume(exam: &Exam, attempt: &Attempt, now_ms: i64) -> (Watch, Vec<IncidentChange>) {
        let mut proctor = Proctor::new(&exam.proctoring);
        let started = attempt.state().started_at_ms;
        if let Some(start) = started {
            // The exam starts focused and fullscreen (entered by the click).
            proctor.observe(Observation::new(start, Signal::Focus { focused: true }));
            proctor.observe(Observation::new(start, Signal::Fullscreen { active: true }));
            for e in attempt.events().iter().filter(|e| e.at >= start) {
                if let Some(signal) = observation_of(&e.kind) {
                    proctor.observe(Observation::new(e.at, Signal::Tick));
                    proctor.observe(Observation::new(e.at, signal));
                }
            }
            proctor.observe(Observation::new(now_ms, Signal::Tick));
        }
        let recorded = &attempt.state().incidents;
        let mut changes = Vec::new();
        // Open by the rules, not in the log: record the opening.
        for i in proctor.open_incidents() {
            let logged = recorded
                .iter()
                .any(|r| r.kind == i.kind && r.closed_at.is_none());
            if !logged {
                changes.push(IncidentChange::Opened(i.clone()));
            }
        }
        // Open in the log, over by the rules: close it now.
        for r in recorded.iter().filter(|r| r.closed_at.is_none()) {
            if !proctor.open_incidents().any(|i| i.kind == r.kind) {
                changes.push(IncidentChange::Closed(Incident {
                    closed_at: Some(now_ms.max(r.opened_at)),
                    ..r.clone()
                }));
            }
        }
        (Watch { proctor }, changes)
    }

    /// Feeds what was just recorded (or a tick): the incidents it opens or
    /// closes.
    pub fn observe(&mut self, at: i64, signal: Signal) -> Vec<IncidentChange> {
        self.proctor.observe(Observation::new(at, signal))
    }

    /// The exam is over: every open incident closes at `at`.
    pub fn finish(&mut self, at: i64) -> Vec<IncidentChange> {
        self.proctor.finish(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_exam::{IncidentKind, Schedule, StartWindow};

    const EXAM: &str = include_str!("../exams/demo-short.toml");

    fn started() -> (Exam, Attempt, i64) {
        let exam = Exam::from_toml(EXAM).unwrap();
        let window = StartWindow::new(
            &exam,
            &Schedule {
                starts_at_ms: 1_000_000,
                grace_ms: Some(600_000),
            },
        )
        .unwrap();
        let sha = "a".repeat(64);
        let mut a = Attempt::new();
        a.record_checks(vec![], 900_000).unwrap();
        a.consent("v1", &sha, 900_001).unwrap();
        a.capture_identity(vigil_exam::IdentityWhat::IdDocument, &sha, 900_002)
            .unwrap();
        a.capture_identity(vigil_exam::IdentityWhat::Face, &sha, 900_003)
            .unwrap();
        a.room_scan(&sha, 20_000, 900_004).unwrap();
        a.enter_waiting_room(900_005).unwrap();
        let start = 1_000_000;
        a.start(&exam, &window, false, start).unwrap();
        (exam, a, start)
    }

    fn record(a: &mut Attempt, changes: &[IncidentChange], at: i64) {
        for c in changes {
            a.record_incident(c, at).unwrap();
        }
    }

    #[test]
    fn leaving_the_window_opens_then_closes_an_incident() {
        let (exam, mut a, start) = started();
        let (mut w, fix) = Watch::resume(&exam, &a, start);
        assert!(fix.is_empty());
        a.record_focus(false, start + 10_000).unwrap();
        assert!(w
            .observe(start + 10_000, Signal::Focus { focused: false })
            .is_empty());
        // The left-window rule opens after 1 s, dated from the exit.
        let opened = w.observe(start + 11_000, Signal::Tick);
        assert!(matches!(&opened[..], [IncidentChange::Opened(i)]
            if i.kind == IncidentKind::LeftWindow && i.opened_at == start + 10_000));
        record(&mut a, &opened, start + 11_000);
        a.record_focus(true, start + 15_000).unwrap();
        assert!(w
            .observe(start + 15_000, Signal::Focus { focused: true })
            .is_empty());
        let closed = w.observe(start + 16_000, Signal::Tick);
        assert!(matches!(&closed[..], [IncidentChange::Closed(i)]
            if i.closed_at == Some(start + 15_000)));
        record(&mut a, &closed, start + 16_000);
        assert_eq!(a.state().incidents.len(), 1);

        // Rebuilt after a reload: the same facts, nothing to record again.
        let (_, fix) = Watch::resume(&exam, &a, start + 20_000);
        assert!(fix.is_empty(), "{fix:?}");
    }

    #[test]
    fn a_reload_records_what_happened_while_the_page_was_closed() {
        let (exam, mut a, start) = started();
        // The candidate left the window and the page went away before the
        // incident could be recorded.
        a.record_focus(false, start + 5_000).unwrap();
        let (mut w, fix) = Watch::resume(&exam, &a, start + 30_000);
        assert!(matches!(&fix[..], [IncidentChange::Opened(i)]
            if i.kind == IncidentKind::LeftWindow && i.opened_at == start + 5_000));
        record(&mut a, &fix, start + 30_000);
        // Back: recorded as focus, the incident closes.
        a.record_focus(true, start + 31_000).unwrap();
        w.observe(start + 31_000, Signal::Focus { focused: true });
        let closed = w.observe(start + 32_000, Signal::Tick);
        assert_eq!(closed.len(), 1);
        record(&mut a, &closed, start + 32_000);

        // An incident the log left open but the rules closed is closed.
        let (exam2, mut b, start2) = started();
        b.record_focus(false, start2 + 1_000).unwrap();
        let (_, fix) = Watch::resume(&exam2, &b, start2 + 3_000);
        record(&mut b, &fix, start2 + 3_000);
        b.record_focus(true, start2 + 4_000).unwrap();
        let (_, fix) = Watch::resume(&exam2, &b, start2 + 9_000);
        assert!(
            matches!(&fix[..], [IncidentChange::Closed(i)] if i.closed_at == Some(start2 + 9_000))
        );
    }

    #[test]
    fn a_disabled_rule_opens_nothing() {
        let src = EXAM.replace(
            "[timing]",
            "[proctoring.rules.left_window]\nenabled = false\n\n[timing]",
        );
        let exam = Exam::from_toml(&src).unwrap();
        let (_, mut a, start) = started();
        a.record_focus(false, start + 1_000).unwrap();
        let (_, fix) = Watch::resume(&exam, &a, start + 60_000);
        assert!(fix.is_empty());
    }
}
