//! The exam: timers always in view (the whole exam, and the section when it
//! has its own limit), the section title, the question with its passage,
//! previous / next, a flag for review, and the navigator. Moving past the
//! last question of a `no_return` section asks for confirmation first.
//! Every change is an engine event stored before it shows; "Enregistré"
//! says the last one is on disk.

use std::rc::Rc;

use vigil_exam::{Answer, AttemptState, Exam, Phase};
use yew::prelude::*;

use crate::components::navigator::{NavItem, Navigator};
use crate::components::question_view::QuestionView;
use crate::components::timer::Timer;
use crate::i18n::{fill, Lang};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub exam: Rc<Exam>,
    pub attempt: Rc<AttemptState>,
    pub remaining_ms: i64,
    pub section_remaining_ms: Option<i64>,
    /// A step is being stored.
    pub saving: bool,
    /// IndexedDB refuses writes: answers are kept in the tab only.
    #[prop_or_default]
    pub in_memory: bool,
    pub on_answer: Callback<(String, Answer)>,
    pub on_clear: Callback<String>,
    pub on_flag: Callback<(String, bool)>,
    pub on_open: Callback<String>,
    pub on_section: Callback<usize>,
    pub on_review: Callback<()>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub children: Html,
}

/// The navigator's items for the attempt's current section.
pub fn nav_items(exam: &Exam, state: &AttemptState) -> Vec<NavItem> {
    let section = match state.phase {
        Phase::InProgress { section } => Some(section),
        _ => None,
    };
    let current = current_question(exam, state);
    let mut n = 0;
    let mut items = Vec::new();
    for (si, s) in exam.sections.iter().enumerate() {
        for q in &s.questions {
            n += 1;
            items.push(NavItem {
                id: q.id.clone(),
                label: n.to_string(),
                answered: state.answers.contains_key(&q.id),
                flagged: state.flags.contains(&q.id),
                current: current.as_deref() == Some(q.id.as_str()),
                enabled: section == Some(si),
            });
        }
    }
    items
}

/// The question on screen: the recorded one if it is in the current
/// section, else the section's first.
pub fn current_question(exam: &Exam, state: &AttemptState) -> Option<String> {
    let Phase::InProgress { section } = state.phase else {
        return None;
    };
    let s = exam.sections.get(section)?;
    state
        .current_question
        .clone()
        .filter(|id| s.questions.iter().any(|q| &q.id == id))
        .or_else(|| s.questions.first().map(|q| q.id.clone()))
}

