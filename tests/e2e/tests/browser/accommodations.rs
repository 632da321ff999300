//! Tiers-temps in the app: a candidate whom the organiser granted extra
//! time (`vigil-server candidates set --extra-time yes`) starts with the
//! exam's duration extended by its fraction (a third for the demo: 5 min
//! becomes 6 min 40 s), the deadline the server enforces.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_with_tiers_temps_gets_a_third_more_time() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        let candidate = h.demo.candidates[4].id.clone();
        let session = h.demo.session.clone();
        h.server_cli(&[
            "candidates",
            "set",
            "--session",
            &session,
            &candidate,
            "--extra-time",
            "yes",
        ])?;
        h.walk_to_waiting_room(4).await?;
        h.screen("waiting-room").await?;
        h.start_exam().await?;
        let total = h.remaining_ms().await?;
        ensure!(
            total > 390_000 && total <= 400_000,
            "timer with tiers-temps: {total} ms, expected 400 000"
        );
        let start = h.stored_event("start").await?;
        ensure!(start["extra_time"] == true, "start event: {start}");
        Ok(())
    }
    .await;
    h.finish("tiers_temps", r).await;
}
