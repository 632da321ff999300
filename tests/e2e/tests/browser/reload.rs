//! Reload at five points of the exam: after an answer, after a flag, after
//! a jump with the navigator, in the second section (after the no-return
//! change), and on the review screen. Each time the app comes back to the
//! same screen and question with every answer and flag, and the timer shows
//! the time that really passed (within 1 s): the exam never pauses.

use std::time::Instant;

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

async fn states(h: &Harness) -> Result<String> {
    let v = h
        .js(
            "return [...document.querySelectorAll('[data-testid^=nav-]')]
               .map(b => b.dataset.state).join(',')",
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// Reloads; checks the screen, the question, the navigator and the timer.
async fn reload_and_check(h: &Harness, screen: &str, point: &str) -> Result<()> {
    let question = if screen == "exam" {
        h.testid("question").await?.attr("data-question-id").await?
    } else {
        None
    };
    let nav = states(h).await?;
    let before = h.remaining_ms().await?;
    let t0 = Instant::now();
    h.client.refresh().await?;
    // A reload leaves fullscreen: back to it first.
    if screen == "exam" || screen == "review" {
        h.testid("lockdown-overlay").await?;
        h.click("lockdown-return").await?;
        // Let the window settle at its fullscreen size before the next click.
        for _ in 0..50 {
            if h.js("return !!document.fullscreenElement").await? == true {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    h.screen(screen).await?;
    let after = h.remaining_ms().await?;
    let elapsed = t0.elapsed().as_millis() as i64;
    let expected = before - elapsed;
    // Within 1 s (the timer's value is refreshed once a second).
    ensure!(
        (after - expected).abs() <= 1_000,
        "{point}: timer {before} → {after} after {elapsed} ms (expected ≈ {expected})"
    );
    ensure!(
        after <= before,
        "{point}: the timer went back ({before} → {after})"
    );
    if let Some(q) = question {
        let now = h.testid("question").await?.attr("data-question-id").await?;
        ensure!(now == Some(q.clone()), "{point}: question {q} → {now:?}");
    }
    let nav_after = states(h).await?;
    ensure!(nav_after == nav, "{point}: navigator {nav} → {nav_after}");
    println!("{point}: ok ({before} → {after} ms in {elapsed} ms)");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_reloads_mid_exam_lose_nothing_and_never_pause_the_timer() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.walk_to_waiting_room(6).await?;
        h.start_exam().await?;

        h.click("choice-2").await?;
        h.css("[data-testid=\"nav-0\"][data-state=\"answered\"]")
            .await?;
        reload_and_check(&h, "exam", "1 after an answer").await?;
        h.css("[data-testid=\"choice-2\"]:checked").await?;

        h.click("next").await?;
        h.css("[data-testid=\"question\"][data-question-id=\"premiers\"]")
            .await?;
        h.click("flag").await?;
        h.css("[data-testid=\"nav-1\"][data-state=\"flagged\"]")
            .await?;
        reload_and_check(&h, "exam", "2 after a flag").await?;

        h.click("nav-2").await?;
        h.css("[data-testid=\"question\"][data-question-id=\"produit\"]")
            .await?;
        h.testid("answer-input")
            .await?
            .send_keys("144\u{E007}")
            .await?;
        h.css("[data-testid=\"nav-2\"][data-state=\"answered\"]")
            .await?;
        reload_and_check(&h, "exam", "3 after a navigator jump").await?;
        let value = h.testid("answer-input").await?.prop("value").await?;
        ensure!(
            value.as_deref() == Some("144"),
            "numeric answer shown: {value:?}"
        );

        h.click("next").await?;
        h.click("section-next-confirm").await?;
        h.css("[data-testid=\"question\"][data-question-id=\"fleuve\"]")
            .await?;
        reload_and_check(&h, "exam", "4 in the second section").await?;
        // The first section stays locked after the reload.
        h.css("[data-testid=\"nav-0\"][disabled]").await?;

        h.click("review-open").await?;
        h.screen("review").await?;
        reload_and_check(&h, "review", "5 on the review screen").await?;
        Ok(())
    }
    .await;
    h.finish("five_reloads", r).await;
}
