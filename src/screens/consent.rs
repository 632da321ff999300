//! Consent and rules: what is allowed, forbidden and recorded, and a
//! required checkbox. Accepting records a `consent` event carrying the
//! SHA-256 of exactly the text shown, so a reviewer knows what was agreed to.

use sha2::{Digest, Sha256};
use yew::prelude::*;

use crate::browser::dom;
use crate::i18n::{Lang, Texts};

/// Version of the rules text, recorded with the consent.
pub const RULES_VERSION: &str = "vigil-rules-1";

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    /// Accepted: the version and the SHA-256 (hex) of the text shown.
    pub on_accept: Callback<(String, String)>,
    /// An error from recording the consent, if any.
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

/// The rules as shown, one line per item, in display order.
pub fn rules_text(t: &Texts) -> String {
    let mut lines = vec![t.consent_title, t.consent_intro];
    for (title, items) in sections(t) {
        lines.push(title);
        lines.extend(items.iter().copied());
    }
    lines.push(t.consent_accept);
    lines.join("\n")
}

fn sections(t: &Texts) -> [(&'static str, &'static [&'static str]); 4] {
    [
        (t.consent_allowed_title, t.consent_allowed),
        (t.consent_forbidden_title, t.consent_forbidden),
        (t.consent_conduct_title, t.consent_conduct),
        (t.consent_recorded_title, t.consent_recorded),
    ]
}

/// SHA-256 (hex) of the rules text in a language.
pub fn rules_sha256(t: &Texts) -> String {
    hex::encode(Sha256::digest(rules_text(t).as_bytes()))
}

#[component]
pub fn ConsentScreen(props: &Props) -> Html {
    let t = props.lang.texts();
    let accepted = use_state(|| false);
    let tried = use_state(|| false);

    let on_toggle = {
        let accepted = accepted.clone();
        Callback::from(move |e: Event| accepted.set(dom::checkbox_checked(e.target())))
    };
    let on_continue = {
        let (accepted, tried) = (accepted.clone(), tried.clone());
        let on_accept = props.on_accept.clone();
        let lang = props.lang;
        Callback::from(move |_: MouseEvent| {
            if *accepted {
                on_accept.emit((RULES_VERSION.to_owned(), rules_sha256(lang.texts())));
            } else {
                tried.set(true);
            }
        })
    };

    html! {
        <section class="screen" data-screen="consent" aria-labelledby="consent-title">
            <h1 id="consent-title">{ t.consent_title }</h1>
            <p class="lead">{ t.consent_intro }</p>
            <div class="rules">
                { for sections(t).into_iter().map(|(title, items)| html! {
                    <section class="rules__group">
                        <h2>{ title }</h2>
                        <ul>{ for items.iter().map(|i| html! { <li>{ *i }</li> }) }</ul>
                    </section>
                }) }
            </div>
            <label class="consent">
                <input type="checkbox" data-testid="consent-accept" checked={*accepted}
                    onchange={on_toggle} />
                <span>{ t.consent_accept }</span>
            </label>
            if *tried && !*accepted {
                <p class="alert alert--error" role="alert">{ t.consent_required }</p>
            }
            if let Some(err) = &props.error {
                <p class="alert alert--error" role="alert">{ err }</p>
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

    #[test]
    fn the_hash_covers_every_line_shown_and_differs_by_language() {
        let text = rules_text(&FR);
        for line in FR.consent_forbidden {
            assert!(text.contains(line));
        }
        assert_eq!(rules_sha256(&FR).len(), 64);
        assert_ne!(rules_sha256(&FR), rules_sha256(&EN));
        assert_eq!(rules_sha256(&FR), rules_sha256(&FR));
    }
}
