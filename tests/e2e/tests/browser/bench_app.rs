//! The app benchmark (`cargo xtask bench app`), in headless Chromium with
//! the real server: figures printed, never asserted. Ignored in the test
//! run; xtask runs it with `--ignored` and a 200-question exam it writes.
//!
//! - time to first screen: navigation start to the `vigil:first-screen`
//!   mark (the first screen other than "loading"), first visit and reloads
//!   (the service worker then serves the shell);
//! - answer → IndexedDB commit: the `vigil:commit` measures the app records
//!   from the click to the stored events, over 2 000 answers, with the 1st
//!   hundred and the 20th hundred side by side: a step must cost the same
//!   whatever the length of the log (the attempt store appends in place);
//! - navigation render: click on a navigator cell to the new question
//!   painted (next animation frame), over 100 jumps in 200 questions;
//! - heap after the whole flow: `performance.memory.usedJSHeapSize` plus the
//!   wasm linear memory.

use anyhow::{Context, Result};
use vigil_e2e::{Clip, Harness};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut xs: Vec<f64>, goal: &str) {
    xs.sort_by(f64::total_cmp);
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms (goal {goal})",
        xs.len(),
        percentile(&xs, 0.5),
        percentile(&xs, 0.99),
        xs.last().copied().unwrap_or(f64::NAN)
    );
}

