//! IndexedDB refusing writes mid-exam (a full quota, a broken profile): the
//! test makes every `add` and `put` of the page's IndexedDB throw a
//! `QuotaExceededError`, as Chromium does when the origin's quota is spent.
//! The exam goes on (the answer is shown and kept in the tab), the
//! candidate is told not to close the tab, the server receives the answer;
//! once IndexedDB takes writes again the banner goes, what was kept in
//! memory is written, and a reload restores everything.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

/// Makes IndexedDB's writes throw while `window.__vigilIdbRefuses` is true.
const REFUSE_WRITES: &str = r#"
    if (!window.__vigilIdbPatched) {
      window.__vigilIdbPatched = true;
      for (const name of ['add', 'put']) {
        const real = IDBObjectStore.prototype[name];
        IDBObjectStore.prototype[name] = function (...args) {
          if (window.__vigilIdbRefuses) {
            throw new DOMException('refused by the test', 'QuotaExceededError');
          }
          return real.apply(this, args);
        };
      }
    }
    window.__vigilIdbRefuses = true;
    return true;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exam_goes_on_when_indexeddb_refuses_writes_and_is_whole_on_disk_after() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.walk_to_waiting_room(3).await?;
        h.start_exam().await?;
        let id = h.attempt_id().await?;
        let on_disk = h.stored_events().await?.len();

        h.js(REFUSE_WRITES).await?;
        h.click("choice-2").await?;
        // The exam goes on: the answer is shown, the candidate told.
        h.css("[data-testid=\"nav-0\"][data-state=\"answered\"]")
            .await?;
        let banner = h.testid("storage-refused").await?.text().await?;
        ensure!(
            banner.contains("QuotaExceededError") && banner.contains("ne rechargez pas"),
            "banner: {banner}"
        );
        h.css("[data-testid=\"save-state\"][data-in-memory=\"true\"]")
            .await?;
        h.js("window.scrollTo(0, 0); return true").await?;
        h.screenshot("storage-refused").await?;
        h.click("next").await?;
        h.css("[data-testid=\"question\"][data-question-id=\"premiers\"]")
            .await?;
        h.click("flag").await?;
        h.css("[data-testid=\"nav-1\"][data-state=\"flagged\"]")
            .await?;
        let refused = h.stored_events().await?.len();
        ensure!(
            refused == on_disk,
            "IndexedDB took events while refusing ({on_disk} → {refused})"
        );
        // The sync sends what the tab keeps.
        h.css_within("[data-testid=\"sync-status\"][data-pending=\"0\"]", 60)
            .await?;
        let server = h.attempt_report(&id)?;
        let held = server["last_seq"].as_u64().unwrap_or_default() as usize;
        ensure!(
            held > on_disk && server["each_seq_once"] == true && server["chain"] == "intact",
            "server after the refusal: {server}"
        );

        // IndexedDB takes writes again: the next sync round writes the rest.
        h.js("window.__vigilIdbRefuses = false; return true")
            .await?;
        let mut gone = false;
        for _ in 0..60 {
            let present = h
                .js("return !!document.querySelector('[data-testid=storage-refused]')")
                .await?;
            if present == false {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        ensure!(gone, "the banner stayed after IndexedDB took writes again");
        let written = h.stored_events().await?.len();
        ensure!(
            written >= held,
            "on disk {written} events, the server holds {held}"
        );

        // A reload restores the answer and the flag given while refused.
        h.client.refresh().await?;
        h.testid("lockdown-overlay").await?;
        h.click("lockdown-return").await?;
        h.screen("exam").await?;
        h.css("[data-testid=\"nav-0\"][data-state=\"answered\"]")
            .await?;
        h.css("[data-testid=\"nav-1\"][data-state=\"flagged\"]")
            .await?;
        let server = h.attempt_report(&id)?;
        let kinds: Vec<&str> = server["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["kind"].as_str()).collect())
            .unwrap_or_default();
        ensure!(kinds.is_empty(), "flags: {kinds:?}");
        Ok(())
    }
    .await;
    h.finish("storage", r).await;
}
