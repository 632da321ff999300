//! The face checks during the exam, with the real vision worker and models:
//! the fake camera shows the candidate (no incident), then an empty desk
//! (the clip is switched under Chromium): a `face_absent` incident opens
//! with its evidence still in IndexedDB and the banner tells the candidate;
//! the face comes back and it closes; after submission the incident and
//! its still are on the server, with the identity photos' face match.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use vigil_e2e::{Clip, Harness};

/// Camera and voice incident kinds (the ones the live checks open).
const LIVE_KINDS: [&str; 6] = [
    "face_absent",
    "several_faces",
    "looking_away",
    "camera_covered",
    "camera_lost",
    "voice",
];

async fn frames_analysed(h: &Harness) -> Result<u64> {
    let v = h
        .testid("face-checks")
        .await?
        .attr("data-frames")
        .await?
        .unwrap_or_default();
    Ok(v.parse().unwrap_or(0))
}

/// `(kind, incident, evidence)` of the stored incident events.
async fn incident_events(h: &Harness) -> Result<Vec<(String, String, Option<String>)>> {
    Ok(h.stored_events()
        .await?
        .into_iter()
        .filter(|(k, _)| k.starts_with("incident_"))
        .map(|(k, b)| {
            (
                k,
                b["incident"].as_str().unwrap_or("").to_owned(),
                b["evidence_sha256"].as_str().map(str::to_owned),
            )
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_face_that_leaves_opens_an_incident_with_a_still_that_reaches_the_server() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.walk_to_waiting_room(3).await?;
        h.start_exam().await?;

        // The checks run on the candidate's face: frames analysed, nothing
        // opened.
        h.css_within("[data-testid=\"face-checks\"][data-state=\"running\"]", 60)
            .await?;
        let mut waited = 0;
        while frames_analysed(&h).await? < 8 {
            ensure!(waited < 30, "fewer than 8 frames analysed in 30 s");
            tokio::time::sleep(Duration::from_secs(1)).await;
            waited += 1;
        }
        let opened: Vec<_> = incident_events(&h)
            .await?
            .into_iter()
            .filter(|(_, kind, _)| LIVE_KINDS.contains(&kind.as_str()))
            .collect();
        ensure!(
            opened.is_empty(),
            "incidents with a face in view: {opened:?}"
        );
        let banners = h
            .js("return document.querySelectorAll('[data-testid=incident-banner]').length")
            .await?;
        ensure!(banners == 0, "a banner with a face in view");

        // The candidate leaves the desk.
        h.switch_clip(Clip::NoFace)?;
        let banner = h
            .css_within(
                "[data-testid=\"incident-banner\"][data-kind=\"face_absent\"]",
                30,
            )
            .await?;
        let text = banner.text().await?;
        ensure!(
            text.contains("Votre visage n'est plus visible"),
            "banner: {text}"
        );
        h.screenshot("incident-face-absent").await?;
        let events = incident_events(&h).await?;
        let still = events
            .iter()
            .find(|(k, kind, _)| k == "incident_open" && kind == "face_absent")
            .and_then(|(_, _, e)| e.clone())
            .with_context(|| format!("no face_absent opening with evidence: {events:?}"))?;
        let len = h.stored_media_len(&still).await?.unwrap_or(0);
        ensure!(
            len > 1_000,
            "evidence still {still}: {len} bytes in IndexedDB"
        );

        // Back in front of the camera: the incident closes, the banner goes.
        h.switch_clip(Clip::Face)?;
        let mut waited = 0;
        loop {
            let events = incident_events(&h).await?;
            if events
                .iter()
                .any(|(k, kind, _)| k == "incident_close" && kind == "face_absent")
            {
                break;
            }
            ensure!(waited < 30, "face_absent not closed: {events:?}");
            tokio::time::sleep(Duration::from_secs(1)).await;
            waited += 1;
        }

        // Submitted and synced: the server holds the incident and its still.
        h.submit_exam().await?;
        let shown = h.synced_report(60).await?;
        let incidents = shown["incidents"].as_array().cloned().unwrap_or_default();
        let absent = incidents
            .iter()
            .find(|i| i["kind"] == "face_absent")
            .with_context(|| format!("no face_absent on the server: {shown}"))?;
        ensure!(
            absent["evidence_sha256"] == still.as_str()
                && absent["evidence_stored"] == true
                && absent["closed_at"].is_i64(),
            "server incident: {absent}"
        );
        // Both identity photos show the same face (the clip's).
        let similarity = shown["face_match"]["similarity_milli"].as_i64();
        ensure!(
            similarity.is_some_and(|s| s > 500),
            "face match on the server: {}",
            shown["face_match"]
        );
        Ok(())
    }
    .await;
    h.finish("face_absent", r).await;
}
