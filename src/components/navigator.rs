//! The navigator grid: one button per question of the exam (`nav-<n>`, n
//! counted across the exam), showing answered / flagged / unanswered. Only
//! the current section's questions can be opened; the others are locked
//! (past sections with no return, or sections not reached yet).

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq)]
pub struct NavItem {
    pub id: String,
    pub label: String,
    pub answered: bool,
    pub flagged: bool,
    pub current: bool,
    pub enabled: bool,
}

impl NavItem {
    /// `data-state`: a flag wins over an answer.
    pub fn state(&self) -> &'static str {
        if self.flagged {
            "flagged"
        } else if self.answered {
            "answered"
        } else {
            "unanswered"
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub items: Vec<NavItem>,
    pub on_open: Callback<String>,
}

#[component]
pub fn Navigator(props: &Props) -> Html {
    let t = props.lang.texts();
    html! {
        <nav class="navigator" aria-label={t.exam_navigator}>
            <ol>
                { for props.items.iter().enumerate().map(|(n, item)| {
                    let id = item.id.clone();
                    let onclick = props.on_open.reform(move |_: MouseEvent| id.clone());
                    html! {
                        <li>
                            <button type="button" data-testid={format!("nav-{n}")}
                                class={classes!("nav", format!("nav--{}", item.state()), item.current.then_some("nav--current"))}
                                data-state={item.state()} data-answered={item.answered.to_string()}
                                aria-current={item.current.then_some("step")}
                                aria-label={format!("{} {} — {}", t.exam_question, item.label, match item.state() {
                                    "flagged" => t.exam_state_flagged,
                                    "answered" => t.exam_state_answered,
                                    _ => t.exam_state_unanswered,
                                })}
                                disabled={!item.enabled} {onclick}>
                                { &item.label }
                            </button>
                        </li>
                    }
                }) }
            </ol>
        </nav>
    }
}
