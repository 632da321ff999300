//! The camera and the microphone are on only while a screen uses them:
//! leaving the system check turns both off, and submitting the exam stops
//! the live checks' camera and microphone — even a camera the browser
//! grants after the exam screen is gone (the grant is held back while the
//! candidate submits).

use std::time::Duration;

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

/// Polls [`Harness::live_tracks`] until none is live, for up to `secs`.
async fn all_off_within(h: &Harness, secs: u64, when: &str) -> Result<()> {
    let mut live = h.live_tracks().await?;
    for _ in 0..secs * 4 {
        if live.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        live = h.live_tracks().await?;
    }
    ensure!(live.is_empty(), "{when}: still live: {live:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_camera_and_the_microphone_are_off_once_their_screen_is_gone() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.watch_media().await?;
        h.walk_to_waiting_room(4).await?;
        // The system check had both open; the waiting room uses neither.
        let granted = h
            .js("return window.__vigilMedia.tracks.map(t => t.kind)")
            .await?;
        ensure!(
            granted.to_string().contains("video") && granted.to_string().contains("audio"),
            "the system check was granted: {granted}"
        );
        all_off_within(&h, 2, "in the waiting room").await?;

        h.start_exam().await?;
        h.css_within("[data-testid=\"face-checks\"][data-state=\"running\"]", 60)
            .await?;
        let live = h.live_tracks().await?;
        ensure!(
            live.contains(&"video".to_owned()) && live.contains(&"audio".to_owned()),
            "the live checks hold the camera and the microphone: {live:?}"
        );

        // The camera goes away; the live checks ask for it again, and the
        // browser takes 8 s to grant it: the candidate submits meanwhile.
        let requests = "return window.__vigilMedia.requests";
        let before = h.js(requests).await?.as_u64().unwrap_or(0);
        h.js("window.__vigilMedia.delayMs = 8000; \
              window.__vigilMedia.tracks.filter(t => t.kind === 'video').forEach(t => t.stop()); \
              return true")
            .await?;
        let mut waited = 0;
        while h.js(requests).await?.as_u64().unwrap_or(0) == before {
            ensure!(
                waited < 40,
                "the live checks did not ask for the camera again"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
            waited += 1;
        }
        h.submit_exam().await?;
        // The late camera arrives after the exam screen is gone: stopped.
        tokio::time::sleep(Duration::from_secs(9)).await;
        let granted = h.js("return window.__vigilMedia.granted").await?;
        let asked = h.js(requests).await?;
        ensure!(granted == asked, "{asked} requests, {granted} granted");
        all_off_within(&h, 2, "after submitting").await
    }
    .await;
    h.finish("media-off", r).await;
}
