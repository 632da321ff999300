//! Lockdown and live checks while the exam is on, through the proctoring
//! rules ([`Watch`]).
//!
//! Entering the exam (or coming back to it after a reload) rebuilds the
//! rules from the stored log and records what they say is open; then the
//! browser's signals (focus, fullscreen, a second screen, blocked keys)
//! and the live checks (camera frames, voice) are observed at the trusted
//! time and their events and incidents stored together. Every second the
//! rules hear that time passed (an exit held 1 s opens its incident).
//! Leaving the exam (submitted) closes what is open.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use vigil_exam::Signal as ExamSignal;
use yew::prelude::*;

use super::use_steps::Steps;
use crate::browser::lockdown::{self, Signal};
use crate::browser::timer;
use crate::live_checks::{self, FaceChecks, Hooks, IdentityCheck};
use crate::proctoring::Watch;
use crate::state::Screen;
use crate::store::{self, AttemptStore};

/// What the screen shows of the lockdown and the live checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attention {
    pub focused: bool,
    pub fullscreen: bool,
    pub extended: bool,
    pub face_checks: FaceChecks,
}

type SharedWatch = Rc<RefCell<Option<Watch>>>;

#[hook]
pub fn use_proctoring(steps: &Steps, screen: Screen, now: i64) -> Attention {
    let watch: SharedWatch = use_mut_ref(|| None);
    // (focused, fullscreen, extended desktop)
    let attention = use_state_eq(|| (true, true, false));
    let face_checks = use_state_eq(FaceChecks::default);
    let in_exam = matches!(screen, Screen::Exam | Screen::Review);
    {
        let (steps, watch) = (steps.clone(), watch.clone());
        let (attention, face_checks) = (attention.clone(), face_checks.clone());
        use_effect_with(in_exam, move |in_exam| {
            let exam = steps.model.exam.clone().filter(|_| *in_exam);
            let engaged = exam.map(|exam| {
                // The rules pick up where the stored log is (after a reload too).
                let resumed = steps.store.with_stored(|state, events| {
                    Watch::resume(&exam, state, events, store::now_ms(state))
                });
                let recorded = steps.store.snapshot().is_some_and(|s| s.extended_screen);
                if let Some((w, fix)) = resumed {
                    *watch.borrow_mut() = Some(w);
                    steps.record_incidents(fix);
                }
                // Extended as last recorded: the first reading is recorded
                // only if it differs (a reload does not repeat it).
                let first = (lockdown::has_focus(), lockdown::is_fullscreen(), recorded);
                attention.set(first);
                let lockdown = engage(&steps, &watch, &attention, first);
                // The live checks feed the same rules.
                let hooks = live_hooks(&steps, &watch, &face_checks);
                let interval = exam.proctoring.sample_interval_ms.min(60_000) as u32;
                // The live face against the identification's face photo.
                let identity = steps
                    .store
                    .snapshot()
                    .and_then(|s| s.face_sha256.clone())
                    .map(|reference_sha256| IdentityCheck {
                        reference_sha256,
                        interval_ms: f64::from(exam.proctoring.identity_interval_s) * 1_000.0,
                        min_face_score: exam.proctoring.min_face_score,
                    });
                let live = (
                    timer::spawn(live_checks::run_camera(interval, identity, hooks.clone())),
                    timer::spawn(live_checks::run_voice(hooks)),
                );
                (lockdown, live)
            });
            move || {
                if let Some((lockdown, live)) = engaged {
                    // Stops both loops, with the camera and the microphone.
                    drop((lockdown, live));
                    // Leaving the exam (submitted): open incidents close now.
                    let finished = watch.borrow_mut().take();
                    if let (Some(mut w), Some(state)) = (finished, steps.store.snapshot()) {
                        steps.record_incidents(w.finish(store::now_ms(&state)));
                    }
                }
            }
        });
    }
    {
        // Time passes for the rules too.
        let (steps, watch) = (steps.clone(), watch.clone());
        use_effect_with(now / 1_000, move |_| {
            let Some(state) = steps.store.snapshot() else {
                return;
            };
            let changes = match watch.borrow_mut().as_mut() {
                Some(w) => w.observe(store::now_ms(&state), ExamSignal::Tick),
                None => return,
            };
            steps.record_incidents(changes);
        });
    }
    let (focused, fullscreen, extended) = *attention;
    Attention {
        focused,
        fullscreen,
        extended,
        face_checks: *face_checks,
    }
}

/// The browser's lockdown signals: each becomes its event, observed by the
/// rules at once, and any incident it settles is stored with it.
fn engage(
    steps: &Steps,
    watch: &SharedWatch,
    attention: &UseStateHandle<(bool, bool, bool)>,
    first: (bool, bool, bool),
) -> lockdown::Lockdown {
    let (steps, watch, attention) = (steps.clone(), watch.clone(), attention.clone());
    let seen = Cell::new(first);
    lockdown::engage(move |signal| {
        let (mut focused, mut full, mut extended) = seen.get();
        match &signal {
            Signal::Focus(f) if *f == focused => return,
            Signal::Fullscreen(f) if *f == full => return,
            Signal::Screens(e) if *e == extended => return,
            Signal::Focus(f) => focused = *f,
            Signal::Fullscreen(f) => full = *f,
            Signal::Screens(e) => extended = *e,
            Signal::Blocked(_) => {}
        }
        seen.set((focused, full, extended));
        attention.set((focused, full, extended));
        let Some(state) = steps.store.snapshot() else {
            return;
        };
        let at = store::now_ms(&state);
        let observed = match &signal {
            Signal::Focus(f) => Some(ExamSignal::Focus { focused: *f }),
            Signal::Fullscreen(f) => Some(ExamSignal::Fullscreen { active: *f }),
            Signal::Screens(e) => Some(ExamSignal::Screens { extended: *e }),
            Signal::Blocked(_) => None,
        };
        let changes = match (observed, watch.borrow_mut().as_mut()) {
            (Some(o), Some(w)) => w.observe(at, o),
            _ => Vec::new(),
        };
        steps.run(move |a, now| {
            let mut events = vec![match signal {
                Signal::Focus(f) => a.record_focus(f, now)?,
                Signal::Fullscreen(f) => a.record_fullscreen(f, now)?,
                Signal::Screens(e) => a.record_screens(e, now)?,
                Signal::Blocked(action) => a.record_blocked(&action, now)?,
            }];
            for c in &changes {
                events.push(a.record_incident(c, now)?);
            }
            Ok(events)
        });
    })
}

/// How the live checks reach the rules and the log: an observation goes to
/// the watch at the trusted time of the stored attempt; changes are stored.
fn live_hooks(
    steps: &Steps,
    watch: &SharedWatch,
    face_checks: &UseStateHandle<FaceChecks>,
) -> Rc<Hooks> {
    let observe = {
        let (store, watch): (AttemptStore, _) = (steps.store.clone(), watch.clone());
        move |signal: ExamSignal| match (store.snapshot(), watch.borrow_mut().as_mut()) {
            (Some(state), Some(w)) => w.observe(store::now_ms(&state), signal),
            _ => Vec::new(),
        }
    };
    let record = {
        let steps = steps.clone();
        move |changes| steps.record_incidents(changes)
    };
    let status = {
        let face_checks = face_checks.clone();
        move |s: FaceChecks| face_checks.set(s)
    };
    Rc::new(Hooks {
        observe: Box::new(observe),
        record: Box::new(record),
        status: Box::new(status),
    })
}
