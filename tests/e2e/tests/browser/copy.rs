//! The way home when the network never comes back: the candidate saves an
//! encrypted copy of the attempt with the server gone, the organiser imports
//! it with the command line, and the proctor sees the attempt whole and
//! flagged `manual_import`; when the network does come back, the app's own
//! sync finds everything already there.

use anyhow::{ensure, Context};
use vigil_e2e::{Clip, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_copy_saved_offline_is_imported_once_and_the_proctor_sees_it() {
    let mut h = Harness::start(Clip::Face).await.expect("harness");
    let r = async {
        h.walk_to_waiting_room(3).await?;
        h.start_exam().await?;
        h.click("choice-1").await?;
        h.css("[data-testid=\"nav-0\"][data-state=\"answered\"]")
            .await?;
        Ok(())
    }
    .await;
    // The network goes, for good as far as the candidate knows.
    h.stop_server();
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => {
            async {
                h.click("review-open").await?;
                h.click("submit").await?;
                h.click("submit-confirm").await?;
                h.screen("finished").await?;
                let pending = h.testid("sync-status").await?.attr("data-pending").await?;
                ensure!(
                    pending.as_deref() != Some("0"),
                    "nothing pending while offline"
                );
                h.click("save-copy").await?;
                let saved = h.css_within("[data-testid=\"copy-saved\"]", 30).await?;
                let name = saved
                    .attr("data-file")
                    .await?
                    .context("copy-saved without data-file")?;
                let text = saved.text().await?;
                ensure!(
                    text.contains(&name) && text.contains("Envoyez ce fichier à l'organisateur"),
                    "what to do with the copy: {text}"
                );
                h.screenshot("copy-saved").await?;
                let path = h.downloaded(&name, 30).await?;
                let bytes = std::fs::read(&path)?;
                ensure!(
                    bytes.starts_with(b"VIGIL-COPY-1\n"),
                    "not a copy: {:?}",
                    &bytes[..bytes.len().min(16)]
                );
                // Opaque to whoever carries it: no answer, no event in clear.
                let clear = String::from_utf8_lossy(&bytes);
                ensure!(
                    !clear.contains("\"choice\"") && !clear.contains("consent"),
                    "the copy shows its content in clear"
                );

                // The organiser imports it: verified, stored, once.
                let path = path.display().to_string();
                let first: serde_json::Value =
                    serde_json::from_str(&h.server_cli_output(&["attempt", "import", &path])?)?;
                ensure!(first["imported"] == true, "first import: {first}");
                ensure!(
                    first["events_new"].as_u64().unwrap_or(0) > 0,
                    "first import: {first}"
                );
                ensure!(
                    first["media_refused"].as_array().is_some_and(Vec::is_empty),
                    "media refused: {first}"
                );
                let again: serde_json::Value =
                    serde_json::from_str(&h.server_cli_output(&["attempt", "import", &path])?)?;
                ensure!(
                    again["imported"] == false && again["events_new"] == 0,
                    "second import: {again}"
                );
                let attempt = first["attempt"].as_str().unwrap_or_default().to_owned();
                let shown = h.attempt_report(&attempt)?;
                ensure!(shown["state"] == "submitted", "{shown}");
                ensure!(shown["chain"] == "intact", "{shown}");
                let kinds: Vec<&str> = shown["flags"]
                    .as_array()
                    .map(|f| f.iter().filter_map(|f| f["kind"].as_str()).collect())
                    .unwrap_or_default();
                ensure!(kinds == ["manual_import"], "flags: {kinds:?}");
                Ok(attempt)
            }
            .await
        }
    };
    let r = match r {
        Err(e) => Err(e),
        Ok(attempt) => {
            async {
                // The network comes back: the app's sync finds it all there.
                h.restart_server().await?;
                h.css_within("[data-testid=\"sync-status\"][data-pending=\"0\"]", 90)
                    .await?;
                let shown = h.attempt_report(&attempt)?;
                ensure!(shown["each_seq_once"] == true, "{shown}");
                let kinds: Vec<&str> = shown["flags"]
                    .as_array()
                    .map(|f| f.iter().filter_map(|f| f["kind"].as_str()).collect())
                    .unwrap_or_default();
                ensure!(kinds == ["manual_import"], "flags after sync: {kinds:?}");

                // The proctor sees the attempt synced and flagged.
                let session = h.demo.session.clone();
                let candidate = h.demo.candidates[3].id.clone();
                h.proctor_login("marie").await?;
                h.open(&format!("/review/sessions/{session}")).await?;
                let row = h
                    .js(&format!(
                        "const a = [...document.querySelectorAll('a')].find(a => a.textContent === '{candidate}'); \
                         const tr = a && a.closest('tr'); \
                         return tr ? [tr.querySelector('[data-progress]').dataset.progress, tr.textContent] : null"
                    ))
                    .await?;
                let (progress, text): (String, String) = serde_json::from_value(row)?;
                ensure!(progress == "synced", "session page: {candidate} is {progress}");
                ensure!(text.contains("manual_import"), "session row: {text}");
                h.screenshot("copy-proctor-session").await?;
                Ok(())
            }
            .await
        }
    };
    h.finish("copy_import", r).await;
}
