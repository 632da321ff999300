//! The app shell opens with no network: the service worker caches the page,
//! the boot's and the app's scripts and wasm, and the stylesheet on the
//! first visit, and a reload
//! with the server stopped brings the candidate back to the same screen
//! (the state comes from IndexedDB). The proctors' pages are never cached.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

/// Waits until the service worker controls the page.
async fn controlled(h: &Harness) -> Result<bool> {
    for _ in 0..100 {
        if h.js("return !!navigator.serviceWorker.controller").await? == true {
            return Ok(true);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_opens_without_network_after_one_visit() {
    let mut h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/").await?;
        h.screen("login").await?;
        ensure!(controlled(&h).await?, "no service worker took control");
        let cached = h
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   caches.open('vigil-shell-v1')
                     .then(c => c.keys())
                     .then(keys => done(keys.map(k => new URL(k.url).pathname)));"#,
                vec![],
            )
            .await?;
        let paths: Vec<String> = serde_json::from_value(cached)?;
        for ext in ["_bg.wasm", ".js", ".css"] {
            ensure!(
                paths.iter().any(|p| p.ends_with(ext)),
                "no {ext} in the cache: {paths:?}"
            );
        }
        ensure!(paths.iter().any(|p| p == "/"), "page not cached: {paths:?}");
        // The app the boot loads after the sign-in (src/boot.rs) is cached
        // as well, before any sign-in: else a reload offline would stop at
        // the boot.
        for ext in ["_bg.wasm", ".js"] {
            ensure!(
                paths
                    .iter()
                    .any(|p| p.starts_with("/app/vigil-app-") && p.ends_with(ext)),
                "the app's {ext} is not in the cache: {paths:?}"
            );
        }
        ensure!(
            !paths.iter().any(|p| p.starts_with("/api/")),
            "API answers cached: {paths:?}"
        );
        // The proctors' pages never enter the cache: not as themselves, and
        // not in place of the app shell (a navigation to `/review` once
        // replaced the cached page with the proctor's).
        h.proctor_login("marie").await?;
        // The session list, at the URL without the slash.
        h.open("/review").await?;
        h.css("[data-testid=\"logout\"]").await?;
        h.open("/").await?;
        h.screen("login").await?;
        let cached = h
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   caches.open('vigil-shell-v1').then(async c => {
                     const keys = (await c.keys()).map(k => new URL(k.url).pathname);
                     const shell = await c.match('/');
                     done({ keys, shell: shell ? await shell.text() : '' });
                   });"#,
                vec![],
            )
            .await?;
        let keys: Vec<String> = serde_json::from_value(cached["keys"].clone())?;
        ensure!(
            !keys.iter().any(|p| p.starts_with("/review")),
            "a proctor's page was cached: {keys:?}"
        );
        let shell = cached["shell"].as_str().unwrap_or_default();
        ensure!(
            shell.contains("vigil-app") && !shell.contains("proctor"),
            "the cached shell is not the app: {shell}"
        );
        h.fill_login(2, None).await?;
        h.click("login-submit").await?;
        h.screen("system-check").await?;
        Ok(())
    }
    .await;
    h.stop_server();
    let r = match r {
        Err(e) => Err(e),
        Ok(()) => {
            async {
                // No server: the shell comes from the cache, the candidate
                // from IndexedDB.
                h.client.refresh().await?;
                h.screen("system-check").await?;
                let network = h
                    .css_within("[data-testid=\"check-network\"][data-status=\"warn\"]", 20)
                    .await?
                    .text()
                    .await?;
                ensure!(
                    network.contains("ne répond pas"),
                    "offline network check: {network}"
                );
                h.screenshot("offline-system-check").await?;
                // Another app URL opens the shell too.
                h.open("/somewhere/else").await?;
                h.screen("system-check").await?;
                Ok(())
            }
            .await
        }
    };
    h.finish("offline_shell", r).await;
}
