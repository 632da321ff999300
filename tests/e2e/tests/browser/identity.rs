//! The same person from the first minute to the last (`identity_changed`):
//! during the exam the live face is compared with the identification's face
//! photo every `identity_interval_s` (5 s here). The same face throughout
//! opens nothing; another person's face, twice in a row, opens the incident
//! with a still of that face, the candidate is told, and after the sync the
//! proctor's dossier shows the still beside the face photo and the ID.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use vigil_e2e::{CameraPicture, Clip, Harness};

/// The short demo exam with an identity check every 5 s.
fn exam() -> Result<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let base = std::fs::read_to_string(root.join("exams/demo-short.toml"))?;
    let path = vigil_e2e::out_dir().join("exam-identity-5s.toml");
    std::fs::write(
        &path,
        format!("{base}\n[proctoring]\nidentity_interval_s = 5\n"),
    )?;
    Ok(path.display().to_string())
}

async fn identity_checks(h: &Harness) -> Result<u64> {
    let v = h
        .testid("face-checks")
        .await?
        .attr("data-identity-checks")
        .await?
        .unwrap_or_default();
    Ok(v.parse().unwrap_or(0))
}

/// `(event kind, evidence)` of the stored `identity_changed` incident events.
async fn identity_events(h: &Harness) -> Result<Vec<(String, Option<String>)>> {
    Ok(h.stored_events()
        .await?
        .into_iter()
        .filter(|(k, b)| k.starts_with("incident_") && b["incident"] == "identity_changed")
        .map(|(k, b)| (k, b["evidence_sha256"].as_str().map(str::to_owned)))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_face_than_the_identifications_opens_identity_changed_with_a_still() {
    let h = Harness::start_with(Clip::Face, &exam().expect("exam"), 0)
        .await
        .expect("harness");
    let r = async {
        h.walk_to_waiting_room(2).await?;
        h.click("start-button").await?;
        // The ID and the face photo from the fake camera (the astronaut).
        h.screen("identity").await?;
        h.click("capture-id").await?;
        h.click("continue").await?;
        h.click("capture-face").await?;
        h.head_turn_from_face().await?;
        // From the room scan on, the camera is a canvas showing the same
        // photograph, so that the test can put someone else there later.
        h.camera_show(CameraPicture::Face).await?;
        h.room_scan().await?;
        h.screen("exam").await?;

        // The same face: three comparisons (first face, then every 5 s),
        // nothing opened.
        h.css_within("[data-testid=\"face-checks\"][data-state=\"running\"]", 60)
            .await?;
        let mut waited = 0;
        while identity_checks(&h).await? < 3 {
            ensure!(
                waited < 60,
                "fewer than 3 identity checks in 60 s: {}",
                h.testid("face-checks").await?.html(false).await?
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
            waited += 1;
        }
        let events = identity_events(&h).await?;
        ensure!(
            events.is_empty(),
            "identity_changed with the same face: {events:?}"
        );

        // Someone else sits down.
        h.camera_show(CameraPicture::Other).await?;
        let banner = h
            .css_within(
                "[data-testid=\"incident-banner\"][data-kind=\"identity_changed\"]",
                60,
            )
            .await?;
        let text = banner.text().await?;
        ensure!(
            text.contains("ne correspond plus"),
            "the candidate is told: {text}"
        );
        h.screenshot("incident-identity-changed").await?;
        let events = identity_events(&h).await?;
        let still = events
            .iter()
            .find(|(k, _)| k == "incident_open")
            .and_then(|(_, e)| e.clone())
            .with_context(|| format!("no identity_changed opening with a still: {events:?}"))?;
        let len = h.stored_media_len(&still).await?.unwrap_or(0);
        ensure!(len > 1_000, "still {still}: {len} bytes in IndexedDB");

        // Submitted and synced: the server holds it, the dossier shows it
        // beside the face photo and the ID.
        h.submit_exam().await?;
        let shown = h.synced_report(60).await?;
        let incidents = shown["incidents"].as_array().cloned().unwrap_or_default();
        let changed = incidents
            .iter()
            .find(|i| i["kind"] == "identity_changed")
            .with_context(|| format!("no identity_changed on the server: {shown}"))?;
        ensure!(
            changed["evidence_sha256"] == still.as_str() && changed["evidence_stored"] == true,
            "server incident: {changed}"
        );
        let attempt = h.attempt_id().await?;
        h.proctor_login("marie").await?;
        h.open(&format!("/review/attempts/{attempt}")).await?;
        let compare = h.css("[data-testid=\"identity-compare\"]").await?;
        let images = compare.find_all(fantoccini::Locator::Css("img")).await?;
        ensure!(
            images.len() == 2,
            "face photo and ID beside the still: {} images",
            images.len()
        );
        h.js("document.querySelector('[data-testid=identity-compare]').scrollIntoView({block: 'center'})")
            .await?;
        h.screenshot("proctor-identity-changed").await?;
        Ok(())
    }
    .await;
    h.finish("identity_changed", r).await;
}
