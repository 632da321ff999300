//! Finished: what was submitted and when, and the sending to the server,
//! with the exam's own deadline (12 h after the end for the TAGE) counted
//! down while something is unsent, and a plain request not to close the
//! page before 100 %; while something is unsent, the encrypted copy to
//! save and hand to the organiser ([`crate::copy`]); once everything is
//! sent, a sign-out that leaves nothing of the attempt on the machine.

use std::rc::Rc;

use vigil_exam::{AttemptState, Exam, Phase, Reason};
use yew::prelude::*;

use crate::components::sync_status::SyncStatus;
use crate::components::timer::format_hms;
use crate::copy::{CopyFailure, CopyState};
use crate::i18n::{fill, Lang};
use crate::sync::Pending;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub exam: Option<Rc<Exam>>,
    pub attempt: Rc<AttemptState>,
    pub pending: Pending,
    pub offline: bool,
    /// Formats an epoch-ms time for the candidate (local time).
    pub format_time: Callback<i64, String>,
    pub sync_by_ms: Option<i64>,
    /// The trusted time now (for the countdown to `sync_by_ms`).
    pub now_ms: i64,
    /// Signs out: offered once everything is sent, it then revokes the
    /// login on the server and clears the attempt from this machine.
    pub on_sign_out: Callback<()>,
    /// Where saving an encrypted copy stands, and the button's action.
    pub copy: CopyState,
    pub on_save_copy: Callback<()>,
}

#[component]
pub fn FinishedScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let s = &*props.attempt;
    let at = s
        .submitted_at_ms
        .map(|ms| props.format_time.emit(ms))
        .unwrap_or_default();
    let how = match s.phase {
        Phase::Submitted {
            reason: Reason::Timeout,
        } => fill(t.finished_timeout, &at),
        _ => fill(t.finished_manual, &at),
    };
    let total = props
        .exam
        .as_ref()
        .map(|e| e.sections.iter().map(|s| s.questions.len()).sum::<usize>());
    html! {
        <section class="screen screen--narrow" data-screen="finished" aria-labelledby="done-title">
            <h1 id="done-title">{ t.finished_title }</h1>
            <p class="lead">{ how }</p>
            if let Some(total) = total {
                <p>{ fill(&fill(t.finished_answered, &s.answers.len().to_string()), &total.to_string()) }</p>
            }
            <SyncStatus lang={props.lang} pending={props.pending} offline={props.offline} />
            if props.pending.total() > 0 {
                <p class="note">{ t.finished_keep_open }</p>
            }
            if let Some(ms) = props.sync_by_ms {
                <p class="aside-text">{ fill(t.finished_deadline, &props.format_time.emit(ms)) }</p>
                if props.pending.total() > 0 {
                    <p class="note" data-testid="sync-countdown"
                        data-remaining-ms={(ms - props.now_ms).max(0).to_string()}>
                        { if ms > props.now_ms {
                            fill(t.finished_countdown, &format_hms(ms - props.now_ms))
                        } else {
                            t.finished_deadline_passed.to_owned()
                        } }
                    </p>
                }
            }
            if props.pending.total() > 0 {
                { copy_offer(props) }
            }
            if props.pending.total() == 0 && !props.offline {
                <p class="aside-text">{ t.finished_sign_out_hint }</p>
                <button type="button" class="button" data-testid="sign-out"
                    onclick={props.on_sign_out.reform(|_| ())}>{ t.sign_out }</button>
            }
        </section>
    }
}

/// The encrypted copy: the offer and its button, then what was saved and
/// what to do with it.
fn copy_offer(props: &Props) -> Html {
    let t = props.lang.texts();
    let saving = props.copy == CopyState::Saving;
    let button = html! {
        <button type="button" class="button" data-testid="save-copy"
            disabled={saving} onclick={props.on_save_copy.reform(|_| ())}>
            { if saving { t.copy_saving } else { t.copy_save } }
        </button>
    };
    match &props.copy {
        CopyState::Idle | CopyState::Saving => html! {
            <div class="copy-offer">
                <p class="aside-text">{ t.copy_offer }</p>
                { button }
            </div>
        },
        CopyState::Saved { name, missing } => html! {
            <div class="copy-offer" role="status" data-testid="copy-saved" data-file={name.clone()}>
                <p><strong>{ fill(t.copy_saved, name) }</strong></p>
                <p>{ t.copy_saved_what_next }</p>
                if *missing > 0 {
                    <p class="note">{ fill(t.copy_missing_media, &missing.to_string()) }</p>
                }
                { button }
            </div>
        },
        CopyState::Failed(why) => {
            let why = match why {
                CopyFailure::NoKey => t.copy_no_key.to_owned(),
                CopyFailure::Other(e) => e.clone(),
            };
            html! {
                <div class="copy-offer">
                    <p class="alert alert--error" role="alert" data-testid="copy-error">{ fill(t.copy_failed, &why) }</p>
                    { button }
                </div>
            }
        }
    }
}
