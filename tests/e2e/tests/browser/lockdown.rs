//! Browser lockdown during the exam, triggered for real in headless
//! Chromium: leaving fullscreen and the window covers the questions and is
//! recorded, and so does a second screen extending the desktop; paste
//! outside an answer field, the context menu, Ctrl+P and
//! devtools shortcuts are blocked and each attempt is recorded; pasting into
//! an answer field stays allowed.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

async fn has_event(h: &Harness, kind: &str, body: serde_json::Value) -> Result<bool> {
    for _ in 0..50 {
        if h.stored_events()
            .await?
            .iter()
            .any(|(k, b)| k == kind && *b == body)
        {
            return Ok(true);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(false)
}

/// Dispatches an event on an element and says whether it was cancelled.
async fn cancelled(h: &Harness, selector: &str, event_js: &str) -> Result<bool> {
    let script = format!(
        "const e = {event_js}; document.querySelector('{selector}').dispatchEvent(e); return e.defaultPrevented;"
    );
    Ok(h.js(&script).await? == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockdown_blocks_covers_and_records() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.walk_to_waiting_room(7).await?;
        h.start_exam().await?;
        ensure!(
            h.js("return !!document.fullscreenElement").await? == true,
            "not fullscreen"
        );

        // Leaving fullscreen covers the questions and is recorded.
        h.js("document.exitFullscreen(); return true").await?;
        h.testid("lockdown-overlay").await?;
        let visible = h
            .js("return !!document.querySelector('[data-testid=question]')")
            .await?;
        ensure!(visible == false, "questions visible under the overlay");
        ensure!(
            has_event(&h, "fullscreen", serde_json::json!({"active": false})).await?,
            "no fullscreen event"
        );
        h.screenshot("lockdown-overlay").await?;
        h.click("lockdown-return").await?;
        h.screen("exam").await?;
        ensure!(
            has_event(&h, "fullscreen", serde_json::json!({"active": true})).await?,
            "no return event"
        );

        // Losing the window is covered and recorded too.
        h.js("window.dispatchEvent(new Event('blur')); return true")
            .await?;
        h.testid("lockdown-overlay").await?;
        ensure!(
            has_event(&h, "focus", serde_json::json!({"focused": false})).await?,
            "no focus event"
        );
        // Held past the rule's second: the engine's rules open an incident,
        // dated from the exit, and close it on the return.
        let incident = |kind: &'static str| {
            move |events: &[(String, serde_json::Value)]| {
                events
                    .iter()
                    .any(|(k, b)| k == kind && b["incident"] == "left_window")
            }
        };
        let mut opened = false;
        for _ in 0..50 {
            if incident("incident_open")(&h.stored_events().await?) {
                opened = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(opened, "no left_window incident opened");
        h.js("window.dispatchEvent(new Event('focus')); return true")
            .await?;
        h.screen("exam").await?;
        let mut closed = false;
        for _ in 0..50 {
            if incident("incident_close")(&h.stored_events().await?) {
                closed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(closed, "the left_window incident never closed");

        // A second screen extending the desktop (Chromium fires `change` on
        // window.screen; headless has one screen, so the reading is faked).
        ensure!(
            !h.stored_events().await?.iter().any(|(k, _)| k == "screens"),
            "a single screen recorded as a change"
        );
        let plug = |on: bool| {
            format!(
                "Object.defineProperty(window.screen, 'isExtended', \
                 {{ get: () => {on}, configurable: true }}); \
                 window.screen.dispatchEvent(new Event('change')); return true"
            )
        };
        h.js(&plug(true)).await?;
        h.css("[data-testid=lockdown-overlay][data-reason=screens]")
            .await?;
        ensure!(
            has_event(&h, "screens", serde_json::json!({"extended": true})).await?,
            "no screens event"
        );
        h.screenshot("lockdown-screens").await?;
        h.js(&plug(false)).await?;
        h.screen("exam").await?;
        ensure!(
            has_event(&h, "screens", serde_json::json!({"extended": false})).await?,
            "unplugging not recorded"
        );

        // Blocked: paste on the question, the context menu.
        let paste = "new ClipboardEvent('paste', {bubbles: true, cancelable: true})";
        ensure!(
            cancelled(&h, "[data-testid=question] h2", paste).await?,
            "paste not blocked"
        );
        ensure!(
            has_event(&h, "blocked", serde_json::json!({"action": "paste"})).await?,
            "paste not recorded"
        );
        let menu = "new MouseEvent('contextmenu', {bubbles: true, cancelable: true})";
        ensure!(
            cancelled(&h, "[data-testid=question]", menu).await?,
            "context menu not blocked"
        );
        ensure!(
            has_event(&h, "blocked", serde_json::json!({"action": "contextmenu"})).await?,
            "menu not recorded"
        );

        // Keyboard shortcuts, typed for real: Ctrl+P and Ctrl+Shift+I.
        let body = h.css("body").await?;
        body.send_keys("\u{E009}p\u{E000}").await?; // Control, p, release
        ensure!(
            has_event(
                &h,
                "blocked",
                serde_json::json!({"action": "shortcut:ctrl+p"})
            )
            .await?,
            "Ctrl+P not recorded"
        );
        body.send_keys("\u{E009}\u{E008}i\u{E000}").await?;
        ensure!(
            has_event(
                &h,
                "blocked",
                serde_json::json!({"action": "shortcut:ctrl+shift+i"})
            )
            .await?,
            "Ctrl+Shift+I not recorded"
        );
        // Printing anyway is reported.
        h.js("window.dispatchEvent(new Event('beforeprint')); return true")
            .await?;
        ensure!(
            has_event(&h, "blocked", serde_json::json!({"action": "print"})).await?,
            "print not recorded"
        );

        // An answer field keeps paste (the candidate's own text).
        h.click("next").await?;
        h.click("next").await?;
        h.testid("answer-input").await?;
        ensure!(
            !cancelled(&h, "[data-testid=answer-input]", paste).await?,
            "paste blocked in an answer"
        );
        Ok(())
    }
    .await;
    h.finish("lockdown", r).await;
}
