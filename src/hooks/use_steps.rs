//! The candidate's steps as callbacks over the tab's one
//! [`AttemptStore`], and the problem a failed step leaves on the screen
//! that caused it.
//!
//! A step callback runs the engine command through the store (which
//! stores it before the model hears of it, see [`crate::store`]); on
//! failure the problem is kept with the screen on show, typed
//! ([`Problem::Step`]), for that screen to say in the candidate's language.

use std::future::Future;
use std::rc::Rc;

use vigil_exam::{Attempt, AttemptError, AttemptState, Event, Exam, IncidentChange};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::browser::clock;
use crate::live_checks;
use crate::problem::{Problem, Shown};
use crate::state::{Action, Model};
use crate::store::{AttemptStore, CommitError};

/// The store, the model and the problem slot, bound together.
#[derive(Clone)]
pub struct Steps {
    pub store: AttemptStore,
    pub model: UseReducerHandle<Model>,
    problem: UseStateHandle<Option<Shown>>,
    saving: UseStateHandle<bool>,
}

/// The tab's store (created once; it tells the model of every stored
/// step) and the step callbacks over it.
#[hook]
pub fn use_steps(model: &UseReducerHandle<Model>) -> Steps {
    let store = use_memo((), {
        let model = model.clone();
        move |_| {
            let store = AttemptStore::default();
            let told = model.clone();
            store.listen(Box::new(move |state| {
                told.dispatch(Action::Committed(state))
            }));
            store.listen_storage(Box::new(move |refused| {
                model.dispatch(Action::Storage(refused.map(Rc::from)))
            }));
            store
        }
    });
    Steps {
        store: (*store).clone(),
        model: model.clone(),
        problem: use_state_eq(|| None),
        saving: use_state_eq(|| false),
    }
}

impl Steps {
    /// The problem on show, if any (see [`Shown::on`]).
    pub fn problem(&self) -> Option<&Shown> {
        self.problem.as_ref()
    }

    /// An exam step is being stored (the exam screen says "saving").
    pub fn saving(&self) -> bool {
        *self.saving
    }

    /// Keeps `problem` for the screen it belongs to.
    pub fn fail(&self, problem: Problem) {
        self.problem
            .set(Some(Shown::new(problem, self.model.screen())));
    }

    /// Forgets the problem on show (a retried step went through).
    pub fn clear(&self) {
        self.problem.set(None);
    }

    /// Waits for a step in the background; a failure is kept as a problem.
    pub fn settle(
        &self,
        step: impl Future<Output = Result<Rc<AttemptState>, CommitError>> + 'static,
    ) {
        let steps = self.clone();
        spawn_local(async move {
            match step.await {
                // A step went through: what failed before is over.
                Ok(_) => steps.clear(),
                Err(e) => steps.fail(Problem::Step(e)),
            }
        });
    }

    /// Runs `command` (any number of events) in the background.
    pub fn run(
        &self,
        command: impl FnOnce(&mut Attempt, i64) -> Result<Vec<Event>, AttemptError> + 'static,
    ) {
        let store = self.store.clone();
        self.settle(async move { store.commit_all(command).await });
    }

    /// A callback for a one-event step.
    pub fn command<T: 'static>(
        &self,
        command: fn(&mut Attempt, T, i64) -> Result<Event, AttemptError>,
    ) -> Callback<T> {
        let steps = self.clone();
        Callback::from(move |input: T| {
            steps.run(move |a, now| command(a, input, now).map(|e| vec![e]));
        })
    }

    /// A callback for an exam step: due time boundaries are applied first
    /// (`tick`), then the step; all its events are stored together.
    pub fn exam_command<T: 'static>(
        &self,
        exam: Rc<Exam>,
        command: fn(&mut Attempt, &Exam, T, i64) -> Result<Event, AttemptError>,
    ) -> Callback<T> {
        let steps = self.clone();
        Callback::from(move |input: T| {
            let (store, exam, saving) = (steps.store.clone(), exam.clone(), steps.saving.clone());
            saving.set(true);
            let clicked = clock::mono_ms();
            steps.settle(async move {
                let result = store
                    .commit_all(move |a, now| {
                        let mut events = a.tick(&exam, now);
                        events.push(command(a, &exam, input, now)?);
                        Ok(events)
                    })
                    .await;
                // From the candidate's action to the event stored in IndexedDB.
                clock::perf_measure_since("vigil:commit", clicked);
                saving.set(false);
                result
            });
        })
    }

    /// A callback for a media step: the bytes are stored, then the event
    /// naming their hash.
    pub fn media_command<T: 'static>(
        &self,
        command: fn(&mut Attempt, T, &str, i64) -> Result<Event, AttemptError>,
    ) -> Callback<(T, Vec<u8>)> {
        let steps = self.clone();
        Callback::from(move |(input, bytes): (T, Vec<u8>)| {
            let store = steps.store.clone();
            steps.settle(async move {
                let step = |a: &mut Attempt, sha: &str, now| command(a, input, sha, now);
                store.commit_media(&bytes, step).await
            });
        })
    }

    /// Stores incident changes from the proctoring rules (nothing for
    /// none); the still an opening names is stored first.
    pub fn record_incidents(&self, changes: Vec<IncidentChange>) {
        if changes.is_empty() {
            return;
        }
        let store = self.store.clone();
        self.settle(async move {
            let changes = live_checks::store_evidence(&store, changes).await;
            store
                .commit_all(move |a, now| {
                    changes.iter().map(|c| a.record_incident(c, now)).collect()
                })
                .await
        });
    }
}
