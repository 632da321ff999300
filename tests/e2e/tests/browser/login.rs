//! The first vertical slice, end to end: the login screen, a good login
//! with a demo code reaching the system check with the fake camera's face
//! on screen, a wrong code, an unreachable server, the equipment test.

use anyhow::ensure;
use vigil_e2e::{Clip, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_login_reaches_the_system_check_with_the_camera() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.open("/").await?;
        h.screen("login").await?;
        ensure!(
            h.js("return document.documentElement.lang").await? == "fr",
            "page not in French"
        );
        h.screenshot("login").await?;
        h.fill_login(0, None).await?;
        h.testid("login-submit").await?.click().await?;
        h.screen("system-check").await?;
        // The fake camera plays the face clip: frames arrive and are bright.
        h.css("[data-testid=\"check-camera\"][data-status=\"pass\"]")
            .await?;
        let width = h
            .js("return document.querySelector('[data-testid=camera-preview]').videoWidth")
            .await?;
        ensure!(
            width == 640,
            "camera preview width is {width}, expected the clip's 640"
        );
        h.css("[data-testid=\"check-browser\"][data-status=\"pass\"]")
            .await?;
        // The storage estimate of a fresh profile leaves far more than 1 GB.
        h.css("[data-testid=\"check-storage\"][data-status=\"pass\"]")
            .await?;
        // The encrypted exam is downloaded right after login, and says so.
        h.css_within(
            "[data-testid=\"package-status\"][data-state=\"stored\"]",
            15,
        )
        .await?;
        // The fake microphone beeps: the meter moves and the voice is heard.
        h.css_within(
            "[data-testid=\"check-microphone\"][data-status=\"pass\"]",
            15,
        )
        .await?;
        let mut moved = false;
        for _ in 0..30 {
            let level = h.testid("mic-meter").await?.attr("data-level").await?;
            if level.as_deref().is_some_and(|l| l != "0") {
                moved = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(moved, "the microphone meter never moved");
        // Loopback: a fast network; the figures are shown.
        let network = h
            .css_within("[data-testid=\"check-network\"][data-status=\"pass\"]", 15)
            .await?
            .text()
            .await?;
        ensure!(
            network.contains(" ms") && network.contains("Mbit/s"),
            "network figures missing: {network}"
        );
        let who = h.css(".topbar__who").await?.text().await?;
        ensure!(
            who.contains(&h.demo.candidates[0].id),
            "candidate not shown: {who}"
        );
        h.screenshot("system-check").await?;
        Ok(())
    }
    .await;
    h.finish("good_login", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_code_shows_a_french_alert_and_stays_on_login() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.open("/").await?;
        h.fill_login(1, Some("ZZZZ-ZZZZ")).await?;
        h.testid("login-submit").await?.click().await?;
        let alert = h.testid("login-error").await?;
        ensure!(
            alert.attr("role").await?.as_deref() == Some("alert"),
            "login-error is not an alert"
        );
        let text = alert.text().await?;
        ensure!(
            text.contains("Identifiants incorrects"),
            "unexpected message: {text}"
        );
        h.screen("login").await?;
        h.screenshot("login-wrong-code").await?;
        // Empty fields are caught before any request.
        h.open("/").await?;
        h.testid("login-submit").await?.click().await?;
        let text = h.testid("login-error").await?.text().await?;
        ensure!(text.contains("Renseignez"), "unexpected message: {text}");
        Ok(())
    }
    .await;
    h.finish("wrong_code", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_said_plainly() {
    let mut h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.open("/").await?;
        h.screen("login").await?;
        h.fill_login(2, None).await?;
        Ok(())
    }
    .await;
    h.stop_server();
    let r = match r {
        Ok(()) => {
            async {
                h.testid("login-submit").await?.click().await?;
                let text = h.testid("login-error").await?.text().await?;
                ensure!(text.contains("injoignable"), "unexpected message: {text}");
                h.screenshot("login-unreachable").await?;
                Ok(())
            }
            .await
        }
        Err(e) => Err(e),
    };
    h.finish("unreachable", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equipment_test_runs_without_login_and_in_english() {
    let h = Harness::start(Clip::NoFace).await.expect("harness");
    let r = async {
        h.open("/").await?;
        h.testid("language-switch").await?.click().await?;
        let title = h.css("#login-title").await?.text().await?;
        ensure!(
            title == "Sign in to your exam",
            "not switched to English: {title}"
        );
        ensure!(
            h.js("return document.documentElement.lang").await? == "en",
            "lang not en"
        );
        h.testid("test-equipment").await?.click().await?;
        h.screen("system-check").await?;
        // The no-face clip is a working, bright camera, but the face check
        // fails it: nobody is in front of it (the vision worker ran).
        let camera = h
            .css_within("[data-testid=\"check-camera\"][data-status=\"fail\"]", 60)
            .await?;
        let text = camera.text().await?;
        ensure!(text.contains("No face is detected"), "camera check: {text}");
        // Without a login there is nowhere to continue to.
        let continues = h
            .js("return document.querySelectorAll('[data-testid=continue]').length")
            .await?;
        ensure!(continues == 0, "continue offered without login");
        Ok(())
    }
    .await;
    h.finish("equipment_test", r).await;
}
