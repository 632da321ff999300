//! The browser killed mid-exam (`cargo xtask soak browser --kills N`; `cargo
//! xtask test` runs 5): a candidate sits the TAGE practice exam in
//! Chromium, answering, flagging, moving between questions and opening the
//! review at random; at a random moment right after an action (0–400 ms:
//! mid-answer, during the IndexedDB commit, during a sync batch, on the
//! review screen) the whole browser process tree gets SIGKILL, and a new
//! browser opens on the same profile. The first kill comes 0–400 ms after
//! the questions open, while the identity photos and the room scan (about
//! 1 MB) are still being uploaded.
//!
//! After each restart: the same screen and question; every question the
//! navigator showed answered or flagged before the kill still is (what the
//! candidate saw as saved); the timer shows the time that really passed,
//! within 1 s. At the end the candidate submits and the server holds every
//! event once, its chain intact, as many as the browser stored, and every
//! media blob the log names, whole (its SHA-256 checked). Printed:
//! kills done, answers shown as saved, lost (must be 0), the worst timer
//! error, and the time to come back (kill to the exam on screen).

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use vigil_e2e::{Clip, Harness};

/// Every media hash the log names (`media_sha256`, `id_sha256`,
/// `face_sha256`, `evidence_sha256`; not the consent text's hash).
fn media_named(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match v.as_str() {
                    Some(sha) if key.ends_with("sha256") && key != "text_sha256" => {
                        into.push(sha.to_owned())
                    }
                    _ => media_named(v, into),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| media_named(v, into)),
        _ => {}
    }
}

/// The navigator's states, by question (`answered`, `flagged`, `unanswered`).
async fn navigator(h: &Harness) -> Result<Vec<String>> {
    let v = h
        .js(
            "return [...document.querySelectorAll('[data-testid^=nav-]')]
               .map(b => b.dataset.state)",
        )
        .await?;
    Ok(v.as_array()
        .context("no navigator")?
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_owned())
        .collect())
}

