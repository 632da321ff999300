//! Components rendered in a real headless Chromium (wasm-bindgen-test):
//! the login form's own validation and alert, a check item's contract
//! attributes, and the camera preview fed by Chromium's fake camera.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use vigil_app::checks::CheckStatus;
use vigil_app::components::camera_preview::{CameraOutcome, CameraPreview};
use vigil_app::components::check_item::CheckItem;
use vigil_app::i18n::Lang;
use vigil_app::screens::login::LoginScreen;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount_point() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

fn query(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(20)).await;
}

#[wasm_bindgen_test]
async fn login_form_refuses_empty_fields_with_an_alert() {
    let root = mount_point();
    let props = yew::props!(vigil_app::screens::login::Props {
        lang: Lang::Fr,
        on_logged_in: Callback::noop(),
        on_test_equipment: Callback::noop(),
    });
    yew::Renderer::<LoginScreen>::with_root_and_props(root.clone(), props).render();
    settle().await;
    assert!(query(&root, "[data-screen=login]").is_some());
    for id in [
        "login-session",
        "login-candidate",
        "login-code",
        "login-submit",
    ] {
        assert!(
            query(&root, &format!("[data-testid={id}]")).is_some(),
            "{id} missing"
        );
    }
    assert!(query(&root, "[data-testid=login-error]").is_none());

    let submit: HtmlElement = query(&root, "[data-testid=login-submit]")
        .unwrap()
        .dyn_into()
        .unwrap();
    submit.click();
    settle().await;
    let alert = query(&root, "[data-testid=login-error]").expect("an alert after empty submit");
    assert_eq!(alert.get_attribute("role").as_deref(), Some("alert"));
    assert!(alert.text_content().unwrap().contains("Renseignez"));
    let code = query(&root, "[data-testid=login-code]").unwrap();
    assert_eq!(code.get_attribute("aria-invalid").as_deref(), Some("true"));
}

#[wasm_bindgen_test]
async fn check_item_exposes_its_status() {
    let root = mount_point();
    let props = yew::props!(vigil_app::components::check_item::Props {
        id: "memory",
        label: "Mémoire",
        status: CheckStatus::Warn,
        message: "Fermez les autres applications.",
    });
    yew::Renderer::<CheckItem>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let item = query(&root, "[data-testid=check-memory]").expect("check-memory");
    assert_eq!(item.get_attribute("data-status").as_deref(), Some("warn"));
    assert!(item.text_content().unwrap().contains("Fermez"));
}

#[wasm_bindgen_test]
async fn camera_preview_reports_a_working_fake_camera() {
    let root = mount_point();
    let outcome = std::rc::Rc::new(std::cell::RefCell::new(None));
    let sink = outcome.clone();
    let props = yew::props!(vigil_app::components::camera_preview::Props {
        label: "caméra",
        on_outcome: Callback::from(move |o: CameraOutcome| *sink.borrow_mut() = Some(o)),
    });
    yew::Renderer::<CameraPreview>::with_root_and_props(root.clone(), props).render();
    for _ in 0..100 {
        if outcome.borrow().is_some() {
            break;
        }
        yew::platform::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(*outcome.borrow(), Some(CameraOutcome::Working));
    let video: web_sys::HtmlVideoElement = query(&root, "[data-testid=camera-preview]")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(video.video_width() > 0);
}
