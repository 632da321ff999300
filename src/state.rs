//! The app's state as a pure reducer (as in yew's function_todomvc).
//!
//! Screens send [`Action`]s; [`Model::reduce`] computes the next model; the
//! screen shown is derived from the model, never stored beside it, so the
//! two cannot disagree.

use std::rc::Rc;

use vigil_api::LoginResponse;
use yew::Reducible;

use crate::i18n::Lang;

/// Which screen is on show (`data-screen` on its root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Login,
    SystemCheck,
}

impl Screen {
    pub fn name(self) -> &'static str {
        match self {
            Screen::Login => "login",
            Screen::SystemCheck => "system-check",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub lang: Lang,
    /// Set once the candidate has signed in.
    pub login: Option<Rc<LoginResponse>>,
    /// The equipment test opened from the login screen, without signing in.
    pub equipment_test: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    SetLang(Lang),
    LoggedIn(Rc<LoginResponse>),
    OpenEquipmentTest,
    BackToLogin,
}

impl Model {
    pub fn screen(&self) -> Screen {
        if self.login.is_some() || self.equipment_test {
            Screen::SystemCheck
        } else {
            Screen::Login
        }
    }

    pub fn apply(&self, action: Action) -> Model {
        let mut next = self.clone();
        match action {
            Action::SetLang(lang) => next.lang = lang,
            Action::LoggedIn(login) => {
                next.login = Some(login);
                next.equipment_test = false;
            }
            Action::OpenEquipmentTest => next.equipment_test = true,
            Action::BackToLogin => {
                next.login = None;
                next.equipment_test = false;
            }
        }
        next
    }
}

impl Reducible for Model {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_api::{AttemptView, ExamSummary, SessionView};

    fn login() -> LoginResponse {
        LoginResponse {
            token: "t".into(),
            attempt: AttemptView {
                id: "a".into(),
                candidate: "C001".into(),
                state: "registered".into(),
                started_at_ms: None,
                session: SessionView {
                    id: "s".into(),
                    starts_at_ms: 0,
                    closes_at_ms: 1,
                },
                exam: ExamSummary {
                    id: "e".into(),
                    title: "E".into(),
                    language: "fr".into(),
                    duration_ms: 1,
                    section_count: 1,
                    question_count: 1,
                },
            },
        }
    }

    #[test]
    fn starts_on_login_in_french() {
        let m = Model::default();
        assert_eq!(m.screen(), Screen::Login);
        assert_eq!(m.lang, Lang::Fr);
    }

    #[test]
    fn login_leads_to_the_system_check() {
        let m = Model::default().apply(Action::LoggedIn(Rc::new(login())));
        assert_eq!(m.screen(), Screen::SystemCheck);
        assert_eq!(m.screen().name(), "system-check");
        assert_eq!(m.apply(Action::BackToLogin).screen(), Screen::Login);
    }

    #[test]
    fn equipment_test_without_login() {
        let m = Model::default().apply(Action::OpenEquipmentTest);
        assert_eq!(m.screen(), Screen::SystemCheck);
        assert!(m.login.is_none());
        assert_eq!(m.apply(Action::SetLang(Lang::En)).lang, Lang::En);
    }
}
