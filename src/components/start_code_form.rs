//! The printed start code's field, where the network is missing: in the
//! waiting room (to start) and on the opening screen (to open the
//! questions, #31). One form, so both read and behave the same; each
//! screen gives its own words and test ids.

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// A heading above the form, if the screen wants one.
    #[prop_or_default]
    pub title: Option<&'static str>,
    pub help: &'static str,
    pub submit: &'static str,
    /// `data-testid` of the input and of the button.
    pub input_id: &'static str,
    pub submit_id: &'static str,
    #[prop_or_default]
    pub disabled: bool,
    /// The code as typed, trimmed, when it is not empty.
    pub on_code: Callback<String>,
}

#[component]
pub fn StartCodeForm(props: &Props) -> Html {
    let t = props.lang.texts();
    let code = use_state(String::new);
    let on_input = {
        let code = code.clone();
        Callback::from(move |e: InputEvent| code.set(crate::browser::dom::input_value(e.target())))
    };
    let on_submit = {
        let (code, on_code) = (code.clone(), props.on_code.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !code.trim().is_empty() {
                on_code.emit(code.trim().to_owned());
            }
        })
    };
    html! {
        <form class="form start-code" onsubmit={on_submit}>
            if let Some(title) = props.title {
                <h2>{ title }</h2>
            }
            <p>{ props.help }</p>
            <label class="field">
                <span class="field__label">{ t.waiting_code_label }</span>
                <input data-testid={props.input_id} autocomplete="off" spellcheck="false"
                    value={(*code).clone()} oninput={on_input} />
            </label>
            <button type="submit" class="button" data-testid={props.submit_id}
                disabled={props.disabled}>{ props.submit }</button>
        </form>
    }
}
