//! The candidate's journey up to the questions, with reloads: every step is
//! an engine event committed to IndexedDB, so a reload comes back to the
//! same screen; the head turn passes only on a turned head; the timer
//! starts when the questions open.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

/// The candidate's steps stored in IndexedDB: the events but the clock
/// measurement (`clock_sync`), which the waiting room records in the
/// background whenever the server answers.
async fn stored_events(h: &Harness) -> Result<u64> {
    Ok(h.stored_events()
        .await?
        .iter()
        .filter(|(kind, _)| kind != "clock_sync")
        .count() as u64)
}

async fn stored(h: &Harness, store: &str) -> Result<u64> {
    let n = h
        .client
        .execute_async(
            r#"const [store, done] = arguments;
               const open = indexedDB.open('vigil');
               open.onsuccess = () => {
                 const req = open.result.transaction(store).objectStore(store).count();
                 req.onsuccess = () => done(req.result);
                 req.onerror = () => done(-1);
               };
               open.onerror = () => done(-1);"#,
            vec![store.into()],
        )
        .await?;
    n.as_u64()
        .ok_or_else(|| anyhow::anyhow!("unexpected count {n}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_consent_and_identity_are_stored_and_survive_reloads() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.open("/").await?;
        h.fill_login(3, None).await?;
        h.testid("login-submit").await?.click().await?;
        h.screen("system-check").await?;
        ensure!(stored_events(&h).await? == 0, "events before any step");
        // The encrypted exam package is downloaded right after login.
        let mut packages = 0;
        for _ in 0..50 {
            packages = stored(&h, "packages").await?;
            if packages == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(packages == 1, "the exam package is not stored after login");

        // A reload keeps the candidate signed in, on the same screen.
        h.client.refresh().await?;
        h.screen("system-check").await?;
        h.css("[data-testid=\"check-camera\"][data-status=\"pass\"]")
            .await?;
        h.css("[data-testid=\"continue\"]:not([disabled])")
            .await?
            .click()
            .await?;

        h.screen("consent").await?;
        ensure!(
            stored_events(&h).await? == 1,
            "the checks event is not stored"
        );
        h.screenshot("consent").await?;
        // Continue without ticking: refused, with the reason.
        h.testid("continue").await?.click().await?;
        let alert = h
            .css("[data-screen=\"consent\"] [role=\"alert\"]")
            .await?
            .text()
            .await?;
        ensure!(alert.contains("Cochez"), "unexpected message: {alert}");

        h.client.refresh().await?;
        h.screen("consent").await?;
        // The demo exam's own rules, not the general lists they replace.
        let shown = h
            .js("return [...document.querySelectorAll('[data-testid=\"rule-line\"]')].map(e => e.textContent)")
            .await?;
        let shown: Vec<String> = serde_json::from_value(shown)?;
        ensure!(
            shown.iter().any(|l| l == "Une feuille de brouillon")
                && shown.iter().any(|l| l.starts_with("Six questions en deux parties")),
            "the exam's rules and instructions are not shown: {shown:?}"
        );
        ensure!(
            !shown.iter().any(|l| l == "Une feuille A4 vierge."),
            "the general list is shown instead of the exam's: {shown:?}"
        );
        h.testid("consent-accept").await?.click().await?;
        h.testid("continue").await?.click().await?;
        // Nothing of the identification before the hour: the waiting room.
        h.screen("waiting-room").await?;
        ensure!(
            stored_events(&h).await? == 2,
            "the consent event is not stored"
        );
        // The consent's hash covers exactly the lines shown.
        let consent = h.stored_event("consent").await?;
        let expected = h
            .client
            .execute_async(
                r#"const [text, done] = arguments;
                   crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)).then(d =>
                     done([...new Uint8Array(d)].map(b => b.toString(16).padStart(2, '0')).join('')));"#,
                vec![serde_json::Value::String(shown.join("\n"))],
            )
            .await?;
        ensure!(
            consent["text_sha256"] == expected,
            "consent hash {} is not the hash of the text shown ({expected})",
            consent["text_sha256"]
        );
        ensure!(
            consent["version"] == "vigil-rules-2/demo-short",
            "consent version {}",
            consent["version"]
        );

        // The click at the hour: the check-in, then the identification.
        h.click("start-button").await?;
        h.screen("identity").await?;
        ensure!(
            stored_events(&h).await? == 4,
            "the waiting and start events are not stored"
        );
        // Its own countdown: the questions open within 10 minutes.
        let left: i64 = h
            .testid("identification-timer")
            .await?
            .attr("data-remaining-ms")
            .await?
            .unwrap_or_default()
            .parse()?;
        ensure!(
            (540_000..=600_000).contains(&left),
            "identification time left: {left} ms"
        );
        // The ID photo: take it, retake it, keep it.
        h.css("[data-testid=\"capture-id\"]:not([disabled])")
            .await?
            .click()
            .await?;
        h.testid("identity-photo").await?;
        h.screenshot("identity").await?;
        h.css(".actions .button:not(.button--primary)")
            .await?
            .click()
            .await?;
        h.css("[data-testid=\"capture-id\"]:not([disabled])")
            .await?
            .click()
            .await?;
        // "Keep" waits for the face check of the photo (the clip's face).
        h.click("continue").await?;
        // Then the face, after a reload in between.
        h.css("[data-testid=\"capture-face\"]").await?;
        ensure!(
            stored_events(&h).await? == 5,
            "the ID photo event is not stored"
        );
        h.client.refresh().await?;
        h.css("[data-testid=\"capture-face\"]:not([disabled])")
            .await?
            .click()
            .await?;
        // The head turn: a frontal face, however long, does not pass.
        h.click("continue").await?;
        h.testid("head-turn").await?;
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        h.screenshot("head-turn").await?;
        let status = h.testid("head-turn").await?.attr("data-status").await?;
        ensure!(
            status.as_deref() == Some("pending"),
            "a frontal face passed the head turn: {status:?}"
        );
        ensure!(
            h.css("[data-testid=\"head-turn-left\"][data-seen=\"false\"]").await.is_ok(),
            "a side was seen on a frontal face"
        );
        // Turned to the left (the step opens the camera again after a
        // reload), then, after another reload, to the right: the step
        // resumes on the side still missing.
        h.camera_show(vigil_e2e::CameraPicture::TurnedLeft).await?;
        h.client.refresh().await?;
        h.screen("identity").await?;
        h.css_within("[data-testid=\"head-turn-left\"][data-seen=\"true\"]", 30)
            .await?;
        h.client.refresh().await?;
        h.css_within("[data-testid=\"head-turn-left\"][data-seen=\"true\"]", 30)
            .await?;
        h.camera_show(vigil_e2e::CameraPicture::TurnedRight).await?;
        // Both sides seen: the room scan follows at once.
        h.css_within("[data-screen=\"room-scan\"]", 30).await?;
        h.camera_release().await?;
        h.screen("room-scan").await?;
        let turns: Vec<serde_json::Value> = h
            .stored_events()
            .await?
            .into_iter()
            .filter(|(k, _)| k == "head_turn")
            .map(|(_, b)| b)
            .collect();
        ensure!(
            turns.len() == 2
                && turns[0]["side"] == "left"
                && turns[0]["yaw_deg"].as_i64().is_some_and(|y| y >= 25)
                && turns[1]["side"] == "right"
                && turns[1]["yaw_deg"].as_i64().is_some_and(|y| y <= -25),
            "head turns: {turns:?}"
        );
        // The face photo's event, the two photos' comparison (`face_match`,
        // recorded in the background), the two sides.
        let mut events = stored_events(&h).await?;
        for _ in 0..100 {
            if events == 9 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            events = stored_events(&h).await?;
        }
        ensure!(
            events == 9,
            "{events} events: the face photo, its comparison or the head turn is not stored"
        );
        let kinds = h.stored_events().await?;
        let matched = kinds
            .iter()
            .find(|(k, _)| k == "face_match")
            .map(|(_, b)| b.clone())
            .unwrap_or_default();
        ensure!(
            matched["faces_on_id"] == 1
                && matched["faces_on_face"] == 1
                && matched["similarity_milli"]
                    .as_i64()
                    .is_some_and(|s| s > 500),
            "face match of two photos of the same face: {matched}"
        );
        let media = stored(&h, "media").await?;
        ensure!(
            (3..=4).contains(&media),
            "{media} photos stored, expected 3 or 4 (ID, face, two ears)"
        );

        h.client.refresh().await?;
        h.screen("room-scan").await?;
        ensure!(stored_events(&h).await? == 9, "a reload changed the log");
        // The room scan, then the questions open and the timer starts. The
        // reloads left fullscreen (a page cannot keep it): the questions
        // stay covered until the candidate goes back to it.
        h.room_scan().await?;
        h.testid("lockdown-overlay").await?;
        h.click("lockdown-return").await?;
        h.screen("exam").await?;
        let started = h.stored_event_at("start").await?;
        let opened = h.stored_event_at("questions_opened").await?;
        ensure!(opened - started >= 20_000, "opened {} ms after the start", opened - started);
        let total = h.remaining_ms().await?;
        ensure!(
            total > 290_000 && total <= 300_000,
            "the timer starts at the questions: {total} ms"
        );
        Ok(())
    }
    .await;
    h.finish("checks_consent_identity", r).await;
}
