//! What went wrong, typed, and which screen says so.
//!
//! A [`Problem`] is kept with the screen that was on show when it happened
//! ([`Shown`]); only that screen displays it, as a sentence of the i18n
//! catalogue (French and English) followed, where it helps the proctor,
//! by the technical reference. A problem never travels to another screen:
//! a storage failure of the consent is not shown in the exam.

use vigil_api::codes;

use crate::browser::api::ApiFailure;
use crate::i18n::{fill, Lang};
use crate::session::StartFailure;
use crate::state::Screen;
use crate::store::CommitError;
use vigil_api::package::OpenError;

/// A failure the candidate must read.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// What this machine stored could not be read back at start-up.
    Restore(String),
    /// The sign-in succeeded on the server but could not be stored here.
    SignIn(String),
    /// A step (an answer, a photo, a consent…) was not stored.
    Step(CommitError),
    /// The start failed; `with_code` when it was the offline start code.
    Start {
        failure: StartFailure,
        with_code: bool,
    },
    /// The server clock could not be measured (offline): a notice, the
    /// device clock stands in until the next sync.
    Clock(String),
    /// The questions could not be opened with the printed start code, on
    /// the opening screen (#31).
    Opening(StartFailure),
}

impl Problem {
    /// The sentence the candidate reads, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let t = lang.texts();
        match self {
            Problem::Restore(why) => fill(t.restore_failed, why),
            Problem::SignIn(why) => fill(t.sign_in_store_failed, why),
            Problem::Step(CommitError::Storage(why)) => fill(t.storage_error, why),
            Problem::Step(CommitError::Refused(why)) => fill(t.step_refused, &why.to_string()),
            Problem::Step(CommitError::NoAttempt) => t.step_signed_out.into(),
            Problem::Clock(_) => t.clock_offline.into(),
            Problem::Start { failure, with_code } => start_text(lang, failure, *with_code),
            Problem::Opening(failure) => start_text(lang, failure, true),
        }
    }

    /// Where a problem with no step behind it is shown.
    pub fn home(&self) -> Option<Screen> {
        match self {
            Problem::Restore(_) | Problem::SignIn(_) => Some(Screen::Login),
            Problem::Start { .. } | Problem::Clock(_) => Some(Screen::WaitingRoom),
            Problem::Opening(_) => Some(Screen::Opening),
            Problem::Step(_) => None,
        }
    }

    /// A stable name for tests and the page (`data-problem`).
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::Restore(_) => "restore",
            Problem::SignIn(_) => "sign-in",
            Problem::Step(CommitError::Storage(_)) => "storage",
            Problem::Step(_) => "step",
            Problem::Start { .. } => "start",
            Problem::Clock(_) => "clock",
            Problem::Opening(_) => "opening",
        }
    }
}

/// A problem and the screen that shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub screen: Screen,
    pub problem: Problem,
}

impl Shown {
    /// `problem`, shown by its home screen or else by `current`.
    pub fn new(problem: Problem, current: Screen) -> Shown {
        Shown {
            screen: problem.home().unwrap_or(current),
            problem,
        }
    }

    /// The sentence for `screen`, if this problem is its own.
    pub fn on(shown: Option<&Shown>, screen: Screen, lang: Lang) -> Option<String> {
        shown
            .filter(|s| s.screen == screen)
            .map(|s| s.problem.text(lang))
    }
}

/// What the candidate reads when the start fails.
fn start_text(lang: Lang, failure: &StartFailure, with_code: bool) -> String {
    let t = lang.texts();
    let refused = |c: &str| matches!(failure, StartFailure::Api(ApiFailure::Refused { code, .. }) if code == c);
    match failure {
        StartFailure::NoPackage => t.start_no_package.into(),
        StartFailure::Open(OpenError::WrongKey) if with_code => t.start_code_wrong.into(),
        _ if refused(codes::TOO_EARLY) => t.start_too_early.into(),
        _ if refused(codes::TOO_LATE) => t.start_too_late.into(),
        _ if refused(codes::ALREADY_STARTED) => t.start_already.into(),
        StartFailure::Api(other) => format!("{} {}", t.start_failed, other.reference()),
        StartFailure::Open(e) => format!("{} {e}", t.start_failed),
        StartFailure::Commit(e) => format!("{} {e}", t.start_failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_exam::AttemptError;

    #[test]
    fn every_problem_is_a_catalogue_sentence_in_both_languages() {
        let problems = [
            Problem::Restore("broken chain".into()),
            Problem::SignIn("QuotaExceededError".into()),
            Problem::Step(CommitError::Storage("QuotaExceededError".into())),
            Problem::Step(CommitError::Refused(AttemptError::NotStarted)),
            Problem::Step(CommitError::NoAttempt),
            Problem::Clock("unreachable".into()),
            Problem::Start {
                failure: StartFailure::NoPackage,
                with_code: true,
            },
            Problem::Opening(StartFailure::Open(vigil_api::package::OpenError::WrongKey)),
        ];
        for p in &problems {
            let (fr, en) = (p.text(Lang::Fr), p.text(Lang::En));
            assert!(!fr.contains("{}") && !en.contains("{}"), "{p:?}");
            assert_ne!(fr, en, "{p:?} is translated");
        }
        // The clock notice is a sentence, never the raw failure.
        assert!(!Problem::Clock("unreachable".into())
            .text(Lang::Fr)
            .contains("unreachable"));
        assert!(Problem::Restore("broken chain".into())
            .text(Lang::En)
            .contains("broken chain"));
    }

    #[test]
    fn a_problem_stays_on_its_screen() {
        let step = Shown::new(
            Problem::Step(CommitError::Storage("full".into())),
            Screen::Consent,
        );
        assert!(Shown::on(Some(&step), Screen::Consent, Lang::Fr).is_some());
        assert!(Shown::on(Some(&step), Screen::Exam, Lang::Fr).is_none());
        // Problems with a home go there whatever was on show.
        let restore = Shown::new(Problem::Restore("x".into()), Screen::Loading);
        assert_eq!(restore.screen, Screen::Login);
        let clock = Shown::new(Problem::Clock("x".into()), Screen::Consent);
        assert_eq!(clock.screen, Screen::WaitingRoom);
        // A wrong start code on the opening screen is said there (#31).
        let code = Shown::new(
            Problem::Opening(StartFailure::Open(vigil_api::package::OpenError::WrongKey)),
            Screen::Opening,
        );
        assert_eq!(code.screen, Screen::Opening);
        assert!(Shown::on(Some(&code), Screen::Opening, Lang::Fr)
            .is_some_and(|t| t.contains("code de démarrage")));
    }
}
