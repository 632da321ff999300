//! The navigator grid: one button per question of the exam (`nav-<n>`, n
//! counted across the exam), showing answered / flagged / unanswered. Only
//! the current section's questions can be opened; the others are locked
//! (past sections with no return, or sections not reached yet).

use yew::prelude::*;

use crate::browser::dom;
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

/// One cell. Its props are plain data (no callback: clicks are handled
/// once, on the list), so Yew skips every cell whose question did not
/// change — with 200 questions, an answer or a clock tick re-renders one
/// cell or none instead of the whole grid.
#[derive(Properties, PartialEq)]
struct CellProps {
    lang: Lang,
    n: usize,
    item: NavItem,
}

#[component]
fn NavCell(props: &CellProps) -> Html {
    let t = props.lang.texts();
    let item = &props.item;
    let state = item.state();
    html! {
        <li>
            <button type="button" data-testid={format!("nav-{}", props.n)}
                data-question-id={item.id.clone()}
                class={classes!("nav", format!("nav--{state}"), item.current.then_some("nav--current"))}
                data-state={state} data-answered={item.answered.to_string()}
                aria-current={item.current.then_some("step")}
                aria-label={format!("{} {} — {}", t.exam_question, item.label, match state {
                    "flagged" => t.exam_state_flagged,
                    "answered" => t.exam_state_answered,
                    _ => t.exam_state_unanswered,
                })}
                disabled={!item.enabled}>
                { &item.label }
            </button>
        </li>
    }
}

#[component]
pub fn Navigator(props: &Props) -> Html {
    let t = props.lang.texts();
    let lang = props.lang;
    // One handler for the grid: the clicked cell names its question.
    let onclick = {
        let on_open = props.on_open.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(id) = dom::clicked_attribute(&e, "data-question-id") {
                on_open.emit(id);
            }
        })
    };
    html! {
        <nav class="navigator" aria-label={t.exam_navigator}>
            <ol {onclick}>
                { for props.items.iter().enumerate().map(|(n, item)| html! {
                    <NavCell key={item.id.clone()} {lang} {n} item={item.clone()} />
                }) }
            </ol>
        </nav>
    }
}
