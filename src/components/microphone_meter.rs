//! The live microphone level, and the microphone's verdict for the system
//! check.
//!
//! Like the camera preview, the component owns its device: it opens the
//! microphone when mounted, reads the level ten times a second, reports the
//! outcome once (heard / silent after listening / unavailable), keeps the
//! bar moving while shown, and closes the microphone when unmounted.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::browser::camera::pause_ms;
use crate::browser::microphone::{self, Microphone};
use crate::browser::timer;
use crate::checks::{self, CheckStatus};

/// What the microphone check found.
#[derive(Debug, Clone, PartialEq)]
pub enum MicOutcome {
    Heard,
    Silent,
    Unavailable(String),
}

const READ_EVERY_MS: u32 = 100;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub label: AttrValue,
    pub start_label: AttrValue,
    pub on_outcome: Callback<MicOutcome>,
}

#[component]
pub fn MicrophoneMeter(props: &Props) -> Html {
    let percent = use_state(|| 0u8);
    let suspended = use_state(|| false);
    let mic: Rc<RefCell<Option<Microphone>>> = use_mut_ref(|| None);
    {
        let (percent, suspended, mic) = (percent.clone(), suspended.clone(), mic.clone());
        let on_outcome = props.on_outcome.clone();
        use_effect_with((), move |_| {
            let held = mic.clone();
            let task = timer::spawn(async move {
                match microphone::open().await {
                    Ok(m) => *held.borrow_mut() = Some(m),
                    Err(why) => return on_outcome.emit(MicOutcome::Unavailable(why)),
                }
                let (mut peak, mut listened, mut told) = (0.0f64, 0.0f64, false);
                loop {
                    let reading = held
                        .borrow_mut()
                        .as_mut()
                        .map(|m| (m.level(), m.suspended()));
                    let Some((level, held_back)) = reading else {
                        break;
                    };
                    suspended.set(held_back);
                    percent.set(checks::meter_percent(level));
                    if !held_back {
                        peak = peak.max(level);
                        listened += f64::from(READ_EVERY_MS);
                    }
                    if !told {
                        match checks::microphone_status(peak, listened) {
                            CheckStatus::Pass => {
                                told = true;
                                on_outcome.emit(MicOutcome::Heard);
                            }
                            CheckStatus::Warn => {
                                told = true;
                                on_outcome.emit(MicOutcome::Silent);
                            }
                            _ => {}
                        }
                    }
                    pause_ms(READ_EVERY_MS).await;
                }
            });
            move || {
                // The loop first, then the microphone (dropping it closes it).
                drop(task);
                mic.borrow_mut().take();
            }
        });
    }
    let on_start = {
        let mic = mic.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(m) = mic.borrow().as_ref() {
                m.resume();
            }
        })
    };
    let pct = *percent;
    html! {
        <div class="mic" data-testid="mic-meter" data-level={pct.to_string()}>
            <span class="mic__label" id="mic-label">{ &props.label }</span>
            <div class="mic__bar" role="meter" aria-labelledby="mic-label"
                aria-valuemin="0" aria-valuemax="100" aria-valuenow={pct.to_string()}>
                <div class="mic__fill" style={format!("width: {pct}%")}></div>
            </div>
            if *suspended {
                <button type="button" class="button" data-testid="mic-start" onclick={on_start}>
                    { &props.start_label }
                </button>
            }
        </div>
    }
}
