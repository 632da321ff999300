//! Consent and rules: the exam's own instructions and rules (allowed,
//! forbidden, conduct — from the exam file, in the candidate's language,
//! sent at login in the exam summary's briefings), the general notice of
//! what is recorded, and a required checkbox. Accepting records a
//! `consent` event carrying the SHA-256 of exactly the text shown, so a
//! reviewer knows what was agreed to. An exam without rules of a kind
//! shows the catalogue's general list for it.

use sha2::{Digest, Sha256};
use vigil_exam::Briefing;
use yew::prelude::*;

use crate::browser::dom;
use crate::i18n::{Lang, Texts};

/// Version of the rules text, recorded with the consent (with the exam id).
pub const RULES_VERSION: &str = "vigil-rules-2";

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// The exam's id and its briefing in the candidate's language, if the
    /// login carried one.
    #[prop_or_default]
    pub exam_id: AttrValue,
    #[prop_or_default]
    pub briefing: Option<Briefing>,
    /// Accepted: the version and the SHA-256 (hex) of the text shown.
    pub on_accept: Callback<(String, String)>,
    /// An error from recording the consent, if any.
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

/// The version recorded with the consent: the text's version and the exam.
pub fn rules_version(exam_id: &str) -> String {
    if exam_id.is_empty() {
        RULES_VERSION.to_owned()
    } else {
        format!("{RULES_VERSION}/{exam_id}")
    }
}

/// The groups shown: the exam's lists where it has them, the catalogue's
/// otherwise, and always the catalogue's notice of what is recorded.
fn sections<'a>(t: &'a Texts, b: Option<&'a Briefing>) -> Vec<(&'a str, Vec<&'a str>)> {
    let pick = |own: Option<&'a Vec<String>>, general: &'a [&'a str]| -> Vec<&'a str> {
        match own.filter(|l| !l.is_empty()) {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => general.to_vec(),
        }
    };
    let rules = b.map(|b| &b.rules);
    vec![
        (
            t.consent_allowed_title,
            pick(rules.map(|r| &r.allowed), t.consent_allowed),
        ),
        (
            t.consent_forbidden_title,
            pick(rules.map(|r| &r.forbidden), t.consent_forbidden),
        ),
        (
            t.consent_conduct_title,
            pick(rules.map(|r| &r.conduct), t.consent_conduct),
        ),
        (t.consent_recorded_title, t.consent_recorded.to_vec()),
    ]
}

/// The lines shown, in display order: title, introduction, the exam's
/// instructions, each group's title and items, the acceptance sentence.
pub fn rules_lines<'a>(t: &'a Texts, b: Option<&'a Briefing>) -> Vec<&'a str> {
    let mut lines = vec![t.consent_title, t.consent_intro];
    if let Some(i) = b.map(|b| b.instructions.as_str()).filter(|i| !i.is_empty()) {
        lines.push(i);
    }
    for (title, items) in sections(t, b) {
        lines.push(title);
        lines.extend(items);
    }
    lines.push(t.consent_accept);
    lines
}

/// The rules as shown, one line per item, in display order.
pub fn rules_text(t: &Texts, b: Option<&Briefing>) -> String {
    rules_lines(t, b).join("\n")
}

/// SHA-256 (hex) of the rules text shown.
pub fn rules_sha256(t: &Texts, b: Option<&Briefing>) -> String {
    hex::encode(Sha256::digest(rules_text(t, b).as_bytes()))
}

#[component]
pub fn ConsentScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let b = props.briefing.as_ref();
    let accepted = use_state(|| false);
    let tried = use_state(|| false);

    let on_toggle = {
        let accepted = accepted.clone();
        Callback::from(move |e: Event| accepted.set(dom::checkbox_checked(e.target())))
    };
    let on_continue = {
        let (accepted, tried) = (accepted.clone(), tried.clone());
        let on_accept = props.on_accept.clone();
        let (lang, briefing) = (props.lang, props.briefing.clone());
        let version = rules_version(&props.exam_id);
        Callback::from(move |_: MouseEvent| {
            if *accepted {
                let sha = rules_sha256(lang.texts(), briefing.as_ref());
                on_accept.emit((version.clone(), sha));
            } else {
                tried.set(true);
            }
        })
    };

    html! {
        <section class="screen" data-screen="consent" aria-labelledby="consent-title">
            <h1 id="consent-title" data-testid="rule-line">{ t.consent_title }</h1>
            <p class="lead" data-testid="rule-line">{ t.consent_intro }</p>
            if let Some(i) = b.map(|b| b.instructions.as_str()).filter(|i| !i.is_empty()) {
                <p data-testid="rule-line">{ i }</p>
            }
            <div class="rules" data-testid="exam-rules">
                { for sections(t, b).into_iter().map(|(title, items)| html! {
                    <section class="rules__group">
                        <h2 data-testid="rule-line">{ title }</h2>
                        <ul>{ for items.into_iter().map(|i| html! {
                            <li data-testid="rule-line">{ i }</li>
                        }) }</ul>
                    </section>
                }) }
            </div>
            <label class="consent">
                <input type="checkbox" data-testid="consent-accept" checked={*accepted}
                    onchange={on_toggle} />
                <span data-testid="rule-line">{ t.consent_accept }</span>
            </label>
            if *tried && !*accepted {
                <p class="alert alert--error" role="alert">{ t.consent_required }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert" data-testid="problem">{ err }</p>
            }
            <div class="actions actions--end">
                <button type="button" class="button button--primary" data-testid="continue"
                    aria-disabled={(!*accepted).then_some("true")} onclick={on_continue}>
                    { t.continue_label }
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, FR};
    use vigil_exam::Rules;

    fn demo() -> Briefing {
        Briefing {
            instructions: "Six questions.".into(),
            rules: Rules {
                allowed: vec!["Une feuille de brouillon".into()],
                forbidden: vec!["Téléphone".into()],
                conduct: vec![],
            },
        }
    }

    #[test]
    fn the_hash_covers_every_line_shown_and_differs_by_language() {
        let text = rules_text(&FR, None);
        for line in FR.consent_forbidden {
            assert!(text.contains(line));
        }
        assert_eq!(rules_sha256(&FR, None).len(), 64);
        assert_ne!(rules_sha256(&FR, None), rules_sha256(&EN, None));
        assert_eq!(rules_sha256(&FR, None), rules_sha256(&FR, None));
    }

    #[test]
    fn the_exams_own_rules_replace_the_general_lists_they_cover() {
        let b = demo();
        let lines = rules_lines(&FR, Some(&b));
        assert!(lines.contains(&"Six questions."));
        assert!(lines.contains(&"Une feuille de brouillon"));
        assert!(lines.contains(&"Téléphone"));
        for general in FR.consent_allowed.iter().chain(FR.consent_forbidden) {
            assert!(!lines.contains(general), "{general}");
        }
        // No conduct of its own: the general conduct; the recorded notice always.
        for general in FR.consent_conduct.iter().chain(FR.consent_recorded) {
            assert!(lines.contains(general), "{general}");
        }
        assert_ne!(rules_sha256(&FR, Some(&b)), rules_sha256(&FR, None));
        assert_eq!(rules_version("demo-short"), "vigil-rules-2/demo-short");
    }
}
