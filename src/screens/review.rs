//! The review screen: what is unanswered and what is flagged, a way back
//! to any question of the current section, and the submission with an
//! in-page confirmation (never a native dialog, which a test or a screen
//! reader may not see).

use std::rc::Rc;

use vigil_exam::{AttemptState, Exam};
use yew::prelude::*;

use crate::components::timer::Timer;
use crate::i18n::{fill, Lang};
use crate::screens::exam::nav_items;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub exam: Rc<Exam>,
    pub attempt: Rc<AttemptState>,
    pub remaining_ms: i64,
    pub on_open: Callback<String>,
    pub on_back: Callback<()>,
    pub on_submit: Callback<()>,
    pub saving: bool,
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

#[component]
pub fn ReviewScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let confirm = use_state(|| false);
    let items = nav_items(&props.exam, &props.attempt);
    let unanswered: Vec<_> = items.iter().filter(|i| !i.answered).collect();
    let flagged: Vec<_> = items.iter().filter(|i| i.flagged).collect();
    let list = |subset: &[&crate::components::navigator::NavItem], empty: &'static str| {
        if subset.is_empty() {
            return html! { <p class="aside-text">{ empty }</p> };
        }
        html! {
            <ul class="review-list">
                { for subset.iter().map(|i| {
                    let id = i.id.clone();
                    let onclick = props.on_open.reform(move |_: MouseEvent| id.clone());
                    html! { <li>
                        <button type="button" class="link-button" disabled={!i.enabled} {onclick}>
                            { fill(t.review_question, &i.label) }
                        </button>
                    </li> }
                }) }
            </ul>
        }
    };
    let on_submit = {
        let confirm = confirm.clone();
        Callback::from(move |_: MouseEvent| confirm.set(true))
    };
    let on_cancel = {
        let confirm = confirm.clone();
        Callback::from(move |_: MouseEvent| confirm.set(false))
    };
    html! {
        <section class="screen" data-screen="review" aria-labelledby="review-title">
            <header class="exam-bar">
                <h1 id="review-title">{ t.review_title }</h1>
                <Timer lang={props.lang} remaining_ms={props.remaining_ms} />
            </header>
            <p>{ fill(&fill(t.review_counts, &(items.len() - unanswered.len()).to_string()), &items.len().to_string()) }</p>
            <div class="rules">
                <section>
                    <h2>{ t.review_unanswered }</h2>
                    { list(&unanswered, t.review_none) }
                </section>
                <section>
                    <h2>{ t.review_flagged }</h2>
                    { list(&flagged, t.review_none) }
                </section>
            </div>
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            if *confirm {
                <div class="confirm" role="alertdialog" aria-labelledby="submit-title">
                    <p id="submit-title"><strong>{ t.review_confirm }</strong></p>
                    <div class="actions">
                        <button type="button" class="button" onclick={on_cancel}>{ t.review_cancel }</button>
                        <button type="button" class="button button--primary" data-testid="submit-confirm"
                            disabled={props.saving} onclick={props.on_submit.reform(|_: MouseEvent| ())}>
                            { t.review_submit_now }
                        </button>
                    </div>
                </div>
            }
            <div class="actions">
                <button type="button" class="button" data-testid="review-back"
                    onclick={props.on_back.reform(|_: MouseEvent| ())}>
                    { t.review_back }
                </button>
                <button type="button" class="button button--primary" data-testid="submit"
                    onclick={on_submit}>{ t.review_submit }</button>
            </div>
        </section>
    }
}