/// The screen on show (`exam`, `review`, …).
async fn screen(h: &Harness) -> Result<String> {
    let v = h
        .js("const s = document.querySelector('[data-screen]'); return s ? s.dataset.screen : ''")
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// The question on show, on the exam screen.
async fn question(h: &Harness) -> Result<Option<String>> {
    let v = h
        .js("const q = document.querySelector('[data-testid=question]'); return q ? q.dataset.questionId : null")
        .await?;
    Ok(v.as_str().map(str::to_owned))
}

/// Clicks `id` once scrolled to the middle of the window: the exam's
/// header (title and timers) stays on top of the page and covers what
/// WebDriver scrolled just under it.
async fn tap(h: &Harness, id: &str) -> Result<()> {
    h.js(&format!(
        "const e = document.querySelector('[data-testid=\"{id}\"]'); \
         if (e) e.scrollIntoView({{block: 'center'}}); return null"
    ))
    .await?;
    h.click(id).await
}

/// One random thing a candidate does on the exam screen.
async fn act(h: &Harness, rng: &mut rand::rngs::StdRng) -> Result<()> {
    let choices = h
        .js("return document.querySelectorAll('[data-testid^=choice-]').length")
        .await?
        .as_u64()
        .unwrap_or(0);
    // The questions of the section on show (the others are closed).
    let open: Vec<String> = h
        .js(
            "return [...document.querySelectorAll('[data-testid^=nav-]:not([disabled])')]
               .map(b => b.dataset.testid)",
        )
        .await?
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    match rng.gen_range(0..10) {
        0..=4 if choices > 0 => {
            let k = rng.gen_range(0..choices);
            tap(h, &format!("choice-{k}")).await?;
        }
        5 => tap(h, "flag").await?,
        6 | 7 if !open.is_empty() => {
            let i = rng.gen_range(0..open.len());
            tap(h, &open[i]).await?;
        }
        _ => {
            let last = h
                .js("const n = document.querySelector('[data-testid=next]'); return !n || n.disabled")
                .await?;
            if last != true {
                tap(h, "next").await?;
            }
        }
    }
    Ok(())
}

/// Back to the exam after a new browser opened: out of the lockdown
/// overlay (the new window is not fullscreen), on the screen it was on.
async fn come_back(h: &Harness, on: &str) -> Result<()> {
    h.testid("lockdown-overlay").await?;
    h.click("lockdown-return").await?;
    for _ in 0..50 {
        if h.js("return !!document.fullscreenElement").await? == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.screen(on).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_kills_mid_exam_lose_no_answer_shown_as_saved() {
    let kills: usize = std::env::var("VIGIL_SOAK_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("VIGIL_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    println!("browser soak: {kills} kills, seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut h = Harness::start_with(Clip::Face, "exams/tage-post-bac-practice.toml", 0)
        .await
        .expect("harness");
    let r: Result<()> = async {
        h.walk_to_waiting_room(0).await?;
        h.start_exam().await?;
        let mut worst_timer_ms = 0i64;
        let mut back_ms: Vec<u128> = Vec::new();
        // Answered or flagged questions on show at the kills, added up: the
        // saved states a restart had to keep.
        let mut checked = 0usize;
        for kill in 1..=kills {
            if screen(&h).await? == "review" {
                tap(&h, "review-back").await?;
                h.screen("exam").await?;
            }
            // The first kill: as the questions open, during the uploads.
            for _ in 0..rng.gen_range(1..=3) * usize::from(kill > 1) {
                act(&h, &mut rng).await?;
            }
            if kill > 1 && rng.gen_range(0..6) == 0 {
                tap(&h, "review-open").await?;
                h.screen("review").await?;
            }
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..400))).await;
            // What the candidate sees as saved, the instant before the kill.
            let on = screen(&h).await?;
            let shown = if on == "exam" {
                navigator(&h).await?
            } else {
                Vec::new()
            };
            checked += shown.iter().filter(|s| s.as_str() != "unanswered").count();
            let q = question(&h).await?;
            let remaining = h.remaining_ms().await?;
            let t = Instant::now();
            h.kill_browser().await?;
            come_back(&h, &on).await?;
            back_ms.push(t.elapsed().as_millis());
            let elapsed = t.elapsed().as_millis() as i64;
            let after = h.remaining_ms().await?;
            let error = (after - (remaining - elapsed)).abs();
            worst_timer_ms = worst_timer_ms.max(error);
            ensure!(
                error <= 1_000 && after <= remaining,
                "kill {kill}: timer {remaining} → {after} after {elapsed} ms"
            );
            if on == "exam" {
                let now = navigator(&h).await?;
                for (i, (before, after)) in shown.iter().zip(&now).enumerate() {
                    let kept = before == "unanswered" || after != "unanswered";
                    ensure!(kept, "kill {kill}: question {i} was {before}, is {after}");
                }
                let q_after = question(&h).await?;
                ensure!(q_after == q, "kill {kill}: question {q:?} → {q_after:?}");
            }
            println!(
                "kill {kill} on {on}: back in {} ms, timer off by {error} ms",
                t.elapsed().as_millis()
            );
        }
        if screen(&h).await? == "review" {
            tap(&h, "review-back").await?;
            h.screen("exam").await?;
        }
        let saved = navigator(&h)
            .await?
            .iter()
            .filter(|s| s.as_str() != "unanswered")
            .count();
        tap(&h, "review-open").await?;
        tap(&h, "submit").await?;
        tap(&h, "submit-confirm").await?;
        h.screen("finished").await?;
        let shown = h.synced_report(90).await?;
        let events = h.stored_events().await?;
        let stored = events.len() as u64;
        let mut media = Vec::new();
        for (_, body) in &events {
            media_named(body, &mut media);
        }
        media.sort();
        media.dedup();
        for sha in &media {
            let blob = h.server_blob(sha)?;
            let whole = blob.is_some_and(|b| format!("{:x}", Sha256::digest(&b)) == *sha);
            ensure!(whole, "media {sha}: not whole on the server");
        }
        ensure!(
            shown["each_seq_once"] == true
                && shown["chain"] == "intact"
                && shown["last_seq"].as_u64() == Some(stored),
            "server after the kills ({stored} events in the browser): {shown}"
        );
        back_ms.sort();
        println!(
            "browser soak: {kills} kills; {checked} answered or flagged states on show at the \
             kills, lost 0; {saved} questions answered or flagged at the end; \
             worst timer error {worst_timer_ms} ms; back after median {} ms, max {} ms; \
             server {} events, each once, chain intact; {} media whole",
            back_ms.get(back_ms.len() / 2).copied().unwrap_or(0),
            back_ms.last().copied().unwrap_or(0),
            stored,
            media.len()
        );
        Ok(())
    }
    .await;
    h.finish("soak-browser", r).await;
}