#[component]
pub fn ExamScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let confirm_leave = use_state(|| false);
    let exam = &props.exam;
    let state = &*props.attempt;
    let Phase::InProgress { section } = state.phase else {
        return html! {};
    };
    let s = &exam.sections[section];
    let current = current_question(exam, &props.attempt).unwrap_or_default();
    let position = s
        .questions
        .iter()
        .position(|q| q.id == current)
        .unwrap_or(0);
    let question = s.questions[position].clone();
    let passage = question
        .passage
        .as_ref()
        .and_then(|id| exam.passages.iter().find(|p| &p.id == id).cloned());
    let flagged = state.flags.contains(&question.id);
    let last_in_section = position + 1 == s.questions.len();
    let has_next_section = section + 1 < exam.sections.len();

    let qid = question.id.clone();
    let on_answer = props.on_answer.reform({
        let qid = qid.clone();
        move |a| (qid.clone(), a)
    });
    let on_clear = props.on_clear.reform({
        let qid = qid.clone();
        move |()| qid.clone()
    });
    let on_flag = props.on_flag.reform({
        let qid = qid.clone();
        move |_: MouseEvent| (qid.clone(), !flagged)
    });
    let prev_id = position.checked_sub(1).map(|p| s.questions[p].id.clone());
    let on_prev = props.on_open.reform({
        let prev = prev_id.clone().unwrap_or_default();
        move |_: MouseEvent| prev.clone()
    });
    let on_next = {
        let next_id = s.questions.get(position + 1).map(|q| q.id.clone());
        let (on_open, on_review, confirm) = (
            props.on_open.clone(),
            props.on_review.clone(),
            confirm_leave.clone(),
        );
        Callback::from(move |_: MouseEvent| match &next_id {
            Some(id) => on_open.emit(id.clone()),
            None if has_next_section => confirm.set(true),
            None => on_review.emit(()),
        })
    };
    let on_leave = {
        let (on_section, confirm) = (props.on_section.clone(), confirm_leave.clone());
        Callback::from(move |_: MouseEvent| {
            confirm.set(false);
            on_section.emit(section + 1);
        })
    };
    let on_stay = {
        let confirm = confirm_leave.clone();
        Callback::from(move |_: MouseEvent| confirm.set(false))
    };
    let on_review = props.on_review.reform(|_: MouseEvent| ());
    let next_label = match (last_in_section, has_next_section) {
        (false, _) => t.exam_next,
        (true, true) => t.exam_next_section,
        (true, false) => t.exam_to_review,
    };

    html! {
        <section class="screen screen--exam" data-screen="exam" aria-labelledby="section-title">
            <header class="exam-bar">
                <div>
                    <p class="exam-bar__exam">{ &exam.title }</p>
                    <h1 id="section-title" data-testid="section-title">{ &s.title }</h1>
                </div>
                <div class="exam-bar__timers">
                    if let Some(ms) = props.section_remaining_ms.filter(|_| s.time_limit_s.is_some()) {
                        <Timer lang={props.lang} remaining_ms={ms} main={false}
                            label={AttrValue::from(t.exam_section_time)} />
                    }
                    <Timer lang={props.lang} remaining_ms={props.remaining_ms} />
                </div>
            </header>
            if !s.instructions.is_empty() && position == 0 {
                <p class="note">{ &s.instructions }</p>
            }
            <QuestionView lang={props.lang} question={question.clone()} {passage}
                position_text={fill(&fill(t.exam_position, &(position + 1).to_string()), &s.questions.len().to_string())}
                answer={state.answers.get(&question.id).cloned()} {on_answer} {on_clear} />
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            if *confirm_leave {
                <div class="confirm" role="alertdialog" aria-labelledby="leave-title">
                    <p id="leave-title"><strong>{ if s.no_return { t.exam_leave_no_return } else { t.exam_leave } }</strong></p>
                    <div class="actions">
                        <button type="button" class="button" onclick={on_stay}>{ t.exam_stay }</button>
                        <button type="button" class="button button--primary"
                            data-testid="section-next-confirm" onclick={on_leave}>{ t.exam_next_section }</button>
                    </div>
                </div>
            }
            <div class="exam-actions">
                <button type="button" class="button" data-testid="prev" disabled={prev_id.is_none()}
                    onclick={on_prev}>{ t.exam_prev }</button>
                <button type="button" class={classes!("button", flagged.then_some("button--flagged"))}
                    data-testid="flag" aria-pressed={flagged.to_string()} onclick={on_flag}>
                    { if flagged { t.exam_unflag } else { t.exam_flag } }
                </button>
                <span class="save-state" aria-live="polite" data-testid="save-state"
                    data-saving={props.saving.to_string()} data-in-memory={props.in_memory.to_string()}>
                    { match (props.saving, props.in_memory) {
                        (true, _) => t.exam_saving,
                        (false, true) => t.exam_kept_in_tab,
                        (false, false) => t.exam_saved,
                    } }
                </span>
                <button type="button" class="button button--primary" data-testid="next"
                    onclick={on_next}>{ next_label }</button>
            </div>
            <div class="exam-footer">
                <Navigator lang={props.lang} items={nav_items(exam, &props.attempt)}
                    on_open={props.on_open.clone()} />
                <div class="exam-footer__side">
                    { props.children.clone() }
                    <button type="button" class="button" data-testid="review-open"
                        onclick={on_review}>{ t.exam_review }</button>
                </div>
            </div>
        </section>
    }
}
