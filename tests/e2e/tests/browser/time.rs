//! Time and the network: the start window, an offline start with the
//! printed start code, automatic section advance and
//! automatic submission at the deadline (on a 20-second exam, so no test
//! waits minutes), and an exam that goes on with the server down and syncs
//! once it is back.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

const TINY: &str = "tests/fixtures/exam-tiny.toml";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_button_waits_for_the_window_and_refuses_latecomers() {
    let h = Harness::start_with(Clip::Face, "exams/demo-short.toml", 3600)
        .await
        .expect("harness");
    let r = async {
        h.walk_to_waiting_room(0).await?;
        let button = h.testid("start-button").await?;
        ensure!(
            button.attr("disabled").await?.is_some(),
            "start enabled before the window"
        );
        let text = h.screen("waiting-room").await?.text().await?;
        ensure!(text.contains("peut commencer dans"), "no countdown: {text}");
        // The countdown is about an hour (0:59:xx).
        ensure!(
            text.contains("0:59:") || text.contains("1:00:00"),
            "countdown: {text}"
        );

        // Too late: a session whose window closed two hours ago.
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        let start = humantime::format_rfc3339_seconds(two_hours_ago).to_string();
        let created = h.server_cli_output(&[
            "session",
            "create",
            "--exam",
            "demo-short",
            "--start",
            &start,
            "--grace",
            "0",
            "--candidates",
            "1",
        ])?;
        let session = created
            .lines()
            .find_map(|l| l.strip_prefix("Session ")?.strip_suffix(" created"))
            .ok_or_else(|| anyhow::anyhow!("no session in {created}"))?
            .to_owned();
        let (candidate, code) = created
            .lines()
            .skip_while(|l| *l != "candidate,code")
            .nth(1)
            .and_then(|l| l.split_once(','))
            .ok_or_else(|| anyhow::anyhow!("no login in {created}"))?;
        // A fresh machine for this candidate.
        h.client
            .execute_async(
                "const done = arguments[0]; const r = indexedDB.deleteDatabase('vigil'); \
                 r.onsuccess = () => done(true); r.onerror = () => done(false); \
                 r.onblocked = () => done(false);",
                vec![],
            )
            .await?;
        h.open("/").await?;
        h.client.refresh().await?;
        h.testid("login-session").await?.send_keys(&session).await?;
        h.testid("login-candidate")
            .await?
            .send_keys(candidate)
            .await?;
        h.testid("login-code").await?.send_keys(code).await?;
        h.click("login-submit").await?;
        h.walk_from_system_check().await?;
        let refused = h.testid("start-refused").await?.text().await?;
        ensure!(
            refused.contains("trop tard") || refused.contains("fermée"),
            "late refusal: {refused}"
        );
        let button = h.testid("start-button").await?;
        ensure!(
            button.attr("disabled").await?.is_some(),
            "start enabled after the window"
        );
        // Only the refusal: nothing about how the exam would have started.
        let shown = h
            .js("return document.querySelectorAll('[data-testid=\"package-status\"]').length")
            .await?;
        ensure!(shown == 0, "package status shown beside the refusal");
        h.screenshot("start-refused").await?;
        Ok(())
    }
    .await;
    h.finish("start_window", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_runs_out_offline_and_everything_syncs_when_the_server_is_back() {
    let mut h = Harness::start_with(Clip::Face, TINY, 0)
        .await
        .expect("harness");
    let r: Result<()> = async {
        h.walk_to_waiting_room(1).await?;
        h.start_exam().await?;
        h.css("[data-testid=\"question\"][data-question-id=\"a1\"]")
            .await?;
        h.click("choice-1").await?;
        h.css("[data-testid=\"nav-0\"][data-state=\"answered\"]")
            .await?;
        Ok(())
    }
    .await;
    // The network goes: the exam must go on.
    h.stop_server();
    let r =
        match r {
            Err(e) => Err(e),
            Ok(()) => {
                async {
                    // Section A has 8 s: the exam moves on to B by itself.
                    h.css_within("[data-testid=\"question\"][data-question-id=\"b1\"]", 20)
                        .await?;
                    let title = h.testid("section-title").await?.text().await?;
                    ensure!(title == "Partie B", "section after the boundary: {title}");
                    h.click("choice-1").await?;
                    h.css("[data-testid=\"nav-1\"][data-state=\"answered\"]")
                        .await?;
                    // At 20 s the answers are submitted automatically.
                    h.css_within("[data-screen=\"finished\"]", 25).await?;
                    let text = h.screen("finished").await?.text().await?;
                    ensure!(
                        text.contains("temps est écoulé"),
                        "not a timeout submission: {text}"
                    );
                    let pending = h.testid("sync-status").await?.attr("data-pending").await?;
                    ensure!(
                        pending.as_deref() != Some("0"),
                        "nothing pending while offline"
                    );
                    // The exam's own deadline (12 h after the end), counted down.
                    // Both read in one go: the screen redraws every second.
                    let read = h
                    .js("const e = document.querySelector('[data-testid=\"sync-countdown\"]'); \
                         return e ? [e.dataset.remainingMs, e.textContent] : null")
                    .await?;
                    let (left, text): (String, String) = serde_json::from_value(read)?;
                    let left: i64 = left.parse()?;
                    ensure!(
                        (12 * 3_600_000 - 60_000..=12 * 3_600_000).contains(&left),
                        "sending countdown: {left} ms"
                    );
                    let s = (left + 999) / 1000;
                    let hms = format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
                    ensure!(
                        text.contains(&hms),
                        "countdown text: {text}, expected {hms}"
                    );
                    h.screenshot("finished-offline").await?;
                    Ok(())
                }
                .await
            }
        };
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => match h.restart_server().await {
            Err(e) => Err(e),
            Ok(()) => {
                // Backoff retries reach the server again; everything is acknowledged.
                h.css_within("[data-testid=\"sync-status\"][data-pending=\"0\"]", 90)
                    .await
                    .map(|_| ())
            }
        },
    };
    h.finish("timeout_offline_sync", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_network_down_from_the_waiting_room_the_printed_code_starts_and_all_syncs_once() {
    let mut h = Harness::start(Clip::Face).await.expect("harness");
    let r = h.walk_to_waiting_room(2).await;
    h.stop_server();
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => {
            async {
                h.click("start-button").await?;
                let alert = h
                    .css("[data-screen=\"waiting-room\"] [role=\"alert\"]")
                    .await?;
                ensure!(
                    alert.text().await?.contains("n'a pas pu démarrer"),
                    "no start failure"
                );
                // A wrong code is refused; the right one opens the package.
                h.testid("start-code-input")
                    .await?
                    .send_keys("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")
                    .await?;
                h.click("start-code-submit").await?;
                h.css_within("[data-screen=\"waiting-room\"] [role=\"alert\"]", 5)
                    .await?;
                let text = h.screen("waiting-room").await?.text().await?;
                ensure!(
                    text.contains("code de démarrage est incorrect"),
                    "wrong code: {text}"
                );
                let input = h.testid("start-code-input").await?;
                h.retype(&input, &h.demo.start_code.to_lowercase()).await?;
                h.click("start-code-submit").await?;
                // Offline, the identification goes on as usual.
                h.identify().await?;
                h.screen("exam").await?;
                h.click("choice-1").await?;
                h.css("[data-testid=\"nav-0\"][data-state=\"answered\"]")
                    .await?;
                // Still offline: the exam goes on to its end and submits.
                h.click("review-open").await?;
                h.click("submit").await?;
                h.click("submit-confirm").await?;
                h.screen("finished").await?;
                let pending = h.testid("sync-status").await?.attr("data-pending").await?;
                ensure!(
                    pending.as_deref() != Some("0"),
                    "nothing pending while offline"
                );
                Ok(())
            }
            .await
        }
    };
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => match h.restart_server().await {
            Err(e) => Err(e),
            Ok(()) => {
                async {
                    // Back online: the offline start, the answers and the
                    // submission reach the server, each event exactly once.
                    let server = h.synced_report(90).await?;
                    let local = h.stored_events().await?.len();
                    ensure!(
                        server["events"] == local
                            && server["last_seq"] == local
                            && server["each_seq_once"] == true
                            && server["chain"] == "intact",
                        "server holds {server} for {local} local events"
                    );
                    ensure!(
                        server["state"] == "submitted" || server["state"] == "synced",
                        "server state: {server}"
                    );
                    Ok(())
                }
                .await
            }
        },
    };
    h.finish("offline_start_code", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lingering_in_the_identification_buys_no_time_and_is_flagged() {
    // The identification bound is 8 s: the candidate keeps only the ID
    // photo, and the questions open by themselves at the bound.
    let h = Harness::start_with(Clip::Face, "tests/fixtures/exam-tiny-rush.toml", 0)
        .await
        .expect("harness");
    let r = async {
        h.walk_to_waiting_room(4).await?;
        h.click("start-button").await?;
        h.screen("identity").await?;
        h.click("capture-id").await?;
        h.click("continue").await?;
        h.css("[data-testid=\"capture-face\"]").await?;
        h.css_within("[data-screen=\"exam\"]", 20).await?;
        let started = h.stored_event_at("start").await?;
        let opened = h.stored_event_at("questions_opened").await?;
        ensure!(
            opened - started == 8_000,
            "opened {} ms after the start, not at the 8 s bound",
            opened - started
        );
        let body = h.stored_event("questions_opened").await?;
        ensure!(body["reason"] == "timeout", "{body}");
        // The timer runs from the bound: at most the 20 s of the exam.
        let left = h.remaining_ms().await?;
        ensure!(left <= 20_000, "time left {left} ms");
        h.screenshot("identification-overrun").await?;
        // Once synced, the reviewer sees the overrun and what was missing.
        let shown = h.synced_report(60).await?;
        let overrun = shown["flags"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["kind"] == "identification_overrun"))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no identification_overrun flag: {shown}"))?;
        let detail = overrun["detail"].as_str().unwrap_or_default();
        ensure!(
            detail.contains("face photo") && detail.contains("room scan"),
            "{detail}"
        );
        Ok(())
    }
    .await;
    h.finish("identification_overrun", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_questions_stay_sealed_until_the_server_records_their_opening() {
    // #31: the start opens the exam's skeleton only; the questions' key
    // comes from the server's opening. With the server down at that
    // moment, the opening screen waits, and no question is shown, until it
    // is back.
    let mut h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.walk_to_waiting_room(2).await?;
        h.click("start-button").await?;
        h.screen("identity").await?;
        h.click("capture-id").await?;
        h.click("continue").await?;
        h.click("capture-face").await?;
        h.head_turn_from_face().await?;
        h.screen("room-scan").await?;
        h.click("room-scan-start").await?;
        h.css_within("[data-testid=\"room-scan-done\"]", 40).await?;
        // What the start gave this machine: no question's text.
        let opened = h
            .js("return document.body.innerText.includes('Quelle est la capitale')")
            .await?;
        ensure!(opened == false, "a question shown before the opening");
        Ok(())
    }
    .await;
    h.stop_server();
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => {
            async {
                h.click("room-scan-done").await?;
                h.screen("opening").await?;
                h.screenshot("opening-waits-for-the-server").await?;
                let questions = h
                    .js("return document.querySelectorAll('[data-testid=\"question\"]').length")
                    .await?;
                ensure!(questions == 0, "questions shown without their key");
                // The printed start code is offered; a wrong one is refused
                // here, by the package itself.
                let input = h.testid("opening-code-input").await?;
                h.retype(&input, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA").await?;
                h.click("opening-code-submit").await?;
                let alert = h.testid("problem").await?.text().await?;
                ensure!(alert.contains("code de démarrage"), "{alert}");
                h.screen("opening").await?;
                Ok(())
            }
            .await
        }
    };
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => {
            let back = h.restart_server().await;
            async {
                back?;
                // The app asks again every 3 s: the questions appear.
                h.css_within("[data-screen=\"exam\"]", 30).await?;
                let text = h.testid("question").await?.text().await?;
                ensure!(!text.contains('…'), "still the skeleton: {text}");
                let body = h.stored_event("questions_opened").await?;
                ensure!(body["reason"] == "manual", "{body}");
                Ok(())
            }
            .await
        }
    };
    h.finish("questions_sealed_until_opening", r).await;
}
