//! One question: its text, its passage (for reading questions), and the
//! input its type calls for — radio buttons, checkboxes, a number or a
//! short text. Choices are real inputs (`choice-<n>`), so the whole exam
//! works by keyboard; text and numbers are recorded when the field is left
//! or Enter is pressed.

use vigil_exam::{parse_number, Answer, Passage, Question, QuestionType};
use yew::prelude::*;

use crate::browser::dom;
use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub question: Question,
    pub passage: Option<Passage>,
    /// "Question 3 of 10".
    pub position_text: AttrValue,
    pub answer: Option<Answer>,
    pub on_answer: Callback<Answer>,
    pub on_clear: Callback<()>,
}

#[component]
pub fn QuestionView(props: &Props) -> Html {
    let t = props.lang.texts();
    let q = &props.question;
    let invalid = use_state(|| false);
    let name = format!("q-{}", q.id);

    let input = match q.kind {
        QuestionType::Single | QuestionType::Multiple => {
            let multiple = q.kind == QuestionType::Multiple;
            let chosen: Vec<u32> = match &props.answer {
                Some(Answer::Single { choice }) => vec![*choice],
                Some(Answer::Multiple { choices }) => choices.clone(),
                _ => vec![],
            };
            html! {
                <fieldset class="choices">
                    <legend class="visually-hidden">{ t.exam_choices }</legend>
                    { for q.choices.iter().enumerate().map(|(i, text)| {
                        let i = i as u32;
                        let checked = chosen.contains(&i);
                        let on_answer = props.on_answer.clone();
                        let on_clear = props.on_clear.clone();
                        let chosen = chosen.clone();
                        let onchange = Callback::from(move |_: Event| {
                            if !multiple {
                                on_answer.emit(Answer::Single { choice: i });
                                return;
                            }
                            let mut set: Vec<u32> = chosen.iter().copied().filter(|c| *c != i).collect();
                            if !chosen.contains(&i) {
                                set.push(i);
                                set.sort_unstable();
                            }
                            if set.is_empty() {
                                on_clear.emit(());
                            } else {
                                on_answer.emit(Answer::Multiple { choices: set });
                            }
                        });
                        html! {
                            <label class={classes!("choice", checked.then_some("choice--on"))}>
                                <input type={if multiple { "checkbox" } else { "radio" }}
                                    name={name.clone()} data-testid={format!("choice-{i}")}
                                    checked={checked} {onchange} />
                                <span>{ text }</span>
                            </label>
                        }
                    }) }
                </fieldset>
            }
        }
        QuestionType::Numeric | QuestionType::Text => {
            let numeric = q.kind == QuestionType::Numeric;
            let value = match &props.answer {
                Some(Answer::Numeric { value }) => value.to_string().replace('.', ","),
                Some(Answer::Text { text }) => text.clone(),
                _ => String::new(),
            };
            let on_answer = props.on_answer.clone();
            let on_clear = props.on_clear.clone();
            let invalid_set = invalid.clone();
            let onchange = Callback::from(move |e: Event| {
                let raw = dom::input_value(e.target());
                let raw = raw.trim();
                if raw.is_empty() {
                    invalid_set.set(false);
                    return on_clear.emit(());
                }
                if numeric {
                    match parse_number(raw) {
                        Some(value) => {
                            invalid_set.set(false);
                            on_answer.emit(Answer::Numeric { value });
                        }
                        None => invalid_set.set(true),
                    }
                } else {
                    on_answer.emit(Answer::Text {
                        text: raw.to_owned(),
                    });
                }
            });
            html! {
                <label class="field">
                    <span class="field__label">{ if numeric { t.exam_numeric_label } else { t.exam_text_label } }</span>
                    <input data-testid="answer-input" key={q.id.clone()} value={value}
                        inputmode={numeric.then_some("decimal")} aria-invalid={invalid.then_some("true")}
                        autocomplete="off" spellcheck="false" {onchange} />
                    if *invalid {
                        <span class="field__error" role="alert">{ t.exam_numeric_invalid }</span>
                    }
                </label>
            }
        }
    };

    html! {
        <div class={classes!("question-layout", props.passage.is_some().then_some("question-layout--passage"))}>
            if let Some(p) = &props.passage {
                <article class="passage" aria-label={t.exam_passage} tabindex="0">
                    if !p.title.is_empty() { <h3>{ &p.title }</h3> }
                    { for p.text.split("\n\n").map(|para| html! { <p>{ para }</p> }) }
                </article>
            }
            <div class="question" data-testid="question" data-question-id={q.id.clone()}>
                <p class="question__position">{ &props.position_text }</p>
                <h2 class="question__text">{ for q.text.split('\n').map(|l| html! { <>{ l }<br /></> }) }</h2>
                { input }
            </div>
        </div>
    }
}
