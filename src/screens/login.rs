//! The login screen: session, candidate id and access code from the
//! candidate's notice. Errors are said in the candidate's language, in an
//! alert region, with what to do about them.

use vigil_api::{codes, LoginRequest, LoginResponse};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::browser::{api, dom};
use crate::i18n::{Lang, Texts};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub on_logged_in: Callback<LoginResponse>,
    pub on_test_equipment: Callback<()>,
    /// What went wrong on this machine (a failed restore, a sign-in this
    /// machine could not store), as the candidate reads it.
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

/// Why the last attempt failed, kept as data so a language switch re-words it.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginError {
    MissingFields,
    Failed(api::ApiFailure),
}

impl LoginError {
    pub fn message(&self, t: &Texts) -> String {
        match self {
            LoginError::MissingFields => t.err_missing_fields.into(),
            LoginError::Failed(api::ApiFailure::Unreachable) => t.err_unreachable.into(),
            LoginError::Failed(api::ApiFailure::Refused { code, .. })
                if code == codes::BAD_CREDENTIALS =>
            {
                t.err_bad_credentials.into()
            }
            LoginError::Failed(api::ApiFailure::Refused { code, .. })
                if code == codes::SESSION_OVER =>
            {
                t.err_session_over.into()
            }
            LoginError::Failed(api::ApiFailure::Refused { code, .. })
                if code == codes::KIOSK_REQUIRED =>
            {
                t.err_kiosk_required.into()
            }
            LoginError::Failed(other) => format!("{} {}", t.err_unexpected, other.reference()),
        }
    }
}

#[component]
pub fn LoginScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let session = use_state(String::new);
    let candidate = use_state(String::new);
    let code = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<LoginError>);

    let bind = |field: &UseStateHandle<String>| {
        let field = field.clone();
        Callback::from(move |e: InputEvent| field.set(dom::input_value(e.target())))
    };

    let onsubmit = {
        let (session, candidate, code) = (session.clone(), candidate.clone(), code.clone());
        let (busy, error) = (busy.clone(), error.clone());
        let on_logged_in = props.on_logged_in.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let req = LoginRequest {
                session: session.trim().to_owned(),
                candidate: candidate.trim().to_owned(),
                code: code.trim().to_owned(),
            };
            if req.session.is_empty() || req.candidate.is_empty() || req.code.is_empty() {
                error.set(Some(LoginError::MissingFields));
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, on_logged_in) = (busy.clone(), error.clone(), on_logged_in.clone());
            spawn_local(async move {
                let result = api::login(&req).await;
                busy.set(false);
                match result {
                    Ok(res) => on_logged_in.emit(res),
                    Err(failure) => error.set(Some(LoginError::Failed(failure))),
                }
            });
        })
    };

    let on_test = props.on_test_equipment.reform(|_: MouseEvent| ());
    let invalid = error.is_some().then_some("true");

    html! {
        <section class="screen screen--narrow" data-screen="login" aria-labelledby="login-title">
            <h1 id="login-title">{ t.login_title }</h1>
            <p class="lead">{ t.login_intro }</p>
            <form class="form" onsubmit={onsubmit} novalidate=true>
                <label class="field">
                    <span class="field__label">{ t.login_session }</span>
                    <input data-testid="login-session" name="session" autocomplete="off"
                        spellcheck="false" value={(*session).clone()} oninput={bind(&session)}
                        aria-invalid={invalid} required=true />
                </label>
                <label class="field">
                    <span class="field__label">{ t.login_candidate }</span>
                    <input data-testid="login-candidate" name="candidate" autocomplete="username"
                        spellcheck="false" value={(*candidate).clone()} oninput={bind(&candidate)}
                        aria-invalid={invalid} required=true />
                </label>
                <label class="field">
                    <span class="field__label">{ t.login_code }</span>
                    <input data-testid="login-code" name="code" type="password"
                        autocomplete="current-password" aria-describedby="code-hint"
                        value={(*code).clone()} oninput={bind(&code)}
                        aria-invalid={invalid} required=true />
                    <span id="code-hint" class="field__hint">{ t.login_code_hint }</span>
                </label>
                if let Some(err) = &*error {
                    <p class="alert alert--error" role="alert" data-testid="login-error">
                        { err.message(t) }
                    </p>
                }
                if let Some(err) = &props.error {
                    <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
                }
                <button class="button button--primary" type="submit" data-testid="login-submit"
                    disabled={*busy} aria-busy={busy.then_some("true")}>
                    { if *busy { t.login_busy } else { t.login_submit } }
                </button>
            </form>
            <p class="aside">
                <button type="button" class="link-button" data-testid="test-equipment"
                    onclick={on_test}>{ t.login_test_equipment }</button>
            </p>
        </section>
    }
}