async fn first_screen_ms(h: &Harness) -> Result<f64> {
    for _ in 0..200 {
        let v = h
            .js(
                "const e = performance.getEntriesByName('vigil:first-screen'); \
                 return e.length ? e[0].startTime : null",
            )
            .await?;
        if let Some(ms) = v.as_f64() {
            return Ok(ms);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    anyhow::bail!("no vigil:first-screen mark")
}

/// Answers in the commit benchmark (a multiple of 100).
const ANSWERS: usize = 2_000;

async fn commits(h: &Harness) -> Result<usize> {
    Ok(
        h.js("return performance.getEntriesByName('vigil:commit').length")
            .await?
            .as_u64()
            .unwrap_or(0) as usize,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run by `cargo xtask bench app`"]
async fn bench_app() {
    let exam = std::env::var("VIGIL_BENCH_EXAM").expect("VIGIL_BENCH_EXAM (set by xtask)");
    let h = Harness::start_with(Clip::Face, &exam, 0)
        .await
        .expect("harness");
    let r: Result<()> = async {
        // Time to first screen: the first visit, then reloads.
        h.open("/").await?;
        let cold = first_screen_ms(&h).await?;
        let mut warm = Vec::new();
        for _ in 0..10 {
            h.client.refresh().await?;
            h.screen("login").await?;
            warm.push(first_screen_ms(&h).await?);
        }
        warm.sort_by(f64::total_cmp);
        println!(
            "time to first screen: first visit {cold:.0} ms; reload p50 {:.0} ms, max {:.0} ms (goal ≤ 300 ms)",
            percentile(&warm, 0.5),
            warm.last().copied().unwrap_or(f64::NAN)
        );

        h.walk_to_waiting_room(0).await?;
        h.start_exam().await?;

        // 2 000 answers, each waited for, alternating two choices of the
        // current question (each click is a new answer).
        let before = commits(&h).await?;
        for i in 0..ANSWERS {
            let choice = if i % 2 == 0 { "choice-0" } else { "choice-1" };
            h.css(&format!("[data-testid=\"{choice}\"]"))
                .await?
                .click()
                .await?;
            let want = before + i + 1;
            let mut n = commits(&h).await?;
            while n < want {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                n = commits(&h).await?;
            }
        }
        let v = h
            .js("return performance.getEntriesByName('vigil:commit').map(e => e.duration)")
            .await?;
        let all: Vec<f64> = serde_json::from_value(v)?;
        let answers = &all[before..];
        summary("answer → IndexedDB commit", answers.to_vec(), "p99 ≤ 10 ms");
        let hundred = |k: usize| answers[k * 100..(k + 1) * 100].to_vec();
        summary("  answers 1–100", hundred(0), "the same as later");
        summary(
            &format!("  answers {}–{}", ANSWERS - 99, ANSWERS),
            hundred(ANSWERS / 100 - 1),
            "the same as the first",
        );

        // The same raw transaction, started by a real (WebDriver) click on a
        // plain button: what the browser adds after an input event.
        h.js(r#"const b = document.createElement('button');
                b.id = 'bench-click'; b.textContent = 'bench';
                document.body.appendChild(b);
                window.__clickTimes = [];
                const open = indexedDB.open('vigil-bench-floor', 1);
                open.onupgradeneeded = () => open.result.createObjectStore('s');
                open.onsuccess = () => { window.__floorDb = open.result; };
                b.addEventListener('click', () => {
                  const t0 = performance.now();
                  const tx = window.__floorDb.transaction('s', 'readwrite');
                  tx.objectStore('s').put('{}', 'click' + window.__clickTimes.length);
                  tx.oncomplete = () => window.__clickTimes.push(performance.now() - t0);
                });
                return true"#)
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        for i in 0..100u64 {
            h.css("#bench-click").await?.click().await?;
            while h.js("return window.__clickTimes.length").await?.as_u64() < Some(i + 1) {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
        let xs: Vec<f64> = serde_json::from_value(h.js("return window.__clickTimes").await?)?;
        summary("IndexedDB floor after a real click (plain JS)", xs, "for reference");
        h.js("document.getElementById('bench-click').remove(); window.scrollTo(0, 0); return true")
            .await?;
        // The floor under that: one IndexedDB transaction adding one small
        // record, with the browser's default and with strict durability.
        for durability in ["default", "strict"] {
            let v = h
                .client
                .execute_async(
                    r#"const [durability, done] = arguments;
                       const open = indexedDB.open('vigil-bench-floor', 1);
                       open.onupgradeneeded = () => open.result.createObjectStore('s');
                       open.onsuccess = async () => {
                         const db = open.result, out = [];
                         for (let i = 0; i < 200; i++) {
                           const t0 = performance.now();
                           await new Promise((ok, ko) => {
                             const opts = durability === 'default' ? undefined : { durability };
                             const tx = db.transaction('s', 'readwrite', opts);
                             tx.objectStore('s').put('{"seq":' + i + '}', durability + i);
                             tx.oncomplete = ok; tx.onerror = ko;
                           });
                           out.push(performance.now() - t0);
                         }
                         db.close();
                         done(out);
                       };"#,
                    vec![durability.into()],
                )
                .await?;
            let xs: Vec<f64> = serde_json::from_value(v)?;
            summary(
                &format!("IndexedDB floor (plain JS, no click), {durability} durability"),
                xs,
                "for reference",
            );
        }

        // Navigation in 200 questions: click to painted.
        let mut jumps = Vec::new();
        let mut k = 7usize;
        for _ in 0..100 {
            k = (k * 37 + 11) % 200;
            let ms = h
                .client
                .execute_async(
                    r#"const [k, done] = arguments;
                       const target = 'q' + String(k + 1).padStart(3, '0');
                       const t0 = performance.now();
                       const painted = () => requestAnimationFrame(() => done(performance.now() - t0));
                       const seen = () => document.querySelector(
                         `[data-testid=question][data-question-id="${target}"]`);
                       if (seen()) { done(-1); return; }
                       const obs = new MutationObserver(() => {
                         if (seen()) { obs.disconnect(); painted(); }
                       });
                       obs.observe(document.body, { childList: true, subtree: true, attributes: true });
                       document.querySelector(`[data-testid="nav-${k}"]`).click();"#,
                    vec![k.into()],
                )
                .await?;
            let ms = ms.as_f64().context("navigation time")?;
            if ms >= 0.0 {
                jumps.push(ms);
            }
        }
        summary("navigation render (200 questions)", jumps, "≤ 16 ms");

        // The end of the flow: review, submit, finished and synced.
        h.click("review-open").await?;
        h.click("submit").await?;
        h.click("submit-confirm").await?;
        h.screen("finished").await?;
        h.css_within("[data-testid=\"sync-status\"][data-pending=\"0\"]", 60)
            .await?;
        let heap = h
            .js("return performance.memory ? performance.memory.usedJSHeapSize : null")
            .await?
            .as_f64()
            .unwrap_or(f64::NAN);
        let wasm = h
            .js("return window.wasmBindings.vigil_wasm_memory_bytes()")
            .await?
            .as_f64()
            .unwrap_or(f64::NAN);
        println!(
            "heap after the whole flow: JS {:.1} MB + wasm {:.1} MB = {:.1} MB (goal < 100 MB)",
            heap / 1e6,
            wasm / 1e6,
            (heap + wasm) / 1e6
        );
        Ok(())
    }
    .await;
    h.finish("bench_app", r).await;
}
