//! The whole journey on the short demo exam: checks, consent, waiting room,
//! start (the server records the check-in and releases the key; the
//! package kept since login is opened), identity, head turn, room scan (20 s
//! of real recording), the questions opening with the timer, answers of
//! every type, a flag, a reload mid-exam, the no-return section change,
//! review, submission, and the sync of everything to the server.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

async fn click(h: &Harness, id: &str) -> Result<()> {
    h.css(&format!("[data-testid=\"{id}\"]:not([disabled])"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn current_question(h: &Harness) -> Result<String> {
    Ok(h.testid("question")
        .await?
        .attr("data-question-id")
        .await?
        .unwrap_or_default())
}

/// Waits until the question on screen is `id` (answers commit before moving on).
async fn wait_question(h: &Harness, id: &str) -> Result<()> {
    h.css(&format!(
        "[data-testid=\"question\"][data-question-id=\"{id}\"]"
    ))
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_sits_the_short_exam_end_to_end() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.walk_to_waiting_room(5).await?;
        h.screen("waiting-room").await?;
        h.screenshot("waiting-room").await?;
        click(&h, "start-button").await?;
        // The click is the check-in; the identification comes after it,
        // and the questions open, with the timer, when it is done.
        h.screen("identity").await?;
        h.identify().await?;
        h.screen("exam").await?;
        let started = h.stored_event_at("start").await?;
        let opened = h.stored_event_at("questions_opened").await?;
        ensure!(
            opened - started >= 20_000,
            "the questions opened {} ms after the start: the identification (20 s of room \
             scan at least) comes in between",
            opened - started
        );
        let body = h.stored_event("questions_opened").await?;
        ensure!(
            body["deadline_ms"] == opened + 300_000 && body["reason"] == "manual",
            "deadline from the opening: {body}"
        );
        let title = h.testid("section-title").await?.text().await?;
        ensure!(
            title.contains("Partie 1"),
            "unexpected section title {title}"
        );
        let total = h.remaining_ms().await?;
        ensure!(
            total > 290_000 && total <= 300_000,
            "timer at start: {total} ms"
        );
        ensure!(current_question(&h).await? == "capitale", "first question");

        // Single choice, then multiple, then a number (comma decimal).
        click(&h, "choice-1").await?;
        h.css("[data-testid=\"nav-0\"][data-state=\"answered\"]")
            .await?;
        click(&h, "flag").await?;
        h.css("[data-testid=\"nav-0\"][data-state=\"flagged\"][data-answered=\"true\"]")
            .await?;
        click(&h, "next").await?;
        wait_question(&h, "premiers").await?;
        click(&h, "choice-0").await?;
        h.css("[data-testid=\"choice-0\"]:checked").await?;
        click(&h, "choice-2").await?;
        h.css("[data-testid=\"nav-1\"][data-state=\"answered\"]")
            .await?;
        h.screenshot("exam").await?;
        click(&h, "next").await?;
        wait_question(&h, "produit").await?;
        let input = h.testid("answer-input").await?;
        input.send_keys("abc\u{E007}").await?; // Enter
        h.css("[data-testid=\"answer-input\"][aria-invalid=\"true\"]")
            .await?;
        h.retype(&input, "144\u{E007}").await?;
        h.css("[data-testid=\"nav-2\"][data-state=\"answered\"]")
            .await?;

        // Reload mid-exam: same question, answers and flag kept, time ran on.
        let before = h.remaining_ms().await?;
        h.client.refresh().await?;
        // A reload leaves fullscreen: the questions are covered until the
        // candidate goes back to it.
        h.testid("lockdown-overlay").await?;
        click(&h, "lockdown-return").await?;
        h.screen("exam").await?;
        wait_question(&h, "produit").await?;
        h.css("[data-testid=\"nav-0\"][data-state=\"flagged\"]")
            .await?;
        h.css("[data-testid=\"nav-1\"][data-state=\"answered\"]")
            .await?;
        let after = h.remaining_ms().await?;
        ensure!(
            after <= before && before - after < 15_000,
            "timer {before} → {after}"
        );

        // Leaving the no-return section asks first, then locks it.
        click(&h, "next").await?;
        click(&h, "section-next-confirm").await?;
        wait_question(&h, "fleuve").await?;
        h.css("[data-testid=\"nav-0\"][disabled]").await?;
        h.testid("answer-input")
            .await?
            .send_keys("Loire\u{E007}")
            .await?;
        h.css("[data-testid=\"nav-3\"][data-state=\"answered\"]")
            .await?;

        click(&h, "review-open").await?;
        h.screen("review").await?;
        h.screenshot("review").await?;
        let text = h.screen("review").await?.text().await?;
        ensure!(
            text.contains("4 questions répondues sur 6"),
            "review counts: {text}"
        );
        click(&h, "submit").await?;
        click(&h, "submit-confirm").await?;

        h.screen("finished").await?;
        // Everything reaches the server: nothing pending.
        h.css("[data-testid=\"sync-status\"][data-pending=\"0\"]")
            .await?;
        h.screenshot("finished").await?;
        h.client.refresh().await?;
        h.screen("finished").await?;
        h.css("[data-testid=\"sync-status\"][data-pending=\"0\"]")
            .await?;

        // Everything is sent: signing out revokes the login on the server and
        // leaves nothing of the attempt on this machine.
        let token = h.stored_login().await?["token"].clone();
        let token = token.as_str().unwrap_or_default().to_owned();
        ensure!(!token.is_empty(), "no token stored before the sign-out");
        click(&h, "sign-out").await?;
        h.screen("login").await?;
        ensure!(
            h.stored_events().await?.is_empty(),
            "events left on the machine after the sign-out"
        );
        let left = h
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   const open = indexedDB.open('vigil');
                   open.onsuccess = () => {
                     const tx = open.result.transaction(['media', 'packages', 'session']);
                     const counts = ['media', 'packages', 'session'].map(s => tx.objectStore(s).count());
                     tx.oncomplete = () => done(counts.map(c => c.result));
                   };"#,
                vec![],
            )
            .await?;
        ensure!(left == serde_json::json!([0, 0, 0]), "left in IndexedDB: {left}");
        let status = h
            .js(&format!(
                "return (await fetch('/api/attempt', {{headers: {{Authorization: 'Bearer {token}'}}}})).status"
            ))
            .await?;
        ensure!(status == 401, "the old token still opens the attempt: {status}");

        // The proctor sees it: the session page, the attempt's dossier with
        // an intact chain, and the results CSV scored by the server's replay
        // (four right answers, one point each).
        let session = h.demo.session.clone();
        let candidate = h.demo.candidates[5].id.clone();
        h.proctor_login("marie").await?;
        h.open(&format!("/review/sessions/{session}")).await?;
        // Every event and media arrived (pending 0): the attempt is synced.
        h.css("[data-progress]").await?;
        let progress = h
            .js(&format!(
                "const a = [...document.querySelectorAll('a')].find(a => a.textContent === '{candidate}'); \
                 return a ? a.closest('tr').querySelector('[data-progress]').dataset.progress : null"
            ))
            .await?;
        ensure!(progress == "synced", "session page: {candidate} is {progress}");
        h.screenshot("proctor-session").await?;
        h.js(&format!(
            "[...document.querySelectorAll('a')].find(a => a.textContent === '{candidate}').click()"
        ))
        .await?;
        h.css("[data-testid=\"face-match\"]").await?;
        h.css("strong[data-progress=\"synced\"]").await?;
        h.screenshot("proctor-dossier").await?;
        let page = h.css("body").await?.text().await?;
        ensure!(page.contains(&candidate), "dossier of {candidate}: {page}");
        ensure!(page.contains("intact"), "chain not shown intact: {page}");
        let csv = h
            .js(&format!(
                "return await (await fetch('/review/sessions/{session}/results.csv')).text()"
            ))
            .await?;
        let csv = csv.as_str().unwrap_or_default();
        let header: Vec<&str> = csv.lines().next().unwrap_or_default().split(',').collect();
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{candidate},")))
            .ok_or_else(|| anyhow::anyhow!("no row for {candidate}: {csv}"))?;
        let cells: Vec<&str> = line.split(',').collect();
        let cell = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .and_then(|i| cells.get(i).copied())
                .unwrap_or_default()
        };
        ensure!(
            (
                cell("points_partie-1"),
                cell("points_partie-2"),
                cell("points_total")
            ) == ("3", "1", "4"),
            "scores in {csv}"
        );
        ensure!(
            cell("right") == "4" && cell("blank") == "2",
            "counts in {csv}"
        );
        Ok(())
    }
    .await;
    h.finish("short_exam", r).await;
}
