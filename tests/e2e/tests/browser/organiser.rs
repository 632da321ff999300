//! The organiser's side seen in the browser: a candidate who signs in days
//! before the session reads the convocation in the waiting room (the
//! session's date and time in Paris, the pre-check deadline) and, having
//! run the system check, has validated the pre-check: the proctor's
//! session page says so, in time, with the time the server stored it in
//! Paris time.

use std::time::Duration;

use anyhow::ensure;
use vigil_e2e::{Clip, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_system_check_is_a_precheck_on_the_proctors_session_page() {
    // The session starts in 4 days: a check now is before the 72 h deadline.
    let h = Harness::start_with(Clip::Face, "exams/demo-short.toml", 4 * 86_400)
        .await
        .expect("harness");
    let r = async {
        h.walk_to_waiting_room(0).await?;
        // Days before, the waiting room is the convocation: when, in the
        // session's zone, and the pre-check deadline.
        let when = h.testid("convocation-when").await?.text().await?;
        ensure!(
            when.starts_with("Le ") && when.ends_with("(heure de Paris)"),
            "convocation: {when}"
        );
        let precheck = h.testid("convocation-precheck").await?.text().await?;
        ensure!(
            precheck.contains("72 heures avant"),
            "convocation: {precheck}"
        );
        h.screenshot("waiting-room-convocation").await?;
        // The sync brings the checks event to the server within seconds,
        // from the app's tab (which the review pages would replace).
        let attempt = h.attempt_id().await?;
        let mut synced = false;
        for _ in 0..60 {
            let shown = h.attempt_report(&attempt)?;
            // Checks, consent, waiting room: at least the first is there.
            if shown["events"].as_u64().unwrap_or(0) >= 1 {
                synced = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        ensure!(synced, "the checks event did not reach the server in 30 s");
        let candidate = h.demo.candidates[0].id.clone();
        let session = h.demo.session.clone();
        h.proctor_login("marie").await?;
        let cell = format!("tr[data-candidate=\"{candidate}\"] [data-precheck]");
        let mut seen = String::new();
        for _ in 0..10 {
            h.open(&format!("/review/sessions/{session}")).await?;
            let el = h.css(&cell).await?;
            seen = el.attr("data-precheck").await?.unwrap_or_default();
            if seen == "validated" {
                let text = el.text().await?;
                ensure!(
                    text.starts_with("validated ") && text.ends_with("(heure de Paris)"),
                    "pre-check cell: {text}"
                );
                h.screenshot("proctor-session-precheck").await?;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        anyhow::bail!("the session page shows the pre-check as {seen:?}")
    }
    .await;
    h.finish("organiser-precheck", r).await;
}
