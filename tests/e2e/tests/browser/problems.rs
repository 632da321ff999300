//! Typed problems, each said by the screen that caused it, as a sentence of
//! the catalogue: a restore that cannot read what this machine stored
//! (login screen; nothing is deleted), and a server clock that cannot be
//! measured because the network is gone (waiting room: the device clock
//! stands in, never a raw error string).

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_this_machine_cannot_read_back_is_said_on_the_login_screen() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/").await?;
        h.fill_login(0, None).await?;
        h.click("login-submit").await?;
        h.screen("system-check").await?;
        h.css("[data-testid=\"check-camera\"][data-status=\"pass\"]")
            .await?;
        h.click("continue").await?;
        h.screen("consent").await?;
        let stored = h.stored_events().await?.len();
        ensure!(stored >= 1, "no event stored");
        // Someone edits the stored log by hand: the first event's hash no
        // longer chains.
        h.client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   const open = indexedDB.open('vigil');
                   open.onsuccess = () => {
                     const tx = open.result.transaction('events', 'readwrite');
                     const store = tx.objectStore('events');
                     store.openCursor().onsuccess = (e) => {
                       const c = e.target.result;
                       const ev = JSON.parse(c.value);
                       ev.hash = '0'.repeat(64);
                       c.update(JSON.stringify(ev));
                     };
                     tx.oncomplete = () => done(true);
                   };"#,
                vec![],
            )
            .await?;
        h.client.refresh().await?;
        h.screen("login").await?;
        let text = h.testid("problem").await?.text().await?;
        ensure!(
            text.contains("n'a pas pu être relu") && text.contains("Rien n'a été effacé"),
            "restore problem: {text}"
        );
        h.screenshot("problem-restore").await?;
        // In English too, from the catalogue.
        h.click("language-switch").await?;
        let text = h.testid("problem").await?.text().await?;
        ensure!(
            text.contains("could not be read back"),
            "in English: {text}"
        );
        // Nothing stored was deleted.
        ensure!(
            h.stored_events().await?.len() == stored,
            "the stored log changed"
        );
        Ok(())
    }
    .await;
    h.finish("problem_restore", r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_out_of_reach_is_said_in_the_waiting_room() {
    let mut h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/").await?;
        h.fill_login(0, None).await?;
        h.click("login-submit").await?;
        h.screen("system-check").await?;
        h.css("[data-testid=\"check-camera\"][data-status=\"pass\"]")
            .await?;
        h.click("continue").await?;
        h.screen("consent").await?;
        h.testid("consent-accept").await?.click().await?;
        Ok(())
    }
    .await;
    // The network goes before the waiting room measures the server clock.
    h.stop_server();
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => {
            async {
                h.click("continue").await?;
                h.screen("waiting-room").await?;
                let text = h
                    .css_within("[data-testid=\"problem\"]", 30)
                    .await?
                    .text()
                    .await?;
                ensure!(
                    text.contains("L'heure du serveur n'a pas pu être vérifiée"),
                    "clock problem: {text}"
                );
                ensure!(
                    !text.contains("unreachable") && !text.contains("Failed to fetch"),
                    "a raw error reached the candidate: {text}"
                );
                h.screenshot("problem-clock").await?;
                Ok(())
            }
            .await
        }
    };
    h.finish("problem_clock", r).await;
}
