//! The boot (`src/boot.rs`), the candidate's first download: it shows the
//! login screen, and loads the app only once it is needed, handing over
//! what the candidate did (the language, the server's sign-in answer). If
//! the app cannot be downloaded at that moment, the boot says so and tries
//! again on request, and nothing of the sign-in is lost.

use anyhow::{ensure, Result};
use vigil_e2e::{Clip, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boot_hands_the_sign_in_to_the_app_even_after_a_failed_download() {
    let h = Harness::start(Clip::Face).await.expect("harness");
    let r: Result<()> = async {
        h.open("/").await?;
        h.screen("login").await?;
        // The boot runs, the app does not yet: the loader has handed
        // nothing over.
        ensure!(
            h.js("return typeof globalThis.vigilLoader?.fetchApp")
                .await?
                == "function",
            "the page has no app loader"
        );
        h.click("language-switch").await?;
        h.css("html[lang=\"en\"]").await?;
        // The connection fails just when the app is fetched.
        h.js(r#"const real = globalThis.fetch;
                globalThis.__vigilFailApp = true;
                globalThis.fetch = (url, init) =>
                  globalThis.__vigilFailApp && String(url).includes("/app/")
                    ? Promise.reject(new TypeError("Failed to fetch"))
                    : real(url, init);"#)
            .await?;
        h.fill_login(0, None).await?;
        h.click("login-submit").await?;
        let failed = h.screen("boot-failed").await?.text().await?;
        ensure!(
            failed.contains("did not finish loading") && failed.contains("Failed to fetch"),
            "the boot's failure, in English with its reason: {failed}"
        );
        h.screenshot("boot-failed").await?;
        // The candidate's sign-in is not stored yet: the app stores it.
        ensure!(
            h.stored_login().await?.is_null(),
            "the boot stored a sign-in itself"
        );
        // Back to French before trying again: the retry carries it.
        h.click("language-switch").await?;
        h.css("html[lang=\"fr\"]").await?;
        let failed = h.screen("boot-failed").await?.text().await?;
        ensure!(
            failed.contains("n'a pas fini de se charger"),
            "the boot's failure in French: {failed}"
        );
        h.js("globalThis.__vigilFailApp = false").await?;
        h.click("boot-retry").await?;
        // The app signed in with the boot's answer, in the boot's language.
        h.screen("system-check").await?;
        h.css("html[lang=\"fr\"]").await?;
        let login = h.stored_login().await?;
        ensure!(
            login["attempt"]["candidate"] == h.demo.candidates[0].id.as_str(),
            "the stored sign-in is not the candidate's: {login}"
        );
        ensure!(
            h.js("return document.querySelectorAll('[data-screen]').length")
                .await?
                == 1,
            "two apps on the page"
        );
        // A reload goes straight from the boot to the app, signed in.
        h.client.refresh().await?;
        h.screen("system-check").await?;
        Ok(())
    }
    .await;
    h.finish("boot", r).await;
}
