//! axe-core on every screen (WCAG 2.1 A and AA, best practices): no serious
//! or critical violation, from the login to the finished screen, with the
//! dialogs that open on the way, and in English too (the exam's own texts
//! included).

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/").await?;
        h.screen("login").await?;
        h.axe("login").await?;
        // With the error shown.
        h.fill_login(4, Some("ZZZZ-ZZZZ")).await?;
        h.click("login-submit").await?;
        h.testid("login-error").await?;
        h.axe("login with an error").await?;

        h.open("/").await?;
        h.fill_login(4, None).await?;
        h.click("login-submit").await?;
        h.screen("system-check").await?;
        h.css_within(
            "[data-testid=\"check-microphone\"]:not([data-status=\"pending\"])",
            15,
        )
        .await?;
        h.axe("system check").await?;
        h.click("continue").await?;
        h.screen("consent").await?;
        h.axe("consent").await?;
        h.testid("consent-accept").await?.click().await?;
        h.click("continue").await?;
        h.screen("waiting-room").await?;
        h.axe("waiting room").await?;

        h.click("start-button").await?;
        h.screen("identity").await?;
        h.axe("identity, ID document").await?;
        h.testid("identification-timer").await?;
        h.click("capture-id").await?;
        h.axe("identity, ID photo taken").await?;
        h.click("continue").await?;
        h.click("capture-face").await?;
        h.camera_show(vigil_e2e::CameraPicture::TurnedLeft).await?;
        h.click("continue").await?;
        h.testid("head-turn").await?;
        h.axe("identity, head turn").await?;
        h.css_within("[data-testid=\"head-turn-left\"][data-seen=\"true\"]", 30)
            .await?;
        h.camera_show(vigil_e2e::CameraPicture::TurnedRight).await?;
        // Both sides seen: the room scan follows at once.
        h.css_within("[data-screen=\"room-scan\"]", 30).await?;
        h.camera_release().await?;
        h.screen("room-scan").await?;
        h.axe("room scan").await?;
        h.click("room-scan-start").await?;
        h.axe("room scan, recording").await?;
        h.css_within("[data-testid=\"room-scan-done\"]", 40).await?;
        h.axe("room scan, recorded").await?;
        h.click("room-scan-done").await?;
        h.screen("exam").await?;
        h.axe("exam, choices").await?;
        // The exam itself reads in English (its `i18n.en` texts).
        h.click("language-switch").await?;
        let text = h.testid("question").await?.text().await?;
        ensure!(
            text.contains("What is the capital of Italy?") && text.contains("Rome"),
            "question not in English: {text}"
        );
        h.axe("exam, English").await?;
        h.click("language-switch").await?;
        let text = h.testid("question").await?.text().await?;
        ensure!(
            text.contains("Quelle est la capitale"),
            "question not back in French: {text}"
        );
        h.click("next").await?;
        h.click("next").await?;
        h.testid("answer-input").await?;
        h.axe("exam, number").await?;
        h.js("document.exitFullscreen(); return true").await?;
        h.testid("lockdown-overlay").await?;
        h.axe("lockdown overlay").await?;
        h.click("lockdown-return").await?;
        h.screen("exam").await?;
        h.click("next").await?;
        h.testid("section-next-confirm").await?;
        h.axe("exam, leaving a no-return section").await?;
        h.click("review-open").await?;
        h.screen("review").await?;
        h.axe("review").await?;
        h.click("submit").await?;
        h.testid("submit-confirm").await?;
        h.axe("review, confirm").await?;
        h.click("submit-confirm").await?;
        h.screen("finished").await?;
        h.axe("finished").await?;

        // English.
        h.click("language-switch").await?;
        h.css("html[lang=\"en\"]").await?;
        h.axe("finished, English").await?;

        // The audit can fail: an image without a text alternative is critical.
        h.js("document.body.insertAdjacentHTML('beforeend', '<img src=\"/nothing.png\">'); return true")
            .await?;
        let control = h.axe("control with a bad image").await;
        ensure!(
            control.as_ref().is_err_and(|e| e.to_string().contains("image-alt")),
            "axe did not catch a missing alt: {control:?}"
        );
        Ok(())
    }
    .await;
    h.finish("axe", r).await;
}
